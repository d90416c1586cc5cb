"""Tests for style_transfer.py: each loss against an independent computation, the check values
of the course (ImageNet-dependent ones skipped without the weights), the schedule of the driver
and that the driver lowers the loss."""
import inspect
import re

import numpy as np
import pytest
import torch
import torchvision

import style_transfer as st
from eecs598.grad import rel_error

STYLE_LAYERS = [1, 4, 6, 7]


def _rand(*shape, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype)


# ----------------------------------------------------------------------------- losses

def test_content_loss_matches_mse_sum():
    cur, orig = _rand(1, 16, 7, 9, seed=1), _rand(1, 16, 7, 9, seed=2)
    expected = 0.06 * torch.nn.functional.mse_loss(cur, orig, reduction='sum')
    out = st.content_loss(0.06, cur, orig)
    assert out.dim() == 0
    assert torch.allclose(out, expected, rtol=1e-12)


def _gram_reference(features, normalize):
    """Per-sample numpy loop: G_n = F_n F_n^T with F_n of shape (C, H*W)."""
    x = features.numpy()
    N, C, H, W = x.shape
    out = np.stack([x[n].reshape(C, H * W) @ x[n].reshape(C, H * W).T for n in range(N)])
    return out / (C * H * W) if normalize else out


@pytest.mark.parametrize('normalize', [True, False])
def test_gram_matrix_batch_against_numpy(normalize):
    feats = _rand(3, 5, 4, 6, seed=3)          # batch > 1, C != H != W
    out = st.gram_matrix(feats, normalize=normalize)
    assert out.shape == (3, 5, 5)
    np.testing.assert_allclose(out.numpy(), _gram_reference(feats, normalize), rtol=1e-10)


def test_gram_matrix_default_is_normalized_by_HWC():
    feats = _rand(2, 8, 3, 5, seed=4)
    ratio = st.gram_matrix(feats, normalize=False) / st.gram_matrix(feats)
    assert torch.allclose(ratio, torch.full_like(ratio, 8 * 3 * 5))


def test_style_loss_against_explicit_sum():
    feats = [_rand(1, c, s, s + 1, seed=10 + i) for i, (c, s) in
             enumerate([(3, 9), (6, 9), (6, 5), (8, 5), (8, 5), (8, 3), (10, 3), (10, 3)])]
    targets = [torch.from_numpy(_gram_reference(_rand(*feats[l].shape, seed=40 + l), True))
               for l in STYLE_LAYERS]
    weights = [300000, 1000, 15, 3]
    expected = sum(w * ((_gram_reference(feats[l], True) - t.numpy()) ** 2).sum()
                   for l, t, w in zip(STYLE_LAYERS, targets, weights))
    out = st.style_loss(feats, STYLE_LAYERS, targets, weights)
    assert out.dim() == 0
    assert abs(out.item() - expected) <= 1e-10 * abs(expected)


def _tv_reference(img):
    x = img.numpy()
    return (np.diff(x, axis=2) ** 2).sum() + (np.diff(x, axis=3) ** 2).sum()


def test_tv_loss_against_numpy_diff():
    img = _rand(1, 3, 11, 13, seed=5)
    out = st.tv_loss(img, 0.02)
    assert out.dim() == 0
    assert abs(out.item() - 0.02 * _tv_reference(img)) <= 1e-12 * abs(out.item())
    # a constant image has no variation; a one-pixel step costs exactly w * (2 * 3 channels)
    step = torch.zeros(1, 3, 5, 5, dtype=torch.float64)
    step[:, :, 2, 2] = 1.0
    assert st.tv_loss(step, 0.5).item() == pytest.approx(0.5 * 4 * 3)


