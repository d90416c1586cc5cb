"""Loaders, pretrained-weight resolution and the original helpers of a4_helper.py."""
import numpy as np
import pytest
import torch

import a4_helper
from eecs598 import data, pretrained, resources
from eecs598.device import get_device, pick, run_mode


def need(name):
    if not resources.available(name):
        pytest.skip(f"{name} is not available offline here (set EECS598_DATA_MIRROR)")


def test_cifar_loader_layout_and_split():
    need("cifar10_subset")
    train, val, test = a4_helper.load_CIFAR(batch_size=32)
    x, y = next(iter(train))
    assert x.shape == (32, 3, 32, 32) and x.dtype == torch.float and y.dtype == torch.long
    assert train.dataset.train and not test.dataset.train
    train_idx, val_idx = set(train.sampler.indices), set(val.sampler.indices)
    assert not train_idx & val_idx and len(train_idx) + len(val_idx) == len(train.dataset)
    # normalisation: per-channel mean of the transformed data ~ (mean_data - MEAN) / STD
    arrays = data.load_cifar10_arrays()
    raw = torch.from_numpy(arrays["X_train"][:256]).float().div(255).permute(0, 3, 1, 2)
    mean, std = torch.tensor([0.4914, 0.4822, 0.4465]), torch.tensor([0.2023, 0.1994, 0.2010])  # the spec's
    expected = (raw - mean[:, None, None]) / std[:, None, None]
    got = torch.stack([train.dataset[i][0] for i in range(256)])
    assert torch.allclose(got, expected, atol=1e-5)


def test_cifar_subset_is_genuine():
    need("cifar10_subset")
    arrays = data.load_cifar10_arrays()
    assert arrays["X_train"].shape == (5438, 32, 32, 3) and arrays["X_test"].shape == (1017, 32, 32, 3)
    assert "SUBSET" in arrays["source"]
    assert list(arrays["y_train"][:10]) == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]  # data_batch_1 starts so


def test_mnist_and_idx_reader():
    need("mnist/t10k-images-idx3-ubyte.gz")
    images, labels = data.load_mnist(train=False)
    assert images.shape == (10000, 28, 28) and images.dtype == torch.uint8
    assert torch.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    train_images, train_labels = data.load_mnist(train=True)
    assert train_labels[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]
    assert len(train_images) == len(train_labels) >= 17435


def test_fashion_mnist_when_installed():
    need("fashion-mnist/t10k-images-idx3-ubyte.gz")
    images, labels = data.load_fashion_mnist(train=False)
    assert images.shape == (10000, 28, 28) and torch.bincount(labels).tolist() == [1000] * 10


def test_imagenet_val():
    need("imagenet_val_25")
    X, y, names = a4_helper.load_imagenet_val(num=5)
    assert X.shape == (5, 224, 224, 3) and X.dtype == np.uint8
    assert list(y) == [958, 85, 244, 182, 294] and len(names) == 1000 and names[134] == "crane"


def test_style_image_and_checks():
    need("style/tubingen.jpg")
    assert data.style_image("tubingen").size == (1024, 768)
    checks = data.load_checks("gan_checks")
    assert checks["logits_real"].shape == (10, 1)


def test_pretrained_choice_is_explicit_and_labelled(monkeypatch):
    monkeypatch.setenv(resources.OFFLINE_ENV, "1")
    if resources.available("squeezenet1_1"):
        pytest.skip("ImageNet weights are present here")
    with pytest.raises(resources.ResourceUnavailable):
        pretrained.load_squeezenet(pretrained=True, verbose=False)
    model = pretrained.load_squeezenet(pretrained="auto", verbose=False)
    assert not model.is_imagenet and "UNTRAINED" in model.weights_source
    again = pretrained.load_squeezenet(pretrained=False, verbose=False)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
    with pytest.raises(ValueError):
        pretrained.load_mobilenet_v2(pretrained="yes")


def test_pretrained_loads_weights_file(tmp_path, monkeypatch):
    """A weights file that passes its checksum is loaded and reported as ImageNet."""
    import torchvision
    state = torchvision.models.squeezenet1_1().state_dict()
    path = tmp_path / "w.pth"
    torch.save(state, path)
    digest = resources.file_digest(path, "sha256")
    res = resources.RESOURCES["squeezenet1_1"]
    monkeypatch.setitem(resources.RESOURCES, "squeezenet1_1",
                        resources.Resource(res.name, "w.pth", checksum=f"sha256-prefix:{digest[:8]}", mirror="w.pth"))
    monkeypatch.setenv(resources.MIRROR_ENV, str(tmp_path))
    monkeypatch.setenv(resources.DATA_DIR_ENV, str(tmp_path / "cache"))
    model = pretrained.load_squeezenet(pretrained=True, verbose=False)
    assert model.is_imagenet and torch.equal(model.features[0].weight, state["features.0.weight"])


def test_preprocess_deprocess_round_trip():
    from PIL import Image
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8))
    x = a4_helper.preprocess(img, size=40)
    assert x.shape == (1, 3, 40, 60)
    back = np.asarray(a4_helper.deprocess(x, should_rescale=False)).astype(int)
    assert np.abs(back - np.asarray(img).astype(int)).max() <= 1


def test_jitter_round_trip_and_direction():
    X = torch.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    J = a4_helper.jitter(X, 2, 1)
    assert torch.equal(J[:, :, 1:, 2:], X[:, :, :-1, :-2])
    assert torch.equal(a4_helper.jitter(J, -2, -1), X)


def test_blur_image_matches_gaussian_reference():
    from scipy.ndimage import gaussian_filter
    X = torch.randn(2, 3, 16, 16)
    expected = gaussian_filter(X.numpy(), sigma=(0, 0, 1.5, 1.5))
    out = a4_helper.blur_image(X, sigma=1.5)
    assert out is X and np.allclose(X.numpy(), expected, atol=1e-5)


def test_device_modes(monkeypatch):
    monkeypatch.setenv("EECS598_FAST", "1")
    assert run_mode() == "fast" and pick(full=3, cpu=2, fast=1) == 1
    monkeypatch.setenv("EECS598_FAST", "0")
    monkeypatch.setenv("EECS598_DEVICE", "cpu")
    assert get_device() == torch.device("cpu") and pick(full=3, cpu=2, fast=1) == 2
    assert run_mode("cuda") == "full"


def test_load_coco_rejects_a_broken_file(tmp_path):
    bad = tmp_path / "coco.pt"
    torch.save({"train_images": torch.zeros(2, 3, 4, 4)}, bad)  # float, missing keys
    with pytest.raises(ValueError, match="not a valid coco.pt"):
        a4_helper.load_COCO(path=str(bad), synthetic=False)
