"""Helpers shared by the Assignment 4 notebooks: image pre/post-processing and data loading.

Same names and semantics as the original ``a4_helper.py`` (EECS 498-007 FA2020), with these fixes:

* ``blur_image`` uses ``scipy.ndimage.gaussian_filter1d`` (``scipy.ndimage.filters`` is removed
  in current SciPy).
* ``load_CIFAR`` works offline: without the full CIFAR-10 it uses the data mirror's genuine subset
  and says so.
* ``load_imagenet_val`` looks for the file where it is downloaded (the original checked the working
  directory but downloaded to ``./datasets/``) and fills ImageNet class 134 ("crane"), which the
  original file's ``label_map`` lacks.
* ``load_COCO`` validates the file's layout and, when ``coco.pt`` cannot be had, returns a
  generated SYNTHETIC captioning set in the same layout, announced loudly.

``from a4_helper import *`` hands out every name the original hands out (it had no ``__all__``,
so its module-level imports came along: ``torch``, ``nn``, ``F``, ``optim``, ``np``, ``T``, ...).
Original student modules rely on that -- e.g. the FA2020 ``FeatureExtractor`` calls
``F.normalize`` without importing ``F`` -- so ``ORIGINAL_NAMES`` below are kept, bound to the same
objects; ``__all__`` adds this project's own public helpers and nothing else.
"""
import contextlib
import os
import pickle
import random
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision.datasets as dset
import torchvision.transforms as T
from PIL import Image
from scipy.ndimage import gaussian_filter1d
from torch.utils.data import DataLoader, Dataset, SubsetRandomSampler, sampler

from eecs598 import resources
from eecs598.data import load_cifar10_arrays

# What ``from a4_helper import *`` gave a student module in EECS 498-007 FA2020 (module imports,
# constants and functions of the original file, which had no ``__all__``).
ORIGINAL_NAMES = (
    "os", "pickle", "torch", "nn", "F", "optim", "DataLoader", "sampler", "OrderedDict", "dset", "T",
    "random", "np", "gaussian_filter1d", "SQUEEZENET_MEAN", "SQUEEZENET_STD", "preprocess",
    "deprocess", "rescale", "blur_image", "check_scipy", "jitter", "load_CIFAR", "load_imagenet_val",
    "load_COCO", "dump_results",
)
# Public helpers this project adds (the notebooks import them by name).
PROJECT_NAMES = (
    "hello_helper", "CIFAR_MEAN", "CIFAR_STD", "CIFAR10Arrays", "CaptionData", "MNIST_VIZ_SIZE",
    "MNIST_CLASS_NAMES", "MnistVizNet", "load_mnist_classifier", "load_mnist_val", "captioning_train",
    "extract_features_cached", "caption_bleu", "show_attention",
)
__all__ = list(ORIGINAL_NAMES + PROJECT_NAMES)

SQUEEZENET_MEAN = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float)
SQUEEZENET_STD = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float)


def hello_helper():
    print("Hello from a4_helper.py!")


# ----------------------------------------------------------------------------- images

def preprocess(img, size=224):
    """PIL image -> normalised float tensor (1, 3, H, W); the shorter side resized to ``size``."""
    transform = T.Compose([
        T.Resize(size),
        T.ToTensor(),
        T.Normalize(mean=SQUEEZENET_MEAN.tolist(), std=SQUEEZENET_STD.tolist()),
        T.Lambda(lambda x: x[None]),
    ])
    return transform(img)


def deprocess(img, should_rescale=True):
    """Tensor (1, 3, H, W) normalised as by :func:`preprocess` -> PIL image of element 0.

    Undoes the std, then the mean; with ``should_rescale`` min-max rescales to [0, 1].
    """
    transform = T.Compose([
        T.Lambda(lambda x: x[0]),
        T.Normalize(mean=[0, 0, 0], std=(1.0 / SQUEEZENET_STD).tolist()),
        T.Normalize(mean=(-SQUEEZENET_MEAN).tolist(), std=[1, 1, 1]),
        T.Lambda(rescale) if should_rescale else T.Lambda(lambda x: x),
        T.ToPILImage(),
    ])
    return transform(img.detach().cpu().float())


def rescale(x):
    """Min-max rescale a tensor to [0, 1]."""
    low, high = x.min(), x.max()
    return (x - low) / (high - low)


