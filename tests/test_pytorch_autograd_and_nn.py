"""Tests for pytorch_autograd_and_nn.py (Q1): shapes, layer structure, parameter counts, and the
training helpers. Every reference is computed independently (torch built-ins or closed-form
parameter counts), never by the code under test."""
import io
import os
import sys
from contextlib import redirect_stdout

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pytorch_autograd_and_nn as q1  # noqa: E402

torch.set_num_threads(1)


def nparams(module):
    return sum(p.numel() for p in module.parameters())


def conv_params(cin, cout, k):
    return cin * cout * k * k + cout  # weight + bias


def bn_params(c):
    return 2 * c


def quiet(fn, *args, **kwargs):
    buf = io.StringIO()
    with redirect_stdout(buf):
        out = fn(*args, **kwargs)
    return out, buf.getvalue()


# ----------------------------------------------------------------------------- Part II
def test_hello(capsys):
    q1.hello()
    assert capsys.readouterr().out.strip() == 'Hello from pytorch_autograd_and_nn.py!'


def test_flatten():
    x = torch.arange(2 * 3 * 4 * 5).view(2, 3, 4, 5)
    assert q1.flatten(x).shape == (2, 60)
    assert torch.equal(q1.flatten(x), x.reshape(2, -1))
    assert q1.Flatten()(x).shape == (2, 60)


def test_two_layer_fc_shape_and_value():
    torch.manual_seed(0)
    x = torch.zeros((64, 3, 16, 16))
    D, H = 3 * 16 * 16, 42
    w1, b1, w2, b2 = torch.randn(H, D), torch.randn(H), torch.randn(10, H), torch.randn(10)
    scores = q1.two_layer_fc(x, [w1, b1, w2, b2])
    assert list(scores.shape) == [64, 10]
    x = torch.randn(4, 3, 16, 16)
    ref = torch.relu(x.reshape(4, -1) @ w1.T + b1) @ w2.T + b2
    assert torch.allclose(q1.two_layer_fc(x, [w1, b1, w2, b2]), ref, atol=1e-4)


def test_three_layer_convnet_shape():
    x = torch.zeros((64, 3, 32, 32))
    params = [torch.zeros((6, 3, 5, 5)), torch.zeros((6,)), torch.zeros((9, 6, 3, 3)),
              torch.zeros((9,)), torch.zeros((10, 9 * 32 * 32)), torch.zeros((10,))]
    assert list(q1.three_layer_convnet(x, params).shape) == [64, 10]


def test_three_layer_convnet_matches_nn_layers():
    torch.manual_seed(0)
    x = torch.randn(3, 3, 32, 32)
    conv1, conv2, fc = nn.Conv2d(3, 6, 5, padding=2), nn.Conv2d(6, 9, 3, padding=1), nn.Linear(9 * 1024, 10)
    ref = fc(torch.relu(conv2(torch.relu(conv1(x)))).reshape(3, -1))
    params = [conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc.weight, fc.bias]
    assert torch.allclose(q1.three_layer_convnet(x, params), ref, atol=1e-5)


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_initialize_three_layer_conv_part2(dtype):
    torch.manual_seed(0)
    params = q1.initialize_three_layer_conv_part2(dtype=dtype, device='cpu')
    shapes = [(32, 3, 5, 5), (32,), (16, 32, 3, 3), (16,), (10, 16 * 32 * 32), (10,)]
    assert [tuple(p.shape) for p in params] == shapes
    for p in params:
        assert p.dtype == dtype and p.requires_grad and p.is_leaf and p.device.type == 'cpu'
    for b in params[1::2]:
        assert torch.count_nonzero(b) == 0
    # Kaiming normal (fan_in, gain sqrt(2)): std = sqrt(2 / fan_in)
    for w, fan_in in zip(params[0::2], (3 * 25, 32 * 9, 16 * 32 * 32)):
        std = (2 / fan_in) ** 0.5
        assert abs(w.std().item() / std - 1) < 0.15
        assert abs(w.mean().item()) < 0.2 * std
    scores = q1.three_layer_convnet(torch.randn(2, 3, 32, 32, dtype=dtype), params)
    assert scores.shape == (2, 10)


