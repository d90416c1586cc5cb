"""The offline stand-in for ImageNet SqueezeNet in the network-visualization notebook (Q3).

Without the ImageNet weights, saliency maps, fooling images and class visualizations need some
trained classifier to be meaningful. This module trains a small digit CNN on the genuine MNIST
images (seeded, about half a minute on a laptop CPU) and caches it with
:func:`eecs598.model_cache.load_or_train`. It takes the same input as SqueezeNet -- (N, 3, H, W)
RGB normalised with the ImageNet mean and std, as made by ``a4_helper.preprocess`` -- so the
notebook's code (clamping, ``deprocess``) runs unchanged on either model.

Shapes: N images, H = W = ``MNIST_VIZ_SIZE`` = 56 pixels (MNIST's 28x28 upsampled x2).
"""
import time

import torch
import torch.nn.functional as F
from torch import nn

from . import model_cache
from .data import load_mnist

MNIST_VIZ_SIZE = 56        # pixels; MNIST's 28x28 upsampled x2 so maps and pictures are readable
MNIST_CLASS_NAMES = [str(d) for d in range(10)]
IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406])  # a4_helper.SQUEEZENET_MEAN / _STD
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225])
_MNIST_PIXEL_MEAN, _MNIST_PIXEL_STD = 0.1307, 0.3081  # the usual MNIST statistics
# Every hyperparameter of the training (the cache key holds them all, plus data and code).
TRAINING = dict(seed=0, max_train=20000, epochs=1, batch_size=64, lr=2e-3)


class _ToDigitInput(nn.Module):
    """(N, 3, H, W) ImageNet-normalised RGB -> (N, 1, H, W) MNIST-normalised grey (luminance)."""

    def forward(self, x):
        mean = IMAGENET_MEAN.to(x.device, x.dtype).view(1, 3, 1, 1)
        std = IMAGENET_STD.to(x.device, x.dtype).view(1, 3, 1, 1)
        grey = (x * std + mean).mean(dim=1, keepdim=True)  # undo `preprocess`, average channels
        return (grey - _MNIST_PIXEL_MEAN) / _MNIST_PIXEL_STD


class MnistVizNet(nn.Module):
    """Small CNN for 10 digit classes on (N, 3, H, W) inputs normalised like ``preprocess``.

    The input is turned into grey and average-pooled to MNIST's 28x28 (so a 56x56 picture shows
    each digit pixel as 2x2 pixels). ``features`` ends with the last convolutional block,
    (N, 64, 7, 7), the layer for Grad-CAM; one linear layer gives the (N, 10) scores.
    """

    def __init__(self):
        super().__init__()
        self.to_input = _ToDigitInput()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),    # (N, 16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (N, 32, 7, 7)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),                    # (N, 64, 7, 7)
        )
        self.classifier = nn.Linear(64 * 7 * 7, 10)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.to_input(x), 28)  # (N, 1, 28, 28)
        return self.classifier(self.features(x).flatten(1))


def mnist_to_viz_rgb(images, size=MNIST_VIZ_SIZE):
    """uint8 (N, 28, 28) -> uint8 numpy (N, size, size, 3): bilinear upsampling, grey as RGB."""
    x = torch.as_tensor(images, dtype=torch.float32)[:, None]
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = x.round().clamp(0, 255).to(torch.uint8)
    return x.expand(-1, 3, -1, -1).permute(0, 2, 3, 1).contiguous().numpy()