def blur_image(X, sigma=1):
    """Gaussian-blur a (N, C, H, W) tensor in place along H then W; returns X.

    Computed with SciPy on the CPU and copied back to X's device and dtype.
    """
    X_np = X.detach().cpu().numpy()
    X_np = gaussian_filter1d(X_np, sigma, axis=2)
    X_np = gaussian_filter1d(X_np, sigma, axis=3)
    X.copy_(torch.as_tensor(X_np, dtype=X.dtype, device=X.device))
    return X


def check_scipy():
    """Assert SciPy >= 0.16 (needed by :func:`blur_image`)."""
    import scipy

    major, minor = (int(v) for v in scipy.__version__.split(".")[:2])
    assert major > 0 or minor >= 16, "You must install SciPy >= 0.16.0 to complete this notebook."


def jitter(X, ox, oy):
    """Circularly shift a (N, C, H, W) tensor by ``ox`` columns and ``oy`` rows.

    The last ``ox`` columns move to the front, then the last ``oy`` rows; negative offsets undo a
    shift. Returns a new tensor.
    """
    if ox != 0:
        X = torch.cat([X[:, :, :, -ox:], X[:, :, :, :-ox]], dim=3)
    if oy != 0:
        X = torch.cat([X[:, :, -oy:], X[:, :, :-oy]], dim=2)
    return X


# ----------------------------------------------------------------------------- data

@contextlib.contextmanager
def _cache_dir(path):
    """Use ``path`` as the data cache for the duration of the block (None: leave it alone)."""
    if path is None:
        yield
        return
    old = os.environ.get(resources.DATA_DIR_ENV)
    os.environ[resources.DATA_DIR_ENV] = str(path)
    try:
        yield
    finally:
        if old is None:
            del os.environ[resources.DATA_DIR_ENV]
        else:
            os.environ[resources.DATA_DIR_ENV] = old


class CIFAR10Arrays(Dataset):
    """CIFAR-10 images held in memory; ``train`` is True for the training split, as torchvision's."""

    def __init__(self, images, labels, train, transform=None):
        self.images, self.labels, self.train, self.transform = images, labels, train, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        img = Image.fromarray(self.images[index])
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.labels[index])


CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2023, 0.1994, 0.2010)


def load_CIFAR(path=None, batch_size=64):
    """Return ``(loader_train, loader_val, loader_test)`` for CIFAR-10.

    Transform: ToTensor, then Normalize(CIFAR_MEAN, CIFAR_STD). With the full set, train and val
    are train images 0-48,999 and 49,000-49,999 (random order within each, as in the original);
    with the mirror's subset, the last 500 training images are the validation split.
    ``path`` overrides the data cache directory (default: ``EECS598_DATA_DIR`` or ``./datasets``).
    """
    with _cache_dir(path):
        data = load_cifar10_arrays()
    num_train = len(data["y_train"])
    num_val = 1000 if num_train >= 50000 else 500
    transform = T.Compose([T.ToTensor(), T.Normalize(CIFAR_MEAN, CIFAR_STD)])
    train_set = CIFAR10Arrays(data["X_train"], data["y_train"], True, transform)
    test_set = CIFAR10Arrays(data["X_test"], data["y_test"], False, transform)
    split = num_train - num_val
    loader_train = DataLoader(train_set, batch_size=batch_size, sampler=SubsetRandomSampler(range(split)))
    loader_val = DataLoader(train_set, batch_size=batch_size, sampler=SubsetRandomSampler(range(split, num_train)))
    loader_test = DataLoader(test_set, batch_size=batch_size)
    print(f"CIFAR-10 ({data['source']}): {split} train, {num_val} val, {len(test_set)} test images")
    return loader_train, loader_val, loader_test


def load_imagenet_val(num=None, path=None):
    """Load the 25 ImageNet validation images.

    Returns ``(X, y, class_names)``: X uint8 numpy (N, 224, 224, 3), y int64 (N,), and a dict from
    class index to name covering all 1000 classes. ``num`` keeps the first ``num`` images.
    """
    file = path if path is not None and os.path.exists(path) else resources.fetch("imagenet_val_25")
    with np.load(file, allow_pickle=True) as f:
        X, y, class_names = f["X"], f["y"], f["label_map"].item()
    class_names = dict(class_names)
    class_names.setdefault(134, "crane")  # the original file keeps only the other "crane", 517
    if num is not None:
        X, y = X[:num], y[:num]
    return X, y, class_names