# ----------------------------------------------------------------------------- Part III / IV
def test_TwoLayerFC():
    model = q1.TwoLayerFC(768, 42, 10)
    assert list(model(torch.zeros((64, 768))).shape) == [64, 10]
    assert torch.count_nonzero(model.fc1.bias) == 0 and torch.count_nonzero(model.fc2.bias) == 0


def test_ThreeLayerConvNet():
    torch.manual_seed(0)
    model = q1.ThreeLayerConvNet(in_channel=3, channel_1=12, channel_2=8, num_classes=10)
    assert list(model(torch.zeros((64, 3, 32, 32))).shape) == [64, 10]
    assert nparams(model) == conv_params(3, 12, 5) + conv_params(12, 8, 3) + 8 * 1024 * 10 + 10
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.kernel_size, c.padding) for c in convs] == [((5, 5), (2, 2)), ((3, 3), (1, 1))]
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            assert torch.count_nonzero(m.bias) == 0
    # same function as the barebones version with the same weights
    x = torch.randn(2, 3, 32, 32)
    lin = [m for m in model.modules() if isinstance(m, nn.Linear)][0]
    params = [convs[0].weight, convs[0].bias, convs[1].weight, convs[1].bias, lin.weight, lin.bias]
    assert torch.allclose(model(x), q1.three_layer_convnet(x, params), atol=1e-5)


def test_initialize_three_layer_conv_part3():
    model, opt = q1.initialize_three_layer_conv_part3()
    assert isinstance(model, q1.ThreeLayerConvNet) and isinstance(opt, torch.optim.SGD)
    g = opt.param_groups[0]
    assert g['lr'] == 3e-3 and g['weight_decay'] == 1e-4 and g['momentum'] == 0
    assert {id(p) for p in g['params']} == {id(p) for p in model.parameters()}
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert nparams(model) == conv_params(3, 32, 5) + conv_params(32, 16, 3) + 16 * 1024 * 10 + 10


def test_initialize_three_layer_conv_part4():
    model, opt = q1.initialize_three_layer_conv_part4()
    assert isinstance(model, nn.Sequential) and isinstance(opt, torch.optim.SGD)
    kinds = [type(m) for m in model]
    assert kinds == [nn.Conv2d, nn.ReLU, nn.Conv2d, nn.ReLU, q1.Flatten, nn.Linear]
    assert (model[0].in_channels, model[0].out_channels, model[0].kernel_size, model[0].padding) == \
        (3, 32, (5, 5), (2, 2))
    assert (model[2].in_channels, model[2].out_channels, model[2].kernel_size, model[2].padding) == \
        (32, 16, (3, 3), (1, 1))
    assert (model[5].in_features, model[5].out_features) == (16 * 32 * 32, 10)
    g = opt.param_groups[0]
    assert (g['lr'], g['weight_decay'], g['momentum'], g['nesterov']) == (1e-2, 1e-4, 0.5, True)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


# ----------------------------------------------------------------------------- Part V
@pytest.mark.parametrize('block', [q1.PlainBlock, q1.ResidualBlock, q1.ResidualBottleneckBlock])
def test_block_shapes(block):
    data = torch.zeros(2, 3, 5, 6)
    assert list(block(3, 10)(data).shape) == [2, 10, 5, 6]
    assert list(block(3, 10, downsample=True)(data).shape) == [2, 10, 3, 3]


def test_stem_shape():
    assert list(q1.ResNetStem(3, 10)(torch.zeros(2, 3, 5, 6)).shape) == [2, 10, 5, 6]
    stem = q1.ResNetStem(3, 10)
    conv = stem.net[0]
    assert (conv.kernel_size, conv.padding, conv.stride, conv.bias is not None) == ((3, 3), (1, 1), (1, 1), True)
    assert isinstance(stem.net[1], nn.ReLU)