def _count_tensor_ops(fn, *args):
    """Number of aten operations ``fn(*args)`` dispatches (independent of machine speed)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        calls = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Count.calls += 1
            return func(*args, **(kwargs or {}))

    with Count():
        fn(*args)
    return Count.calls


def test_tv_loss_is_vectorised():
    source = inspect.getsource(st.tv_loss)
    assert not re.search(r'\bfor\b.*\bin\b', source.split('"""')[-1]), 'tv_loss has a Python loop'
    # A loop over rows or pixels dispatches ops in proportion to the image size; a vectorised
    # tv_loss dispatches the same handful of ops for 8x8 and 512x512.
    small = _count_tensor_ops(st.tv_loss, torch.randn(1, 3, 8, 8), 1.0)
    large = _count_tensor_ops(st.tv_loss, torch.randn(1, 3, 512, 512), 1.0)
    assert large == small <= 20, f'tv_loss dispatched {small} ops at 8x8 and {large} at 512x512'


def test_losses_backpropagate_to_the_image():
    img = _rand(1, 3, 6, 7, seed=6).requires_grad_(True)
    st.tv_loss(img, 1.0).backward()
    # d/dx of sum (x_{i+1} - x_i)^2 in closed form, vertical + horizontal
    x = img.detach()
    g = torch.zeros_like(x)
    dv, dh = x[:, :, 1:] - x[:, :, :-1], x[:, :, :, 1:] - x[:, :, :, :-1]
    g[:, :, 1:] += 2 * dv
    g[:, :, :-1] -= 2 * dv
    g[:, :, :, 1:] += 2 * dh
    g[:, :, :, :-1] -= 2 * dh
    assert torch.allclose(img.grad, g)


# ----------------------------------------------------------------------------- guided extras