class CaptionData(dict):
    """The ``coco.pt`` dict, plus ``source`` (what the data is) and ``is_synthetic``."""

    source = ""
    is_synthetic = False


_COCO_LAYOUT = {"train_images": (torch.uint8, 4), "train_captions": (torch.int64, 2),
                "val_images": (torch.uint8, 4), "val_captions": (torch.int64, 2)}


def _check_coco_layout(data, origin):
    for key, (dtype, ndim) in _COCO_LAYOUT.items():
        value = data.get(key)
        if not isinstance(value, torch.Tensor) or value.dtype != dtype or value.dim() != ndim:
            raise ValueError(f"{origin} is not a valid coco.pt: '{key}' should be a {ndim}-d {dtype} tensor")
    vocab = data.get("vocab", {})
    if not {"idx_to_token", "token_to_idx"} <= set(vocab):
        raise ValueError(f"{origin} is not a valid coco.pt: 'vocab' lacks idx_to_token/token_to_idx")
    for split in ("train", "val"):
        assert data[f"{split}_images"].shape[0] == data[f"{split}_captions"].shape[0], \
            f"shapes of {split} data do not match"


def load_COCO(path=None, synthetic="auto"):
    """Load the captioning data in the ``coco.pt`` layout and print its keys, shapes and dtypes.

    Keys: ``train_images`` uint8 (N,3,112,112), ``train_captions`` int64 (N,17), ``val_images``,
    ``val_captions``, ``vocab`` = {``idx_to_token``, ``token_to_idx``}.

    ``synthetic``: ``False`` -- the real ``coco.pt`` or an error; ``True`` -- the generated set;
    ``'auto'`` -- the real file when it can be had (cache or download), else the generated set,
    with a banner saying so. The returned dict's ``source`` and ``is_synthetic`` tell which.
    """
    if synthetic not in (True, False, "auto"):
        raise ValueError(f"synthetic must be True, False or 'auto', got {synthetic!r}")
    data = None
    if synthetic is not True:
        try:
            file = path if path is not None and os.path.exists(path) else resources.fetch("coco")
            data = CaptionData(torch.load(file, map_location="cpu", weights_only=True))
            _check_coco_layout(data, file)
            data.source = f"COCO captions (EECS 498 A4 coco.pt, {file})"
            edition = resources.identify("coco", file)
            if edition is not None and edition.label.startswith("STAND-IN"):  # online-path tests only
                data.source = f"{edition.label} (not COCO)"
        except resources.ResourceUnavailable:
            if synthetic is False:
                raise
    if data is None:
        from eecs598 import synthetic_captions

        data = CaptionData(synthetic_captions.load_or_make())
        data.source, data.is_synthetic = "SYNTHETIC generated shapes captions (not COCO)", True
        _check_coco_layout(data, "generated data")
        print("=" * 78 + f"\nSYNTHETIC DATA: {synthetic_captions.DESCRIPTION}\n" + "=" * 78)
    for key, value in data.items():
        if isinstance(value, torch.Tensor):
            print(key, type(value), value.shape, value.dtype)
        else:
            print(key, value.keys())
    return data


def dump_results(submission, path):
    """Pickle the ``submission`` dict to ``path``."""
    with open(path, "wb") as f:
        pickle.dump(submission, f)


# ============================================================================= Q3 network_visualization
# Offline substitute for the ImageNet SqueezeNet 1.1 (whose weights are not always available):
# a small digit classifier trained here, in a few tens of seconds, on the genuine MNIST images.
# It takes the same input as SqueezeNet -- (N, 3, H, W) RGB normalised with SQUEEZENET_MEAN/STD,
# as made by `preprocess` -- so saliency, fooling images and class visualization (clamping,
# `deprocess`) run unchanged on either model.

MNIST_VIZ_SIZE = 56        # pixels; MNIST's 28x28 upsampled x2 so maps and pictures are readable
MNIST_CLASS_NAMES = [str(d) for d in range(10)]
_MNIST_PIXEL_MEAN, _MNIST_PIXEL_STD = 0.1307, 0.3081  # the usual MNIST statistics
_MNIST_VIZ_TRAIN = dict(version=2, seed=0, max_train=20000, epochs=1, batch_size=64, lr=2e-3)