@pytest.mark.parametrize('downsample', [False, True])
def test_plain_block_structure(downsample):
    b = q1.PlainBlock(4, 6, downsample)
    kinds = [type(m) for m in b.net]
    assert kinds == [nn.BatchNorm2d, nn.ReLU, nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Conv2d]
    assert b.net[0].num_features == 4 and b.net[3].num_features == 6
    c1, c2 = b.net[2], b.net[5]
    assert (c1.in_channels, c1.out_channels, c1.kernel_size, c1.padding) == (4, 6, (3, 3), (1, 1))
    assert c1.stride == ((2, 2) if downsample else (1, 1))
    assert (c2.in_channels, c2.out_channels, c2.kernel_size, c2.padding, c2.stride) == \
        (6, 6, (3, 3), (1, 1), (1, 1))
    assert nparams(b) == bn_params(4) + conv_params(4, 6, 3) + bn_params(6) + conv_params(6, 6, 3)


def plain_reference(b, x):
    """Independent functional forward of a PlainBlock in train mode."""
    n = b.net
    h = F.relu(F.batch_norm(x, None, None, n[0].weight, n[0].bias, training=True))
    h = F.conv2d(h, n[2].weight, n[2].bias, stride=n[2].stride, padding=1)
    h = F.relu(F.batch_norm(h, None, None, n[3].weight, n[3].bias, training=True))
    return F.conv2d(h, n[5].weight, n[5].bias, padding=1)


# (Cin, Cout, downsample) -> expected shortcut: None = identity, else (stride)
SHORTCUT_CASES = [(8, 8, False, None), (4, 8, False, 1), (8, 8, True, 2), (4, 8, True, 2)]


@pytest.mark.parametrize('cin,cout,down,stride', SHORTCUT_CASES)
def test_residual_block_shortcut_rules(cin, cout, down, stride):
    torch.manual_seed(0)
    b = q1.ResidualBlock(cin, cout, down)
    assert isinstance(b.block, q1.PlainBlock)
    plain = nparams(q1.PlainBlock(cin, cout, down))
    if stride is None:
        assert isinstance(b.shortcut, nn.Identity)
        assert nparams(b) == plain
    else:
        s = b.shortcut
        assert isinstance(s, nn.Conv2d)
        assert (s.in_channels, s.out_channels, s.kernel_size, s.stride) == (cin, cout, (1, 1), (stride, stride))
        assert nparams(b) == plain + nparams(s) and nparams(s) in (cin * cout, cin * cout + cout)
    x = torch.randn(2, cin, 7, 8)
    b.train()
    short = x if stride is None else F.conv2d(x, b.shortcut.weight, b.shortcut.bias, stride=stride)
    assert torch.allclose(b(x), plain_reference(b.block, x) + short, atol=1e-5)


@pytest.mark.parametrize('cin,cout,down,stride', SHORTCUT_CASES)
def test_bottleneck_block_structure(cin, cout, down, stride):
    b = q1.ResidualBottleneckBlock(cin, cout, down)
    convs = [m for m in b.block.modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in b.block.modules() if isinstance(m, nn.BatchNorm2d)]
    relus = [m for m in b.block.modules() if isinstance(m, nn.ReLU)]
    assert len(convs) == 3 and len(bns) == 3 and len(relus) == 3
    # order: BN, ReLU, conv repeated three times
    seq = [type(m) for m in b.block.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.ReLU))]
    assert seq == [nn.BatchNorm2d, nn.ReLU, nn.Conv2d] * 3
    mid = cout // 4
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == \
        [(cin, mid, (1, 1)), (mid, mid, (3, 3)), (mid, cout, (1, 1))]
    assert convs[0].stride == ((2, 2) if down else (1, 1))
    assert convs[1].padding == (1, 1) and convs[1].stride == (1, 1) and convs[2].stride == (1, 1)
    assert [bn.num_features for bn in bns] == [cin, mid, mid]
    if stride is None:
        assert isinstance(b.shortcut, nn.Identity)
    else:
        s = b.shortcut
        assert isinstance(s, nn.Conv2d)
        assert (s.in_channels, s.out_channels, s.kernel_size, s.stride) == (cin, cout, (1, 1), (stride, stride))
    x = torch.randn(2, cin, 6, 6)
    out = b(x)
    assert torch.allclose(out, b.block(x) + b.shortcut(x))
    assert out.shape == (2, cout, 3 if down else 6, 3 if down else 6)