def viz_rgb_to_input(rgb):
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) normalised like ``preprocess`` (without resizing)."""
    x = torch.as_tensor(rgb).permute(0, 3, 1, 2).float() / 255.0
    return (x - IMAGENET_MEAN.view(1, 3, 1, 1)) / IMAGENET_STD.view(1, 3, 1, 1)


def mnist_accuracy(model, images, labels, batch_size=1000):
    """Fraction of uint8 (N, 28, 28) digits that ``model`` classifies as ``labels`` (N,)."""
    correct = 0
    with torch.no_grad():
        for i in range(0, len(labels), batch_size):
            x = viz_rgb_to_input(mnist_to_viz_rgb(images[i:i + batch_size]))
            correct += (model(x).argmax(1) == labels[i:i + batch_size]).sum().item()
    return correct / len(labels)


def train_mnist_viz_net(cfg, images, labels, verbose=True):
    """Train a :class:`MnistVizNet` on uint8 images (N, 28, 28), labels (N,); seeded by ``cfg``.

    Adam with a one-cycle schedule, ``cfg['epochs']`` passes in batches of ``cfg['batch_size']``.
    Returns ``(model, info)``: the eval-mode model and ``num_train``, ``seconds``, ``test_accuracy``
    (on the MNIST test set).
    """
    gen = torch.Generator().manual_seed(cfg["seed"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg["seed"])
        model = MnistVizNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    steps = cfg["epochs"] * ((len(labels) + cfg["batch_size"] - 1) // cfg["batch_size"])
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg["lr"], total_steps=steps)
    start = time.time()
    model.train()
    for epoch in range(cfg["epochs"]):
        order = torch.randperm(len(labels), generator=gen)
        for i in range(0, len(labels), cfg["batch_size"]):
            idx = order[i:i + cfg["batch_size"]]
            x = viz_rgb_to_input(mnist_to_viz_rgb(images[idx]))
            loss = F.cross_entropy(model(x), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        if verbose:
            print(f"  epoch {epoch + 1}/{cfg['epochs']}: last batch loss {loss.item():.3f} "
                  f"({time.time() - start:.0f} s)")
    model.eval()
    test_images, test_labels = load_mnist(train=False)
    return model, dict(num_train=len(labels), seconds=time.time() - start,
                       test_accuracy=mnist_accuracy(model, test_images, test_labels))


def load_mnist_classifier(retrain=False, verbose=True, **training):
    """The project-trained digit classifier used when no ImageNet weights are available.

    Trained on first use and cached (:mod:`eecs598.model_cache`); keyword arguments override
    :data:`TRAINING` (e.g. ``epochs=2``), and any change trains a new model. Returns an eval-mode
    :class:`MnistVizNet` on the CPU with frozen parameters and the attributes of
    :mod:`eecs598.pretrained` models: ``weights_source`` (what it is and its MNIST test accuracy),
    ``is_imagenet = False``, plus ``test_accuracy``, ``class_names``, ``img_size`` and ``cache``
    (the line saying whether it was trained or loaded).
    """
    unknown = set(training) - set(TRAINING)
    if unknown:
        raise TypeError(f"unknown training settings {sorted(unknown)}; known: {sorted(TRAINING)}")
    cfg = dict(TRAINING, **training)
    images, labels = load_mnist(train=True)
    images, labels = images[:cfg["max_train"]], labels[:cfg["max_train"]]
    config = dict(cfg, size=MNIST_VIZ_SIZE, imagenet=[IMAGENET_MEAN.tolist(), IMAGENET_STD.tolist()],
                  mnist=[_MNIST_PIXEL_MEAN, _MNIST_PIXEL_STD],
                  data=model_cache.data_fingerprint(images, labels),
                  code=model_cache.code_version(_ToDigitInput, MnistVizNet, mnist_to_viz_rgb,
                                                viz_rgb_to_input, train_mnist_viz_net))
    model, info, how = model_cache.load_or_train(
        "mnist_digit_cnn", config, lambda: train_mnist_viz_net(cfg, images, labels, verbose),
        MnistVizNet, retrain=retrain)
    for p in model.parameters():
        p.requires_grad_(False)
    model.test_accuracy = info["test_accuracy"]
    model.class_names = list(MNIST_CLASS_NAMES)
    model.img_size = MNIST_VIZ_SIZE
    model.is_imagenet = False
    model.cache = how
    model.weights_source = (f"project-trained MNIST digit CNN, NOT ImageNet ({info['num_train']:,} "
                            f"MNIST training images, test accuracy {100 * info['test_accuracy']:.1f}%)")
    if verbose:
        print(model.weights_source)
    return model


def load_mnist_val(num=25):
    """MNIST test digits in the format of ``a4_helper.load_imagenet_val``.

    Returns ``(X, y, class_names)``: X uint8 numpy (num, 56, 56, 3) (upsampled grey as RGB),
    y int64 numpy (num,), class_names a list of the 10 digit names. The images are taken class by
    class (first 0, first 1, ..., first 9, second 0, ...) so that every digit appears.
    """
    images, labels = load_mnist(train=False)
    rank = torch.zeros_like(labels)
    for d in range(10):
        where = (labels == d).nonzero().flatten()
        rank[where] = torch.arange(len(where))
    order = sorted(range(len(labels)), key=lambda i: (rank[i].item(), labels[i].item()))[:num]
    order = torch.tensor(order)
    return mnist_to_viz_rgb(images[order]), labels[order].numpy(), list(MNIST_CLASS_NAMES)