class _ToDigitInput(torch.nn.Module):
    """(N, 3, H, W) ImageNet-normalised RGB -> (N, 1, H, W) MNIST-normalised grey (luminance)."""

    def forward(self, x):
        mean = SQUEEZENET_MEAN.to(x.device, x.dtype).view(1, 3, 1, 1)
        std = SQUEEZENET_STD.to(x.device, x.dtype).view(1, 3, 1, 1)
        grey = (x * std + mean).mean(dim=1, keepdim=True)  # undo `preprocess`, average channels
        return (grey - _MNIST_PIXEL_MEAN) / _MNIST_PIXEL_STD


class MnistVizNet(torch.nn.Module):
    """Small CNN for 10 digit classes on (N, 3, H, W) inputs normalised like `preprocess`.

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
        x = torch.nn.functional.adaptive_avg_pool2d(self.to_input(x), 28)  # (N, 1, 28, 28)
        return self.classifier(self.features(x).flatten(1))


def _mnist_to_viz_rgb(images, size=MNIST_VIZ_SIZE):
    """uint8 (N, 28, 28) -> uint8 numpy (N, size, size, 3): bilinear upsampling, grey as RGB."""
    x = torch.as_tensor(images, dtype=torch.float32)[:, None]
    x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = x.round().clamp(0, 255).to(torch.uint8)
    return x.expand(-1, 3, -1, -1).permute(0, 2, 3, 1).contiguous().numpy()


def _viz_rgb_to_input(rgb):
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) normalised like `preprocess` (without resizing)."""
    x = torch.as_tensor(rgb).permute(0, 3, 1, 2).float() / 255.0
    return (x - SQUEEZENET_MEAN.view(1, 3, 1, 1)) / SQUEEZENET_STD.view(1, 3, 1, 1)


def _mnist_accuracy(model, images, labels, batch_size=1000):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(labels), batch_size):
            x = _viz_rgb_to_input(_mnist_to_viz_rgb(images[i:i + batch_size]))
            correct += (model(x).argmax(1) == labels[i:i + batch_size]).sum().item()
    return correct / len(labels)


def _train_mnist_viz_net(verbose=True):
    """Train MnistVizNet with a fixed seed on (up to 20,000) MNIST training images; ~30 s on a CPU."""
    import time

    from eecs598.data import load_mnist

    cfg = _MNIST_VIZ_TRAIN
    images, labels = load_mnist(train=True)
    images, labels = images[:cfg["max_train"]], labels[:cfg["max_train"]]
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
            x = _viz_rgb_to_input(_mnist_to_viz_rgb(images[idx]))
            loss = torch.nn.functional.cross_entropy(model(x), labels[idx])
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
                       test_accuracy=_mnist_accuracy(model, test_images, test_labels))


def load_mnist_classifier(retrain=False, verbose=True):
    """The project-trained digit classifier used when no ImageNet weights are available.

    Trained on first use (seeded, about half a minute on a laptop CPU) and cached under
    ``eecs598.resources.data_dir()/trained/``. Returns an eval-mode :class:`MnistVizNet` on the CPU
    with frozen parameters and the attributes of :mod:`eecs598.pretrained` models:
    ``weights_source`` (says what it is and its MNIST test accuracy), ``is_imagenet = False``,
    plus ``test_accuracy``, ``class_names`` and ``img_size``.
    """
    cfg = _MNIST_VIZ_TRAIN
    path = resources.data_dir() / "trained" / f"q3_mnist_viz_net_v{cfg['version']}.pt"
    model = MnistVizNet()
    if path.exists() and not retrain:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(ckpt["state_dict"])
        info = ckpt["info"]
        model.eval()
        if verbose:
            print(f"loaded the project-trained MNIST classifier from {path}")
    else:
        if verbose:
            print("training the MNIST digit classifier (once; cached afterwards) ...")
        model, info = _train_mnist_viz_net(verbose)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save({"state_dict": model.state_dict(), "info": info}, tmp)
        tmp.replace(path)
    for p in model.parameters():
        p.requires_grad_(False)
    model.test_accuracy = info["test_accuracy"]
    model.class_names = list(MNIST_CLASS_NAMES)
    model.img_size = MNIST_VIZ_SIZE
    model.is_imagenet = False
    model.weights_source = (f"project-trained MNIST digit CNN, NOT ImageNet ({info['num_train']:,} "
                            f"MNIST training images, test accuracy {100 * info['test_accuracy']:.1f}%)")
    if verbose:
        print(model.weights_source)
    return model