@pytest.mark.parametrize('block', [q1.PlainBlock, q1.ResidualBlock])
def test_resnet_stage(block):
    stage = q1.ResNetStage(3, 4, 2, block=block)
    assert len(stage.net) == 2
    assert list(stage(torch.zeros(2, 3, 8, 8)).shape) == [2, 4, 4, 4]


def expected_resnet_params(name):
    """Closed-form parameter count of get_resnet(name) from the spec's description."""
    spec = q1.networks[name]
    stages, block = spec['stage_args'], spec['block']
    total = conv_params(3, stages[0][0], 3)  # stem
    for cin, cout, n, down in stages:
        for i in range(n):
            ci, d = (cin, down) if i == 0 else (cout, False)
            if block is q1.ResidualBottleneckBlock:
                m = cout // 4
                total += bn_params(ci) + conv_params(ci, m, 1) + bn_params(m) + conv_params(m, m, 3) \
                    + bn_params(m) + conv_params(m, cout, 1)
            else:
                total += bn_params(ci) + conv_params(ci, cout, 3) + bn_params(cout) + conv_params(cout, cout, 3)
            if block is not q1.PlainBlock and (d or ci != cout):
                total += conv_params(ci, cout, 1)
    return total + stages[-1][1] * 10 + 10  # fc


@pytest.mark.parametrize('name', ['plain32', 'resnet32', 'resnet47'])
def test_get_resnet(name):
    torch.manual_seed(0)
    model = q1.get_resnet(name)
    assert isinstance(model, q1.ResNet)
    assert isinstance(model.cnn, nn.Sequential)
    assert isinstance(model.cnn[0], q1.ResNetStem)
    assert model.cnn[0].net[0].out_channels == q1.networks[name]['stage_args'][0][0]
    assert [type(m) for m in model.cnn[1:]] == [q1.ResNetStage] * 3
    blocks = [m for m in model.modules() if isinstance(m, q1.networks[name]['block'])]
    assert len(blocks) == 15
    assert nparams(model) == expected_resnet_params(name)
    x = torch.randn(2, 3, 32, 32)
    assert model(x).shape == (2, 10)
    # the global average pool lives in forward: other input sizes work too
    assert model(torch.randn(2, 3, 20, 24)).shape == (2, 10)
    # forward = fc(mean over space of cnn(x))
    model.eval()
    with torch.no_grad():
        ref = model.fc(model.cnn(x).mean(dim=(2, 3)))
        assert torch.allclose(model(x), ref, atol=1e-5)


def test_resnet32_known_param_count():
    # worked out by hand: stem 224 + stage1 5 x 1,200 + stage2 22,496 (incl. 1x1 shortcut 144)
    # + stage3 89,024 (incl. 1x1 shortcut 544) + fc 330; conv layers keep their biases
    assert nparams(q1.get_resnet('resnet32')) == 118_074
    assert nparams(q1.get_resnet('plain32')) == 118_074 - 144 - 544
    assert nparams(q1.get_resnet('resnet32')) - nparams(q1.get_resnet('plain32')) == \
        (8 * 16 + 16) + (16 * 32 + 32)


def test_resnet_stem_width_follows_stage_args():
    m = q1.ResNet([(5, 6, 1, False)], block=q1.ResidualBlock, num_classes=3)
    assert m.cnn[0].net[0].out_channels == 5
    assert m(torch.zeros(1, 3, 8, 8)).shape == (1, 3)


# ----------------------------------------------------------------------------- training helpers
def tiny_loaders(n=64, seed=0, size=8):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    # two linearly separable classes: the mean of channel 0 decides the label
    x = torch.randn(n, 3, size, size, generator=g) * 0.5
    x[:, 0] += (2 * y - 1).view(-1, 1, 1).float()
    ds = TensorDataset(x, y)
    return DataLoader(ds, batch_size=16, shuffle=True, generator=g), DataLoader(ds, batch_size=16)


