"""Helpers shared by the Assignment 4 notebooks: image pre/post-processing and data loading.

The original ``a4_helper.py`` of EECS 498-007 FA2020: the same names, signatures and semantics,
with these fixes:

* ``blur_image`` uses ``scipy.ndimage.gaussian_filter1d`` (``scipy.ndimage.filters`` is removed
  in current SciPy) and works on tensors on any device.
* ``load_CIFAR`` works offline: without the full CIFAR-10 it uses the data mirror's genuine subset
  and says so; ``path`` is the data cache (:mod:`eecs598.resources`).
* ``load_imagenet_val`` looks for the file where it is downloaded (the original checked the working
  directory but downloaded to ``./datasets/``) and fills ImageNet class 134 ("crane"), which the
  original file's ``label_map`` lacks.
* ``load_COCO`` validates the file's layout and, when ``coco.pt`` cannot be had, returns a
  generated SYNTHETIC captioning set in the same layout, announced loudly.
* Added keyword arguments default to the original behaviour: ``load_CIFAR(batch_size=64)``,
  ``load_COCO(synthetic='auto')``; ``path=None`` means the data cache.

``from a4_helper import *`` hands out exactly the names the original handed out (it had no
``__all__``, so its module-level imports came along: ``torch``, ``nn``, ``F``, ``optim``, ``np``,
``T``, ...). Original student modules rely on that -- e.g. the FA2020 ``FeatureExtractor`` calls
``F.normalize`` without importing ``F`` -- so ``__all__`` lists those names, bound to the same objects.

The project's other notebook helpers live in ``eecs598``: the captioning notebook's training loop,
cached features, BLEU and attention figures in :mod:`eecs598.captioning`, the offline digit
classifier of network visualization in :mod:`eecs598.digit_classifier`.
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
from scipy.ndimage import gaussian_filter1d
from torch.utils.data import DataLoader, SubsetRandomSampler, sampler

from eecs598 import resources
from eecs598.data import CaptionData, CIFAR10Arrays, check_coco_layout, load_cifar10_arrays

# What ``from a4_helper import *`` gave a student module in EECS 498-007 FA2020 (module imports,
# constants and functions of the original file, which had no ``__all__``).
__all__ = [
    "os", "pickle", "torch", "nn", "F", "optim", "DataLoader", "sampler", "OrderedDict", "dset", "T",
    "random", "np", "gaussian_filter1d", "SQUEEZENET_MEAN", "SQUEEZENET_STD", "preprocess",
    "deprocess", "rescale", "blur_image", "check_scipy", "jitter", "load_CIFAR", "load_imagenet_val",
    "load_COCO", "dump_results",
]

SQUEEZENET_MEAN = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float)
SQUEEZENET_STD = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float)


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


def load_CIFAR(path=None, batch_size=64):
    """Return ``(loader_train, loader_val, loader_test)`` for CIFAR-10.

    Transform: ToTensor, then Normalize with the original's mean and std. With the full set, train
    and val are train images 0-48,999 and 49,000-49,999 (random order within each, as in the original);
    with the mirror's subset, the last 500 training images are the validation split.
    ``path`` overrides the data cache directory (default: ``EECS598_DATA_DIR`` or ``./datasets``).
    """
    with _cache_dir(path):
        data = load_cifar10_arrays()
    num_train = len(data["y_train"])
    num_val = 1000 if num_train >= 50000 else 500
    transform = T.Compose([T.ToTensor(), T.Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))])
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
            check_coco_layout(data, file)
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
        check_coco_layout(data, "generated data")
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