def load_mnist_val(num=25):
    """MNIST test digits in the format of :func:`load_imagenet_val`.

    Returns ``(X, y, class_names)``: X uint8 numpy (num, 56, 56, 3) (upsampled grey as RGB),
    y int64 numpy (num,), class_names a list of the 10 digit names. The images are taken class by
    class (first 0, first 1, ..., first 9, second 0, ...) so that every digit appears.
    """
    from eecs598.data import load_mnist

    images, labels = load_mnist(train=False)
    rank = torch.zeros_like(labels)
    for d in range(10):
        where = (labels == d).nonzero().flatten()
        rank[where] = torch.arange(len(where))
    order = sorted(range(len(labels)), key=lambda i: (rank[i].item(), labels[i].item()))[:num]
    order = torch.tensor(order)
    return _mnist_to_viz_rgb(images[order]), labels[order].numpy(), list(MNIST_CLASS_NAMES)


# ============================================================================= Q2 rnn_lstm_attention_captioning
# The captioning notebook's training loop (a real function: the original read its settings from
# notebook globals), cached feature extraction, BLEU on a split, and the sampling / attention
# figures.


def captioning_train(rnn_model, image_data, caption_data, lr_decay=1, learning_rate=1e-3,
                     num_epochs=80, batch_size=50, shuffle=True, seed=0, verbose=True, plot=True,
                     title=None):
    """Train a ``CaptioningRNN`` with Adam and a per-epoch learning-rate decay.

    Inputs:
    - rnn_model: the CaptioningRNN (its parameters' device is used for every minibatch).
    - image_data: (N, 3, 112, 112) uint8 images, or their precomputed MobileNet features
      ((N, 1280) or (N, 1280, 4, 4)); kept where they are and moved one minibatch at a time.
    - caption_data: (N, 17) int64 captions.
    - lr_decay: the learning rate is multiplied by this after every epoch (``LambdaLR``).
    - learning_rate, num_epochs, batch_size: as in the original (which read notebook globals).
    - shuffle: reshuffle the order every epoch (the original walked sequential slices); the order
      is drawn from a generator seeded with ``seed``, so runs repeat.
    - plot: draw the loss curve; title: its title.

    Returns ``(rnn_model, loss_history)``: one float per iteration.
    """
    import math
    import time

    import matplotlib.pyplot as plt
    from tqdm.auto import tqdm

    params = [p for p in rnn_model.parameters() if p.requires_grad]
    device = params[0].device
    optimizer = torch.optim.Adam(params, learning_rate)
    lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: lr_decay ** epoch)
    num_train = image_data.shape[0]
    iter_per_epoch = math.ceil(num_train / batch_size)
    gen = torch.Generator().manual_seed(seed)
    loss_history = []
    rnn_model.train()
    bar = tqdm(range(num_epochs), desc="training", disable=not verbose)
    for epoch in bar:
        start = time.time()
        order = torch.randperm(num_train, generator=gen) if shuffle else torch.arange(num_train)
        for j in range(iter_per_epoch):
            idx = order[j * batch_size:(j + 1) * batch_size]
            images = image_data[idx].to(device)
            captions = caption_data[idx].to(device)
            loss = rnn_model(images, captions)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            loss_history.append(loss.item())
            optimizer.step()
        lr_scheduler.step()
        bar.set_postfix(loss=f"{loss.item():.3f}", s_per_epoch=f"{time.time() - start:.1f}")
    if verbose:
        print(f"(Epoch {num_epochs} / {num_epochs}) final loss: {loss_history[-1]:.4f}")
    if plot:
        plt.figure(figsize=(6, 3.5))
        plt.plot(loss_history)
        plt.xlabel("Iteration")
        plt.ylabel("Loss")
        plt.title(title or "Training loss history")
        plt.show()
    return rnn_model, loss_history