def test_check_accuracy_counts_correctly():
    x = torch.randn(10, 3, 2, 2)
    y = torch.tensor([0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    pred = torch.tensor([0, 1, 2, 0, 0, 0, 1, 0, 0, 4])  # 6 correct
    scores = F.one_hot(pred, 10).float()
    loader = DataLoader(TensorDataset(torch.arange(10).float().view(10, 1), y), batch_size=3)
    model_fn = lambda idx, params: scores[idx.view(-1).long()]  # noqa: E731
    acc, out = quiet(q1.check_accuracy_part2, loader, model_fn, [torch.zeros(1)])
    assert acc == pytest.approx(0.6)
    assert 'Got 6 / 10 correct (60.00%)' in out

    class Lookup(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = nn.Parameter(torch.zeros(1))
            self.mode_seen = None

        def forward(self, idx):
            self.mode_seen = self.training
            return scores[idx.view(-1).long()]
    m = Lookup()
    acc, out = quiet(q1.check_accuracy_part34, loader, m)
    assert acc == pytest.approx(0.6) and 'Got 6 / 10 correct (60.00)' in out
    assert m.mode_seen is False  # evaluated in eval mode
    del x


def test_adjust_learning_rate():
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    _, out = quiet(q1.adjust_learning_rate, opt, 0.1, 3, [6, 8])
    assert opt.param_groups[0]['lr'] == 1.0 and out == ''
    _, out = quiet(q1.adjust_learning_rate, opt, 0.1, 6, [6, 8])
    assert opt.param_groups[0]['lr'] == pytest.approx(0.1) and 'lr decay from 1.0 to 0.1' in out


def test_train_part2_reduces_loss():
    torch.manual_seed(0)
    loader_train, loader_val = tiny_loaders()
    D = 3 * 8 * 8
    params = [(torch.randn(20, D) * 0.05).requires_grad_(), torch.zeros(20, requires_grad=True),
              (torch.randn(2, 20) * 0.05).requires_grad_(), torch.zeros(2, requires_grad=True)]
    X, Y = loader_val.dataset.tensors
    before = F.cross_entropy(q1.two_layer_fc(X, params), Y).item()
    for _ in range(5):
        (acc, losses), out = quiet(q1.train_part2, q1.two_layer_fc, params, 5e-2,
                                   loader_train=loader_train, loader_val=loader_val,
                                   return_loss_history=True)
    after = F.cross_entropy(q1.two_layer_fc(X, params), Y).item()
    assert after < 0.5 * before
    assert acc > 0.9 and losses.shape == (4,)
    assert 'Iteration 0, loss = ' in out and 'Iteration 3, loss = ' in out
    # default return: the last val accuracy as a float
    acc2, _ = quiet(q1.train_part2, q1.two_layer_fc, params, 1e-2, loader_train=loader_train,
                    loader_val=loader_val, max_iters=2)
    assert isinstance(acc2, float)


def test_train_part345_reduces_loss_and_histories():
    torch.manual_seed(0)
    loader_train, loader_val = tiny_loaders(n=96)
    model = q1.ResNet([(4, 4, 1, False), (4, 8, 1, True)], num_classes=2)
    opt = torch.optim.SGD(model.parameters(), lr=5e-2, momentum=0.9)
    X, Y = loader_val.dataset.tensors
    model.eval()
    with torch.no_grad():
        before = F.cross_entropy(model(X), Y).item()
    (acc_h, iter_h, losses), out = quiet(
        q1.train_part345, model, opt, epochs=4, schedule=[3], verbose=False,
        loader_train=loader_train, loader_val=loader_val, return_loss_history=True)
    model.eval()
    with torch.no_grad():
        after = F.cross_entropy(model(X), Y).item()
    assert after < 0.7 * before
    assert acc_h.dtype == torch.float32 and iter_h.dtype == torch.int64
    assert acc_h.shape == (4,) and iter_h.tolist() == [5, 11, 17, 23]  # end of each epoch
    assert losses.shape == (24,) and losses[-6:].mean() < losses[:6].mean()
    assert acc_h[-1] > 0.8
    assert opt.param_groups[0]['lr'] == pytest.approx(5e-3)  # decayed once, at epoch 3
    assert 'lr decay from 0.05 to 0.005' in out
    # verbose: every print_every iterations plus the last one
    (acc_h, iter_h), _ = quiet(q1.train_part345, model, opt, epochs=2, verbose=True, print_every=4,
                               loader_train=loader_train, loader_val=loader_val)
    assert iter_h.tolist() == [0, 4, 8, 11] and acc_h.shape == (4,)
    (acc_h, iter_h), _ = quiet(q1.train_part345, model, opt, epochs=2, verbose=True, print_every=4,
                               max_iters=2, loader_train=loader_train, loader_val=loader_val)
    assert iter_h.tolist() == [0, 3]


# ----------------------------------------------------------------------------- going further
# The faster recipe of the notebook's "Going further" section (eecs598/cifar_recipes.py) and the
# benchmark that chose it (benchmarks/cifar_resnet.py).
from eecs598 import cifar_recipes as recipes  # noqa: E402


def test_student_module_keeps_only_the_assignment():
    for name in ('train_with_budget', 'FAST_RECIPE', 'augment_batch', 'normalize_cifar', 'evaluate'):
        assert not hasattr(q1, name), name


def test_normalize_cifar_matches_torchvision():
    import torchvision.transforms as T
    x = torch.randint(0, 256, (3, 32, 32, 3), generator=torch.Generator().manual_seed(0)).to(torch.uint8)
    ref = T.Normalize(recipes.CIFAR_MEAN, recipes.CIFAR_STD)
    expected = torch.stack([ref(T.ToTensor()(img.numpy())) for img in x])
    torch.testing.assert_close(recipes.normalize_cifar(x.numpy()), expected)


def test_split_train_val_is_a_stratified_partition():
    y = torch.arange(103) % 5
    X = torch.arange(103).float().view(-1, 1)
    X_tr, y_tr, X_val, y_val = recipes.split_train_val(X, y, 22, seed=1)
    assert len(y_val) == 22 and len(y_tr) == 81
    assert sorted(X_tr.flatten().tolist() + X_val.flatten().tolist()) == list(range(103))
    assert sorted(torch.bincount(y_val, minlength=5).tolist()) == [4, 4, 4, 5, 5]
    assert torch.equal(y_val, X_val.flatten().long() % 5)  # labels travel with their images
    again = recipes.split_train_val(X, y, 22, seed=1)
    assert torch.equal(again[2], X_val)


def test_augment_batch():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 3, 8, 8)
    out = recipes.augment_batch(x, crop_pad=0, flip=True, generator=g)
    for a, b in zip(out, x):  # every image is either unchanged or mirrored
        assert torch.equal(a, b) or torch.equal(a, b.flip(2))
    out = recipes.augment_batch(x, crop_pad=2, flip=False, generator=g)
    assert out.shape == x.shape
    xp = F.pad(x, (2, 2, 2, 2), mode='reflect')
    for a, p in zip(out, xp):  # every image is one of the 25 crops of its padded version
        assert any(torch.equal(a, p[:, i:i + 8, j:j + 8]) for i in range(5) for j in range(5))


def test_train_with_budget_learns():
    torch.manual_seed(0)
    loader_train, _ = tiny_loaders(n=256, size=8)
    X, Y = loader_train.dataset.tensors
    for recipe in ('original', 'fast'):
        torch.manual_seed(0)
        model = q1.ResNet([(4, 4, 1, False)], num_classes=2)
        res = recipes.train_with_budget(model, X, Y, 1.0, recipe=recipe, X_val=X, y_val=Y,
                                        progress=False, hyp=dict(batch_size=32, lr=0.05))
        assert res['steps'] > 5 and res['seconds'] >= 1.0
        assert res['val_acc'] > 0.8, recipe
        # the fast recipe trains in channels-last (oneDNN's faster layout), the original does not
        assert model.cnn[0].net[0].weight.is_contiguous(memory_format=torch.channels_last) == (recipe == 'fast')


def test_train_with_budget_images_and_layouts():
    loader_train, _ = tiny_loaders(n=96, size=8)
    X, Y = loader_train.dataset.tensors
    out = {}
    for cl in (False, True):
        torch.manual_seed(0)
        model = q1.ResNet([(4, 4, 1, False)], num_classes=2)
        res = recipes.train_with_budget(model, X, Y, recipe='original', budget_images=200, progress=False,
                                        hyp=dict(batch_size=32), channels_last=cl)
        out[cl] = (res, torch.cat([p.detach().flatten() for p in model.parameters()]))
    res = out[False][0]
    assert res['images'] == 224 and res['steps'] == 7  # whole batches until 200 images are reached
    assert [lr for _, lr in res['lr']] == [1e-2]  # logged at step 1; the decays come at 60%, 80%
    # the memory format changes the speed, not the network: same weights after training
    torch.testing.assert_close(out[True][1], out[False][1], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError):
        recipes.train_with_budget(model, X, Y, 1.0, budget_images=10)


def test_train_with_budget_reads_the_given_clock():
    """budget_s is measured with `clock` (process CPU time in the equal-time benchmark), not wall time."""
    loader_train, _ = tiny_loaders(n=96, size=8)
    X, Y = loader_train.dataset.tensors
    readings = iter([0.0] + [1000.0] * 100)  # the clock jumps past the budget after its first reading
    torch.manual_seed(0)
    model = q1.ResNet([(4, 4, 1, False)], num_classes=2)
    res = recipes.train_with_budget(model, X, Y, 4.0, recipe='original', progress=False,
                                    hyp=dict(batch_size=32), clock=lambda: next(readings))
    assert res['steps'] == 0 and res['seconds'] == 1000.0  # wall time would have allowed many steps
    readings = iter(float(i) for i in range(10 ** 6))  # one "second" per reading
    res = recipes.train_with_budget(model, X, Y, 8.0, recipe='original', progress=False,
                                    hyp=dict(batch_size=32), clock=lambda: next(readings))
    assert 1 <= res['steps'] < 8 and res['seconds'] >= 8.0


def benchmark_module():
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'benchmarks', 'cifar_resnet.py')
    spec = importlib.util.spec_from_file_location('cifar_resnet_benchmark', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_benchmark_counts_resnet32_flops():
    """FlopCounterMode's count equals the closed form: 2*Cin*Cout*k*k*Ho*Wo per conv for the forward
    pass, the same for the weight gradient and for the input gradient (none for the input image)."""
    bench = benchmark_module()
    model = q1.get_resnet('resnet32')
    total, seen = 0, []

    def hook(mod, inp, out):
        f = 2 * mod.in_channels * mod.out_channels * mod.kernel_size[0] ** 2 * out.shape[-1] * out.shape[-2]
        seen.append(f)
        total_f = f * (2 if len(seen) == 1 else 3)
        nonlocal total
        total += total_f
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(hook)
    model(torch.zeros(1, 3, 32, 32))
    total += 3 * 2 * 32 * 10  # fc: forward, weight gradient, input gradient
    assert len(seen) == 33  # stem + 30 block convs + 2 downsampling shortcuts
    assert bench.train_flops_per_image(q1.get_resnet('resnet32')) == total


def test_benchmark_throughput_report(capsys):
    bench = benchmark_module()
    tp = bench.main(['--only', 'throughput', '--rounds', '1', '--tp-seconds', '0.05', '--threads', '1'])
    out = capsys.readouterr().out
    assert 'fp32 matmul 2048x2048' in out and '% of peak' in out and '1 threads' in out
    assert tp['peak'] > 0 and set(tp['rates']) >= {'NCHW, batch 64 (original)', 'channels-last, batch 64'}
    if 'best variant at' in out:  # under half the peak: the per-convolution table explains why
        assert out.count('@32x32') >= 4 and 'convolutions alone' in out