def test_guided_gram_matrix_against_loop():
    N, R, C, H, W = 2, 3, 4, 5, 6
    feats = _rand(N, C, H, W, seed=7)
    masks = torch.rand(N, R, H, W, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    out = st.guided_gram_matrix(feats.unsqueeze(1).expand(N, R, C, H, W), masks)
    assert out.shape == (N, R, C, C)
    for n in range(N):
        for r in range(R):
            masked = (feats[n] * masks[n, r]).reshape(C, H * W)
            ref = masked @ masked.T / (H * W * C)
            assert torch.allclose(out[n, r], ref)
    unnorm = st.guided_gram_matrix(feats.unsqueeze(1), masks, normalize=False)
    assert torch.allclose(unnorm, out * (H * W * C))
    # an all-ones mask is the ordinary Gram matrix
    ones = st.guided_gram_matrix(feats.unsqueeze(1), torch.ones(N, 1, H, W, dtype=torch.float64))
    assert torch.allclose(ones[:, 0], st.gram_matrix(feats))


def test_guided_style_loss_against_explicit_sum():
    feats = [_rand(1, 4, 6, 6, seed=20 + i) for i in range(8)]
    masks = [torch.rand(1, 2, 6, 6, generator=torch.Generator().manual_seed(30 + i),
                        dtype=torch.float64) for i in range(8)]
    targets = [_rand(1, 2, 4, 4, seed=50 + l) for l in STYLE_LAYERS]
    weights = [5.0, 4.0, 3.0, 2.0]
    expected = 0.0
    for l, t, w in zip(STYLE_LAYERS, targets, weights):
        for r in range(2):
            F = (feats[l][0] * masks[l][0, r]).reshape(4, 36)
            expected += w * ((F @ F.T / (36 * 4) - t[0, r]) ** 2).sum().item()
    out = st.guided_style_loss(feats, STYLE_LAYERS, targets, weights, masks)
    assert out.item() == pytest.approx(expected, rel=1e-10)


# ----------------------------------------------------------------------------- network, driver

@pytest.fixture(scope='module')
def untrained_cnn():
    torch.manual_seed(0)
    cnn = torchvision.models.squeezenet1_1(weights=None).features.eval()
    for p in cnn.parameters():
        p.requires_grad_(False)
    cnn.weights_source, cnn.is_imagenet = 'UNTRAINED (test)', False
    return cnn


def test_extract_features_layers(untrained_cnn):
    feats = st.extract_features(torch.randn(1, 3, 192, 256), untrained_cnn)
    assert len(feats) == 13
    assert [feats[i].shape[1] for i in (1, 3, 4, 6, 7, 12)] == [64, 128, 128, 256, 256, 512]
    assert feats[1].shape[-2:] == (95, 127)


def test_weights_note_labels_non_imagenet_features(untrained_cnn):
    assert 'UNTRAINED' in st.weights_note(untrained_cnn)
    assert st.weights_note(torch.nn.Sequential(torch.nn.ReLU())) == ''


def test_schedule_of_the_original():
    assert st._schedule(200) == (180, 190)


def test_optimize_image_schedule_and_clamp():
    # loss = -sum(img): every Adam step moves each pixel up by ~lr, so the final value spells out
    # the schedule: clamped to 1.5 at t=18 (< 19), one step at the decayed rate 0.1 (decay at
    # t == 18 replaces the optimiser before its step), one unclamped step at 0.1.
    img = torch.zeros(1, 3, 4, 4)
    hist = st.optimize_image(img, lambda x: {'neg': -x.sum()}, num_iters=20, show=False,
                             progress=False)
    assert st._schedule(20) == (18, 19)
    assert torch.allclose(hist['image'], torch.full_like(img, 1.7), atol=1e-4)
    assert len(hist['loss']) == 20 and len(hist['neg']) == 20
    assert torch.equal(img, torch.zeros_like(img)), 'the input image must not be modified'


def _tiny_image(seed, size=48):
    import PIL.Image
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, size=(6, 8, 3), dtype=np.uint8)
    return PIL.Image.fromarray(base).resize((size * 4 // 3, size), PIL.Image.BILINEAR)


def test_style_transfer_lowers_total_loss(untrained_cnn, tmp_path):
    torch.manual_seed(0)
    out = tmp_path / 'result.jpg'
    hist = st.style_transfer(_tiny_image(1), _tiny_image(2), 48, 48, 3, 5e-2, STYLE_LAYERS,
                             (20000, 500, 12, 1), 5e-2, save_image=True, result_filename=str(out),
                             cnn=untrained_cnn, num_iters=60, show=False, progress=False)
    # lr 3.0 first overshoots (the loss rises for a few steps), then settles well below the start
    assert hist['loss'][-1] < 0.3 * hist['loss'][0], hist['loss'][::5]
    assert hist['style'][-1] < 0.1 * hist['style'][0]
    assert hist['image'].shape == (1, 3, 48, 64)
    assert out.exists()


def test_feature_inversion_lowers_content_loss(untrained_cnn):
    torch.manual_seed(0)
    hist = st.style_transfer(_tiny_image(3), _tiny_image(4), 48, 48, 3, 6e-2, STYLE_LAYERS,
                             [0, 0, 0, 0], 2e-2, init_random=True, cnn=untrained_cnn,
                             num_iters=30, show=False, progress=False)
    assert hist['content'][-1] < 0.2 * hist['content'][0]
    assert max(hist['style']) == 0


def test_blend_weights(untrained_cnn):
    a, b = _tiny_image(5), _tiny_image(6)
    only_a = st.style_targets_from_images([a, b], 48, STYLE_LAYERS, untrained_cnn, blend=[1, 0])
    single = st.style_targets_from_images(a, 48, STYLE_LAYERS, untrained_cnn)
    mixed = st.style_targets_from_images([a, b], 48, STYLE_LAYERS, untrained_cnn, blend=[3, 1])
    single_b = st.style_targets_from_images(b, 48, STYLE_LAYERS, untrained_cnn)
    for x, y, m, yb in zip(only_a, single, mixed, single_b):
        assert torch.allclose(x, y)
        assert torch.allclose(m, 0.75 * y + 0.25 * yb, atol=1e-7)


def test_guided_style_transfer_runs_and_lowers_loss(untrained_cnn):
    torch.manual_seed(0)
    masks = torch.zeros(2, 48, 64)
    masks[0, :, :32] = 1
    masks[1, :, 32:] = 1
    hist = st.guided_style_transfer(_tiny_image(7), [_tiny_image(8), _tiny_image(9)], masks, 48,
                                    48, 3, 5e-2, STYLE_LAYERS, (20000, 500, 12, 1), 5e-2,
                                    cnn=untrained_cnn, num_iters=60, show=False, progress=False)
    assert hist['loss'][-1] < 0.3 * hist['loss'][0], hist['loss'][::5]


def test_preserve_color_keeps_content_chroma():
    content, stylized = _tiny_image(10, 32), _tiny_image(11, 32)
    out = st.preserve_color(content, stylized)
    y_out, cb_out, _ = (np.asarray(c, dtype=float) for c in out.convert('YCbCr').split())
    y_sty = np.asarray(stylized.convert('YCbCr').split()[0], dtype=float)
    cb_c = np.asarray(content.convert('YCbCr').split()[1], dtype=float)
    assert np.abs(y_out - y_sty).mean() < 3 and np.abs(cb_out - cb_c).mean() < 3


# ----------------------------------------------------------------------------- course check values

def _style_image_or_skip(name):
    from eecs598.data import style_image
    from eecs598.resources import ResourceUnavailable
    try:
        return style_image(name)
    except ResourceUnavailable as err:
        pytest.skip(f'style image {name} unavailable: {err}')


def test_tv_loss_check_value_tubingen_192():
    """Spec C: 303.47 with the torchvision Resize/Normalize pipeline, independent of weights."""
    from a4_helper import preprocess
    img = preprocess(_style_image_or_skip('tubingen'), size=192)
    assert img.shape == (1, 3, 192, 256)
    out = st.tv_loss(img, 2e-2).item()
    assert rel_error(out, 303.47) < 1e-4, out


@pytest.fixture(scope='module')
def imagenet_cnn():
    from eecs598.pretrained import load_squeezenet
    from eecs598.resources import ResourceUnavailable
    try:
        model = load_squeezenet(pretrained=True, verbose=False)
    except ResourceUnavailable:
        pytest.skip('needs the ImageNet SqueezeNet 1.1 weights (IMAGENET1K_V1): unavailable offline;'
                    ' the check values were computed with them')
    cnn = model.features
    for p in cnn.parameters():
        p.requires_grad_(False)
    return cnn


@pytest.fixture(scope='module')
def answers():
    from eecs598.data import load_checks
    from eecs598.resources import ResourceUnavailable
    try:
        return load_checks('style_transfer_checks')
    except ResourceUnavailable as err:
        pytest.skip(f'style-transfer-checks.npz unavailable: {err}')


def test_content_loss_check_value(imagenet_cnn, answers):
    with torch.no_grad():
        feats, img = st.features_from_img(_style_image_or_skip('tubingen'), 192, imagenet_cnn)
        bad = st.extract_features(torch.zeros_like(img), imagenet_cnn)
        out = st.content_loss(6e-2, feats[3], bad[3]).item()
    assert rel_error(out, answers['cl_out']) < 1e-3


def test_gram_matrix_check_value(imagenet_cnn, answers):
    with torch.no_grad():
        feats, _ = st.features_from_img(_style_image_or_skip('starry_night'), 192, imagenet_cnn)
        out = st.gram_matrix(feats[5].clone()).cpu()
    assert rel_error(out.numpy(), answers['gm_out']) < 1e-3


def test_style_loss_check_value(imagenet_cnn, answers):
    with torch.no_grad():
        feats, _ = st.features_from_img(_style_image_or_skip('tubingen'), 192, imagenet_cnn)
        style_feats, _ = st.features_from_img(_style_image_or_skip('starry_night'), 192,
                                              imagenet_cnn)
        targets = [st.gram_matrix(style_feats[i].clone()) for i in STYLE_LAYERS]
        out = st.style_loss(feats, STYLE_LAYERS, targets, [300000, 1000, 15, 3]).item()
    assert rel_error(out, answers['sl_out']) < 1e-3
