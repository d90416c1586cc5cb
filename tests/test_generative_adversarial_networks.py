"""Tests for generative_adversarial_networks.py (CS231n A3 GANs).

Losses are checked against CS231n's ``gan-checks-tf.npz`` and against PyTorch's own
``binary_cross_entropy_with_logits`` / ``mse_loss``; architectures by the spec's parameter counts
and by output shapes; training by one real iteration; the quality measure against scipy.
"""
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import generative_adversarial_networks as gan
from eecs598 import gan_quality
from eecs598.resources import ResourceUnavailable


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def checks():
    from eecs598.data import load_checks
    try:
        return load_checks("gan_checks")
    except ResourceUnavailable as e:
        pytest.skip(f"gan-checks-tf.npz unavailable: {e}")


# ----------------------------------------------------------------------------- sample_noise

def test_sample_noise_matches_spec():
    z = gan.sample_noise(3, 4, seed=231)
    assert isinstance(z, torch.Tensor) and z.shape == (3, 4) and z.dtype == torch.float32
    assert z.min() >= -1 and z.max() <= 1
    assert (z < 0).any() and (z > 0).any()
    torch.manual_seed(231)
    expected = torch.rand(3, 4) * 2 - 1  # the spec: uniform (-1, 1) built from torch.rand
    torch.testing.assert_close(z, expected)
    torch.testing.assert_close(gan.sample_noise(3, 4, seed=231), z)


def test_sample_noise_is_uniform_on_minus_one_one():
    z = gan.sample_noise(20000, 5, seed=0)
    assert abs(z.mean().item()) < 0.02
    assert abs(z.var().item() - 1 / 3) < 0.01  # variance of U(-1, 1)


# ----------------------------------------------------------------------------- architectures

@pytest.mark.parametrize("build, expected", [
    (lambda: gan.discriminator(), 267009),
    (lambda: gan.generator(4), 1858320),
    (lambda: gan.build_dc_classifier(128), 1102721),
    (lambda: gan.build_dc_generator(4), 6580801),
])
def test_parameter_counts(build, expected):
    assert gan.count_params(build()) == expected


def test_discriminator_and_generator_shapes():
    D, G = gan.discriminator(seed=0), gan.generator(seed=0)
    z = gan.sample_noise(5, gan.NOISE_DIM, seed=1)
    fake = G(z)
    assert fake.shape == (5, 784)
    assert fake.min() >= -1 and fake.max() <= 1  # tanh output
    assert D(fake).shape == (5, 1)
    assert D(fake.view(5, 1, 28, 28)).shape == (5, 1)
    torch.testing.assert_close(D(fake), D(fake.view(5, 1, 28, 28)))


def test_seeded_construction_repeats():
    a, b = gan.discriminator(seed=3), gan.discriminator(seed=3)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    a, b = gan.generator(seed=3), gan.generator(seed=3)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_discriminator_computes_the_spec_network():
    """Rebuild the spec's layers from D's own weights and compare outputs."""
    D = gan.discriminator(seed=0)
    linears = [m for m in D.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 256), (256, 256), (256, 1)]
    x = torch.randn(6, 1, 28, 28) * 3  # large inputs exercise the negative LeakyReLU slope
    h = F.leaky_relu(linears[0](x.view(6, -1)), 0.01)
    h = F.leaky_relu(linears[1](h), 0.01)
    torch.testing.assert_close(D(x), linears[2](h))


def test_generator_computes_the_spec_network():
    G = gan.generator(noise_dim=7, seed=0)
    linears = [m for m in G.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(7, 1024), (1024, 1024), (1024, 784)]
    z = gan.sample_noise(4, 7, seed=2)
    h = F.relu(linears[1](F.relu(linears[0](z))))
    torch.testing.assert_close(G(z), torch.tanh(linears[2](h)))


def test_dc_shapes_any_batch_size():
    D, G = gan.build_dc_classifier(128), gan.build_dc_generator()
    z = gan.sample_noise(128, gan.NOISE_DIM, seed=0)
    fake = G(z)
    assert fake.shape == torch.Size([128, 784])
    assert fake.min() >= -1 and fake.max() <= 1
    assert D(fake).shape == torch.Size([128, 1])
    # the original hard-coded the batch size in the classifier's reshape; this one does not
    G.eval()
    assert D(G(z[:7])).shape == (7, 1)
    assert D(torch.zeros(3, 1, 28, 28)).shape == (3, 1)