def extract_features_cached(extractor, images, name=None, verbose=True):
    """``extractor.extract_mobilenet_feature(images)``, cached on disk.

    The cache file (under ``data_dir()/'trained'/'caption_features'``) is keyed by the extractor's
    weights, its output shape and a hash of the image bytes, so a stale cache is never used.
    Returns the (CPU) feature tensor.
    """
    import hashlib

    h = hashlib.sha256(extractor.weights_source.encode())
    with torch.no_grad():
        probe = extractor.mobilenet(torch.zeros(1, 3, 112, 112, device=extractor.device,
                                                dtype=extractor.dtype))
    h.update(str(tuple(probe.shape)).encode())
    h.update(images.contiguous().cpu().numpy().tobytes())
    folder = resources.data_dir() / "trained" / "caption_features"
    path = folder / f"{name or 'features'}_{h.hexdigest()[:16]}.pt"
    if path.exists():
        try:
            feats = torch.load(path, map_location="cpu", weights_only=True)
            if feats.shape[0] == images.shape[0]:
                if verbose:
                    print(f"loaded cached features {tuple(feats.shape)} from {path}")
                return feats
        except Exception:  # a truncated file: extract again
            pass
    from tqdm.auto import tqdm

    chunks = []
    for start in tqdm(range(0, images.shape[0], 250), desc=f"MobileNetV2 features ({name})",
                      disable=not verbose):
        chunks.append(extractor.extract_mobilenet_feature(images[start:start + 250]).cpu())
    feats = torch.cat(chunks)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(feats, tmp)
    os.replace(tmp, path)
    return feats


def _strip_tokens(caption_ids, idx_to_word):
    """Word list of one caption without <NULL>/<START>, cut at the first <END>."""
    words = []
    for i in caption_ids:
        w = idx_to_word[int(i)]
        if w == "<END>":
            break
        if w not in ("<NULL>", "<START>"):
            words.append(w)
    return words


def caption_bleu(model, image_data, caption_data, idx_to_word, batch_size=500, max_length=15):
    """Corpus BLEU-1..4 of the model's greedy captions against the ground-truth captions.

    Computed with ``nltk.translate.bleu_score.corpus_bleu`` (one reference per image, uniform
    n-gram weights, no smoothing); ``<START>``/``<END>``/``<NULL>`` are removed first.

    Returns ``{'BLEU-1': float, ..., 'BLEU-4': float}``.
    """
    from nltk.translate.bleu_score import corpus_bleu

    device = next(model.parameters()).device
    model.eval()
    hypotheses, references = [], []
    for start in range(0, image_data.shape[0], batch_size):
        out = model.sample(image_data[start:start + batch_size].to(device), max_length=max_length)
        sampled = out[0] if isinstance(out, tuple) else out
        for hyp, ref in zip(sampled.cpu(), caption_data[start:start + batch_size]):
            hypotheses.append(_strip_tokens(hyp, idx_to_word))
            references.append([_strip_tokens(ref, idx_to_word)])
    weights = [(1.0,), (0.5, 0.5), (1 / 3, 1 / 3, 1 / 3), (0.25, 0.25, 0.25, 0.25)]
    return {f"BLEU-{n}": float(corpus_bleu(references, hypotheses, weights=w))
            for n, w in enumerate(weights, start=1)}


def show_attention(image, tokens, attn_weights, title=None, nrow=8):
    """One tile per generated word: the image blended with that word's 4x4 attention map.

    Inputs:
    - image: (3, H, W) uint8 tensor.
    - tokens: list of L words (up to and including <END>).
    - attn_weights: (>= L, 4, 4) attention weights of those words.
    """
    import math

    import matplotlib.pyplot as plt
    from torchvision.utils import make_grid

    from eecs598.utils import attention_visualizer

    tiles = [torch.from_numpy(attention_visualizer(image, attn_weights[i], tok, "RGB")).permute(2, 0, 1)
             for i, tok in enumerate(tokens)]
    grid = make_grid(torch.stack(tiles), nrow=nrow, padding=2, pad_value=1.0)
    plt.figure(figsize=(2.0 * min(nrow, len(tiles)), 2.4 * math.ceil(len(tiles) / nrow)))
    plt.imshow(grid.permute(1, 2, 0).clamp(0, 1).numpy())
    plt.axis("off")
    if title:
        plt.title(title)
    plt.show()
