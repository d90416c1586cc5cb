"""Tests for network_visualization.py, the Q3 helpers of a4_helper.py and eecs598.digit_classifier.

Each student function is checked against an independent computation (plain autograd, Captum,
torchattacks, scipy-free Gaussian blur, torch.roll); the attacks must really change the prediction;
the project-trained MNIST classifier must reach its accuracy and be fooled on every test image.
The ImageNet path is exercised through the same functions with an untrained SqueezeNet (shapes
only: no numbers are claimed for random weights)."""
import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

import a4_helper
import network_visualization as nv
from eecs598 import digit_classifier, resources


def _rand(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g)


def _tiny_model(seed=0, num_classes=10):
    """A small, seeded CNN on (N, 3, 16, 16) images with frozen weights (the test subject)."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(4), torch.nn.Flatten(), torch.nn.Linear(128, num_classes),
    ).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


# ----------------------------------------------------------------------------- saliency

def _saliency_reference(X, y, model):
    """Per-image autograd.grad of the correct score, |.|, max over channels."""
    maps = []
    for n in range(X.shape[0]):
        x = X[n:n + 1].detach().clone().requires_grad_()
        g, = torch.autograd.grad(model(x)[0, y[n]], x)
        maps.append(g.abs().amax(dim=1)[0])
    return torch.stack(maps)


def test_saliency_matches_per_image_autograd():
    model, X, y = _tiny_model(), _rand(4, 3, 16, 16, seed=1), torch.tensor([0, 3, 7, 3])
    sal = nv.compute_saliency_maps(X.clone(), y, model)
    assert sal.shape == (4, 16, 16)
    assert (sal >= 0).all()
    assert torch.allclose(sal, _saliency_reference(X, y, model), rtol=1e-5, atol=1e-7)


def test_saliency_matches_captum_on_squeezenet_shape():
    captum = pytest.importorskip("captum.attr")
    torch.manual_seed(0)
    model = torchvision.models.squeezenet1_1(weights=None).eval()  # untrained: shapes/parity only
    X, y = _rand(2, 3, 64, 64, seed=2), torch.tensor([5, 999])
    sal = nv.compute_saliency_maps(X.clone(), y, model)
    ref = captum.Saliency(model).attribute(X.clone(), target=y, abs=True).amax(dim=1)
    assert sal.shape == (2, 64, 64)
    assert torch.allclose(sal, ref, rtol=1e-5, atol=1e-8)


# ----------------------------------------------------------------------------- adversarial attack

def test_adversarial_attack_fools_and_leaves_input_untouched(capsys):
    model = _tiny_model()
    X = _rand(1, 3, 16, 16, seed=3)
    X_copy = X.clone()
    pred = model(X).argmax(1).item()
    target = (pred + 1) % 10
    X_adv = nv.make_adversarial_attack(X, target, model, max_iter=100, verbose=True)
    assert torch.equal(X, X_copy)
    assert X_adv.shape == X.shape
    assert model(X_adv.detach()).argmax(1).item() == target
    out = capsys.readouterr().out
    assert out.startswith("Iteration 0: target score ")
    # One update per printed line except the last; each update has L2 norm learning_rate = 1.
    steps = out.count("Iteration") - 1
    assert steps >= 1
    assert (X_adv.detach() - X).norm().item() <= steps + 1e-4


def test_adversarial_attack_step_is_normalised_gradient():
    model = _tiny_model()
    X = _rand(1, 3, 16, 16, seed=4)
    target = (model(X).argmax(1).item() + 1) % 10
    X_adv = nv.make_adversarial_attack(X, target, model, max_iter=1, verbose=False)
    x = X.clone().requires_grad_()
    g, = torch.autograd.grad(model(x)[0, target], x)
    assert torch.allclose(X_adv.detach(), X + g / g.norm(), atol=1e-6)


# ----------------------------------------------------------------------------- class visualization

def _regularised_score(img, target, model, l2_reg):
    with torch.no_grad():
        return (model(img)[0, target] - l2_reg * img.square().sum()).item()


def test_class_visualization_step_increases_regularised_score():
    model = _tiny_model()
    img = _rand(1, 3, 16, 16, seed=5).requires_grad_()
    before = _regularised_score(img, 2, model, 1e-3)
    start = img.detach().clone()
    out = nv.class_visualization_step(img, 2, model, l2_reg=1e-3, learning_rate=0.05)
    assert out is img
    assert _regularised_score(img, 2, model, 1e-3) > before
    assert img.grad is None or torch.count_nonzero(img.grad) == 0
    # The step is learning_rate * g / ||g|| with g the gradient of s_y - l2_reg * ||I||^2.
    x = start.clone().requires_grad_()
    g, = torch.autograd.grad(model(x)[0, 2] - 1e-3 * x.square().sum(), x)
    assert torch.allclose(img.detach(), start + 0.05 * g / g.norm(), atol=1e-6)


def test_create_class_visualization_runs_and_returns_image():
    import random

    random.seed(0)
    torch.manual_seed(0)
    img = nv.create_class_visualization(1, _tiny_model(), ["a", "b"], img_size=16, num_iterations=3,
                                        max_jitter=2, show=False)
    assert isinstance(img, Image.Image) and img.size == (16, 16)


# ----------------------------------------------------------------------------- a4_helper images

def test_jitter_round_trips_and_is_a_roll():
    X = _rand(2, 3, 9, 11, seed=6)
    Y = a4_helper.jitter(X, 3, 5)
    assert torch.equal(Y, torch.roll(X, shifts=(5, 3), dims=(2, 3)))
    assert torch.equal(a4_helper.jitter(Y, -3, -5), X)
    assert torch.equal(a4_helper.jitter(X, 0, 0), X)


def _gaussian_blur_reference(x, sigma):
    """Separable Gaussian (radius int(4 sigma + 0.5)) with half-sample symmetric edges, in numpy."""
    radius = int(4 * sigma + 0.5)
    t = np.arange(-radius, radius + 1)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k /= k.sum()
    for axis in (2, 3):
        pad = [(0, 0)] * 4
        pad[axis] = (radius, radius)
        xp = np.pad(x, pad, mode="symmetric")
        n = x.shape[axis]
        x = sum(k[j] * np.take(xp, np.arange(j, j + n), axis=axis) for j in range(2 * radius + 1))
    return x


@pytest.mark.parametrize("sigma", [0.5, 1.0])
def test_blur_image_matches_gaussian_reference(sigma):
    X = _rand(2, 3, 12, 10, seed=7).double()
    expected = _gaussian_blur_reference(X.numpy().copy(), sigma)
    out = a4_helper.blur_image(X, sigma=sigma)
    assert out is X  # in place
    np.testing.assert_allclose(X.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_preprocess_deprocess_round_trip():
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, size=(20, 24, 3), dtype=np.uint8)
    x = a4_helper.preprocess(Image.fromarray(arr), size=20)
    assert x.shape == (1, 3, 20, 24)
    back = np.asarray(a4_helper.deprocess(x, should_rescale=False))
    assert np.abs(back.astype(int) - arr.astype(int)).max() <= 1


# ----------------------------------------------------------------------------- going further

def _pixel_model(seed=0):
    """The tiny model behind a normalisation layer: it takes images in [0, 1], like torchattacks."""
    mean = a4_helper.SQUEEZENET_MEAN.view(1, 3, 1, 1)
    std = a4_helper.SQUEEZENET_STD.view(1, 3, 1, 1)

    class Normalize(torch.nn.Module):
        def forward(self, x):
            return (x - mean) / std

    return torch.nn.Sequential(Normalize(), _tiny_model(seed)).eval()


@pytest.mark.parametrize("targeted,random_start", [(False, False), (True, False), (False, True)])
def test_pgd_matches_torchattacks(targeted, random_start):
    torchattacks = pytest.importorskip("torchattacks")
    model = _pixel_model()
    X = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(8))
    y = model(X).argmax(1)
    labels = (y + 3) % 10 if targeted else y
    atk = torchattacks.PGD(model, eps=8 / 255, alpha=2 / 255, steps=5, random_start=random_start)
    if targeted:
        atk.set_mode_targeted_by_label(quiet=True)
    torch.manual_seed(9)
    ref = atk(X, labels)
    torch.manual_seed(9)
    out = nv.pgd_attack(X, labels, model, eps=8 / 255, alpha=2 / 255, steps=5, targeted=targeted,
                        random_start=random_start)
    assert (out - X).abs().max() <= 8 / 255 + 1e-6
    assert out.min() >= 0 and out.max() <= 1
    assert torch.allclose(out, ref, atol=1e-6)


def test_pgd_untargeted_lowers_correct_class_probability():
    model = _pixel_model()
    X = torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(10))
    y = model(X).argmax(1)
    X_adv = nv.pgd_attack(X, y, model, eps=16 / 255, alpha=4 / 255, steps=10)
    p = model(X).softmax(1).gather(1, y[:, None])
    p_adv = model(X_adv).softmax(1).gather(1, y[:, None])
    assert (p_adv < p).all()


def test_grad_cam_matches_captum():
    captum = pytest.importorskip("captum.attr")
    model = _tiny_model()
    layer = model[2]  # second conv: (N, 8, 16, 16)
    X, y = _rand(3, 3, 16, 16, seed=11), torch.tensor([1, 4, 9])
    cam = nv.grad_cam(X, y, model, layer)
    ref = captum.LayerGradCam(model, layer).attribute(X, target=y, relu_attributions=True)
    assert cam.shape == (3, 16, 16)
    assert (cam >= 0).all()
    assert torch.allclose(cam, ref[:, 0], rtol=1e-5, atol=1e-7)


def test_smooth_grad_matches_captum_noise_tunnel():
    captum = pytest.importorskip("captum.attr")
    model = _tiny_model()
    X, y = _rand(2, 3, 16, 16, seed=12), torch.tensor([0, 5])
    torch.manual_seed(13)
    sg = nv.smooth_grad(X, y, model, num_samples=6, stdev=0.2)
    torch.manual_seed(13)
    ref = captum.NoiseTunnel(captum.Saliency(model)).attribute(
        X, nt_type="smoothgrad", nt_samples=6, stdevs=0.2, target=y, abs=True).amax(dim=1)
    assert sg.shape == (2, 16, 16)
    assert torch.allclose(sg, ref, rtol=1e-5, atol=1e-7)
    # Without noise SmoothGrad is the plain saliency map.
    assert torch.allclose(nv.smooth_grad(X, y, model, num_samples=2, stdev=0.0),
                          nv.compute_saliency_maps(X.clone(), y, model), atol=1e-7)


# ----------------------------------------------------------------------------- offline classifier

@pytest.fixture(scope="module")
def mnist_model():
    if not (resources.available("mnist/t10k-images-idx3-ubyte.gz")
            and (resources.available("mnist/train-images-idx3-ubyte.gz")
                 or resources.available("mnist_subset/train-images-idx3-ubyte.gz"))):
        pytest.skip("MNIST is not available (set EECS598_DATA_MIRROR or allow the download)")
    return digit_classifier.load_mnist_classifier(verbose=False)


def test_mnist_classifier_quality_and_attack(mnist_model):
    assert not mnist_model.is_imagenet and "NOT ImageNet" in mnist_model.weights_source
    assert mnist_model.test_accuracy >= 0.97
    X_np, y_np, names = digit_classifier.load_mnist_val(25)
    assert X_np.shape == (25, 56, 56, 3) and X_np.dtype == np.uint8 and sorted(set(y_np)) == list(range(10))
    X = torch.cat([a4_helper.preprocess(Image.fromarray(x), size=56) for x in X_np])
    y = torch.from_numpy(y_np)
    assert (mnist_model(X).argmax(1) == y).float().mean() >= 0.96
    for i in range(25):
        target = 6 if y_np[i] != 6 else 0
        X_adv = nv.make_adversarial_attack(X[i:i + 1], target, mnist_model, max_iter=100, verbose=False)
        assert mnist_model(X_adv.detach()).argmax(1).item() == target, f"image {i} not fooled"