def test_dc_layers():
    D, G = gan.build_dc_classifier(128), gan.build_dc_generator()
    convs = [(m.in_channels, m.out_channels, m.kernel_size, m.stride) for m in D.modules()
             if isinstance(m, nn.Conv2d)]
    assert convs == [(1, 32, (5, 5), (1, 1)), (32, 64, (5, 5), (1, 1))]
    assert sum(isinstance(m, nn.MaxPool2d) for m in D.modules()) == 2
    assert all(m.negative_slope == 0.01 for m in D.modules() if isinstance(m, nn.LeakyReLU))
    deconvs = [(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding) for m in G.modules()
               if isinstance(m, nn.ConvTranspose2d)]
    assert deconvs == [(128, 64, (4, 4), (2, 2), (1, 1)), (64, 1, (4, 4), (2, 2), (1, 1))]
    bns = [type(m).__name__ + str(m.num_features) for m in G.modules()
           if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    assert bns == ["BatchNorm1d1024", "BatchNorm1d6272", "BatchNorm2d64"]


# ----------------------------------------------------------------------------- losses

def test_losses_match_check_file(checks):
    real, fake = torch.tensor(checks["logits_real"]), torch.tensor(checks["logits_fake"])
    assert gan.rel_error(checks["d_loss_true"], gan.discriminator_loss(real, fake).item()) < 1e-7
    assert gan.rel_error(checks["g_loss_true"], gan.generator_loss(fake).item()) < 1e-7
    assert gan.rel_error(checks["d_loss_lsgan_true"], gan.ls_discriminator_loss(real, fake).item()) < 1e-7
    assert gan.rel_error(checks["g_loss_lsgan_true"], gan.ls_generator_loss(fake).item()) < 1e-7


def test_check_file_values_are_the_spec_values(checks):
    assert float(checks["d_loss_true"]) == pytest.approx(1.8423983904443109, abs=1e-12)
    assert float(checks["g_loss_true"]) == pytest.approx(0.771286196423346, abs=1e-12)
    assert float(checks["d_loss_lsgan_true"]) == pytest.approx(1.8770293614440594, abs=1e-12)
    assert float(checks["g_loss_lsgan_true"]) == pytest.approx(0.816954786997558, abs=1e-12)


def test_losses_match_pytorch_builtins():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(32, 1, generator=g, dtype=torch.float64) * 4
    fake = torch.randn(32, 1, generator=g, dtype=torch.float64) * 4
    bce = F.binary_cross_entropy_with_logits
    torch.testing.assert_close(gan.discriminator_loss(real, fake),
                               bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake)))
    torch.testing.assert_close(gan.generator_loss(fake), bce(fake, torch.ones_like(fake)))
    torch.testing.assert_close(gan.ls_discriminator_loss(real, fake),
                               0.5 * F.mse_loss(real, torch.ones_like(real)) + 0.5 * (fake ** 2).mean())
    torch.testing.assert_close(gan.ls_generator_loss(fake), 0.5 * F.mse_loss(fake, torch.ones_like(fake)))


def test_losses_are_stable_and_differentiable():
    real = torch.tensor([[200.0], [-200.0], [0.0]], requires_grad=True)
    fake = torch.tensor([[-300.0], [300.0], [1.0]], requires_grad=True)
    loss = gan.discriminator_loss(real, fake) + gan.generator_loss(fake)
    assert torch.isfinite(loss)
    loss.backward()
    assert torch.isfinite(real.grad).all() and torch.isfinite(fake.grad).all()
    # -200 real and +300 fake are wrong by 200 and 300 nats; averaged over 3 each
    expected = (200 + np.log1p(1)) / 3 + (300 + np.log1p(np.e ** -1) + 1) / 3 \
        + (300 + np.log1p(np.e ** -1)) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_bce_rejects_broadcasting():
    with pytest.raises(ValueError):
        gan.bce_loss(torch.zeros(4, 1), torch.ones(4))


def test_get_optimizer():
    model = nn.Linear(3, 2)
    opt = gan.get_optimizer(model)
    assert isinstance(opt, torch.optim.Adam)
    group = opt.param_groups[0]
    assert group["lr"] == 1e-3 and tuple(group["betas"]) == (0.5, 0.999)
    assert {id(p) for p in group["params"]} == {id(p) for p in model.parameters()}


# ----------------------------------------------------------------------------- training

def _tiny_loader(n=16, batch=8):
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
    return gan.make_loader(images, batch_size=batch, num_train=n)


def test_make_loader():
    images = torch.arange(10 * 784).remainder(256).to(torch.uint8).view(10, 28, 28)
    loader = gan.make_loader(images, batch_size=4, num_train=6, start=2)
    batches = [x for x, _ in loader]
    assert [b.shape for b in batches] == [(4, 1, 28, 28), (2, 1, 28, 28)]
    torch.testing.assert_close(torch.cat(batches)[:, 0], images[2:8].float() / 255)
    assert len(gan.make_loader(images, batch_size=4, num_train=50)) == 3  # clipped to 10 images


@pytest.mark.parametrize("kind", ["vanilla", "ls", "dc"])
def test_one_iteration_changes_both_networks(kind):
    torch.manual_seed(0)
    if kind == "dc":
        D, G = gan.build_dc_classifier(8), gan.build_dc_generator()
        D.apply(gan.initialize_weights)
        G.apply(gan.initialize_weights)
    else:
        D, G = gan.discriminator(seed=0), gan.generator(seed=0)
    losses = (gan.ls_discriminator_loss, gan.ls_generator_loss) if kind == "ls" else \
        (gan.discriminator_loss, gan.generator_loss)
    before_D = [p.detach().clone() for p in D.parameters()]
    before_G = [p.detach().clone() for p in G.parameters()]
    images, history = gan.run_a_gan(D, G, gan.get_optimizer(D), gan.get_optimizer(G), *losses,
                                    _tiny_loader(), show_every=1, batch_size=8, num_iters=1,
                                    return_history=True, progress=False)
    assert len(history["d_loss"]) == len(history["g_loss"]) == 1
    assert np.isfinite(history["d_loss"]).all() and np.isfinite(history["g_loss"]).all()
    assert all(not torch.equal(a, b) for a, b in zip(before_D, D.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(before_G, G.parameters()))
    assert len(images) == 1 and images[0].shape == (8, 784)  # 16 requested, batch is 8


def test_run_a_gan_original_interface():
    """Called as in the original: returns only the list of samples, one every show_every."""
    D, G = gan.discriminator(seed=0), gan.generator(seed=0)
    images = gan.run_a_gan(D, G, gan.get_optimizer(D), gan.get_optimizer(G), gan.discriminator_loss,
                           gan.generator_loss, _tiny_loader(n=40, batch=8), show_every=2,
                           batch_size=8, num_epochs=1, progress=False)
    assert isinstance(images, list) and len(images) == 3  # iterations 0, 2, 4 of 5
    assert all(im.shape == (8, 784) and np.abs(im).max() <= 1 for im in images)


def test_first_vanilla_losses_are_near_log2():
    """Untrained D outputs ~0 logits, so D loss ~2 log 2 and G loss ~log 2 at iteration 0."""
    D, G = gan.discriminator(seed=0), gan.generator(seed=0)
    _, history = gan.run_a_gan(D, G, gan.get_optimizer(D), gan.get_optimizer(G), gan.discriminator_loss,
                               gan.generator_loss, _tiny_loader(), batch_size=8, num_iters=1,
                               return_history=True, progress=False)
    assert history["d_loss"][0] == pytest.approx(2 * np.log(2), abs=0.15)
    assert history["g_loss"][0] == pytest.approx(np.log(2), abs=0.15)


# ----------------------------------------------------------------------------- quality measure

def test_frechet_distance_matches_scipy():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(400, 6)) * 2 + 1
    mu1, mu2, s1, s2 = a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy_linalg.sqrtm(s1 @ s2).real
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)
    assert gan_quality.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert gan_quality.frechet_distance(a, a) == pytest.approx(0, abs=1e-6)


def test_classifier_score_bounds():
    K = 10
    assert gan_quality.classifier_score(np.eye(K)[np.arange(100) % K]) == pytest.approx(K, rel=1e-6)
    assert gan_quality.classifier_score(np.tile(np.eye(K)[3], (50, 1))) == pytest.approx(1, rel=1e-6)
    assert gan_quality.classifier_score(np.full((50, K), 1 / K)) == pytest.approx(1, rel=1e-6)


def test_quality_classifier_learns_and_is_deterministic():
    from eecs598.data import load_mnist
    try:
        images, labels = load_mnist(train=False)
    except ResourceUnavailable as e:
        pytest.skip(f"MNIST unavailable: {e}")
    a = gan_quality.train_quality_classifier(images[:3000], labels[:3000], steps=120, progress=False)
    b = gan_quality.train_quality_classifier(images[:3000], labels[:3000], steps=120, progress=False)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    assert gan_quality.classifier_accuracy(a, images[5000:7000], labels[5000:7000]) > 0.85
    real = gan.preprocess_img(images[5000:6000].float() / 255).view(-1, 784)
    q_real = gan_quality.sample_quality(a, real, gan_quality.classifier_outputs(a, gan.preprocess_img(
        images[7000:9000].float() / 255).view(-1, 784))[1])
    noise = gan.sample_noise(1000, 784, seed=0)
    q_noise = gan_quality.sample_quality(a, noise, gan_quality.classifier_outputs(a, gan.preprocess_img(
        images[7000:9000].float() / 255).view(-1, 784))[1])
    assert q_real["score"] > 5 > q_noise["score"]
    assert q_real["fd"] * 10 < q_noise["fd"]


def test_generate_samples_is_seeded_and_keeps_mode():
    G = gan.build_dc_generator()
    G.train()
    a = gan_quality.generate_samples(G, 10, seed=5)
    b = gan_quality.generate_samples(G, 10, seed=5)
    assert a.shape == (10, 784) and torch.equal(a, b)
    assert G.training


def test_image_grid_and_save(tmp_path):
    images = gan.sample_noise(16, 784, seed=0)
    grid = gan.image_grid(images)
    assert grid.dtype == np.uint8 and grid.shape == (4 * 30 + 2, 4 * 30 + 2)
    path = gan.save_images(images, tmp_path / "grid.jpg")
    from PIL import Image
    assert Image.open(path).size == (2 * grid.shape[1], 2 * grid.shape[0])
