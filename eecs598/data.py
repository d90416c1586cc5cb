"""Dataset loaders on top of :mod:`eecs598.resources`.

Every loader prints one line saying exactly what it loaded (full data set, genuine subset from the
mirror, or generated data), so a number in a notebook can always be traced to its data.
"""
import gzip
import json
import pickle
import tarfile

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from .resources import ResourceUnavailable, data_dir, fetch, identify, locate

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _say(message):
    print(f"[eecs598.data] {message}")


# ----------------------------------------------------------------------------- CIFAR-10

def _cifar10_from_tarball(path):
    """Read the official ``cifar-10-python.tar.gz`` into uint8 (N,32,32,3) arrays."""
    batches = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            base = member.name.rsplit("/", 1)[-1]
            if base.startswith("data_batch_") or base == "test_batch":
                batches[base] = pickle.load(tar.extractfile(member), encoding="latin1")

    def stack(names):
        data = np.concatenate([batches[n]["data"] for n in names])
        labels = np.concatenate([np.asarray(batches[n]["labels"]) for n in names])
        return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels.astype(np.int64)

    X_train, y_train = stack([f"data_batch_{i}" for i in range(1, 6)])
    X_test, y_test = stack(["test_batch"])
    return X_train, y_train, X_test, y_test


def load_cifar10_arrays():
    """Load CIFAR-10 as numpy arrays.

    Order: the full official set if cached, else the mirror's genuine subset, else a download of
    the full set. The full set's arrays are cached as ``cifar10_full.npz`` after the first read.

    Returns a dict with ``X_train`` uint8 (N,32,32,3), ``y_train`` int64 (N,), ``X_test``,
    ``y_test``, ``label_names`` (10 str) and ``source`` (a sentence naming the data).
    """
    unpacked = data_dir() / "cifar10_full.npz"
    if unpacked.exists():
        with np.load(unpacked) as f:
            arrays = [f[k] for k in ("X_train", "y_train", "X_test", "y_test")]
        source = f"full CIFAR-10 ({len(arrays[1]):,} train / {len(arrays[3]):,} test)"
    else:
        tarball = locate("cifar10")
        subset = None if tarball is not None else locate("cifar10_subset")
        if tarball is None and subset is None:
            tarball = fetch("cifar10")  # downloads, or raises a clear ResourceUnavailable
        if tarball is not None:
            arrays = _cifar10_from_tarball(tarball)
            edition = identify("cifar10", tarball)
            counts = f"{len(arrays[1]):,} train / {len(arrays[3]):,} test"
            if edition is not None and edition.label.startswith("STAND-IN"):
                source = f"CIFAR-10 {edition.label} ({counts})"  # never cached as the full set
            else:
                np.savez(unpacked, **dict(zip(("X_train", "y_train", "X_test", "y_test"), arrays)))
                source = f"full CIFAR-10 ({counts})"
        else:
            with np.load(subset) as f:
                arrays = [f["train_data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(),
                          f["train_labels"].astype(np.int64),
                          f["test_data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(),
                          f["test_labels"].astype(np.int64)]
            source = (f"genuine CIFAR-10 SUBSET from the data mirror ({len(arrays[1]):,} train / "
                      f"{len(arrays[3]):,} test images; the full set is downloaded when online)")
    _say(f"loaded {source}")
    X_train, y_train, X_test, y_test = arrays
    return dict(X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
                label_names=list(CIFAR10_CLASSES), source=source)


class CIFAR10Arrays(Dataset):
    """CIFAR-10 images held in memory (uint8 (N, 32, 32, 3), labels (N,)) as a torch Dataset.

    ``train`` is True for the training split, as in torchvision's ``CIFAR10``; ``transform`` is
    applied to each PIL image.
    """

    def __init__(self, images, labels, train, transform=None):
        self.images, self.labels, self.train, self.transform = images, labels, train, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        img = Image.fromarray(self.images[index])
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.labels[index])


# ----------------------------------------------------------------------------- MNIST

def read_idx(path):
    """Read a (gzipped) IDX file: magic 2051 gives uint8 (N,rows,cols), 2049 gives uint8 (N,)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    count = int.from_bytes(raw[4:8], "big")
    if magic == 2051:
        rows, cols = int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big")
        data = np.frombuffer(raw, dtype=np.uint8, offset=16)
        return data[: count * rows * cols].reshape(count, rows, cols)
    if magic == 2049:
        return np.frombuffer(raw, dtype=np.uint8, offset=8)[:count]
    raise ValueError(f"{path} is not an IDX image or label file (magic {magic})")


def _idx_pair(prefix, split):
    stem = "train" if split else "t10k"
    images = read_idx(fetch(f"{prefix}/{stem}-images-idx3-ubyte.gz"))
    labels = read_idx(fetch(f"{prefix}/{stem}-labels-idx1-ubyte.gz"))
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def load_mnist(train=True):
    """Load MNIST as (images uint8 (N,28,28), labels int64 (N,)).

    The training split is the full 60,000 images when cached or downloadable; offline with the
    data mirror it is the mirror's genuine subset (the first 17,435 training images).
    """
    if train and locate("mnist/train-images-idx3-ubyte.gz") is None and locate(
            "mnist_subset/train-images-idx3-ubyte.gz") is not None:
        images, labels = _idx_pair("mnist_subset", True)
        _say(f"loaded MNIST train: genuine SUBSET from the data mirror ({len(labels):,} of 60,000 images)")
        return images, labels
    images, labels = _idx_pair("mnist", train)
    _say(f"loaded MNIST {'train' if train else 'test'}: {len(labels):,} images")
    return images, labels


def load_fashion_mnist(train=True):
    """Load Fashion-MNIST as (images uint8 (N,28,28), labels int64 (N,)).

    Taken from the cache, Debian's ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``)
    or the official download.
    """
    images, labels = _idx_pair("fashion-mnist", train)
    _say(f"loaded Fashion-MNIST {'train' if train else 'test'}: {len(labels):,} images")
    return images, labels


FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


# ----------------------------------------------------------------------------- small files

def style_image(name):
    """Return style-transfer image ``name`` (e.g. ``'tubingen'`` or ``'tubingen.jpg'``) as RGB PIL."""
    if not name.endswith(".jpg"):
        name += ".jpg"
    return Image.open(fetch(f"style/{name}")).convert("RGB")


class Checks(dict):
    """The arrays of a reference-output file, plus ``edition``: which edition of the file it is."""

    edition = ""


def load_checks(name):
    """Load a reference-output file (``'style_transfer_checks'`` or ``'gan_checks'``).

    Returns a :class:`Checks` dict of arrays whose ``edition`` names the edition that was found
    (the check files changed after 2017; every accepted edition is listed in the registry). The
    edition is printed, so a notebook's output says which file its errors were computed against.
    """
    path = fetch(name)
    with np.load(path) as f:
        checks = Checks({k: f[k] for k in f.files})
    checks.edition = identify(name, path).label
    _say(f"{path.name}: {checks.edition}")
    return checks


class CaptionData(dict):
    """The ``coco.pt`` dict, plus ``source`` (what the data is) and ``is_synthetic``."""

    source = ""
    is_synthetic = False


_COCO_LAYOUT = {"train_images": (torch.uint8, 4), "train_captions": (torch.int64, 2),
                "val_images": (torch.uint8, 4), "val_captions": (torch.int64, 2)}


def check_coco_layout(data, origin):
    """Raise ``ValueError`` unless ``data`` has the layout of A4's ``coco.pt`` (``origin``: its name)."""
    for key, (dtype, ndim) in _COCO_LAYOUT.items():
        value = data.get(key)
        if not isinstance(value, torch.Tensor) or value.dtype != dtype or value.dim() != ndim:
            raise ValueError(f"{origin} is not a valid coco.pt: '{key}' should be a {ndim}-d {dtype} tensor")
    vocab = data.get("vocab", {})
    if not {"idx_to_token", "token_to_idx"} <= set(vocab):
        raise ValueError(f"{origin} is not a valid coco.pt: 'vocab' lacks idx_to_token/token_to_idx")
    for split in ("train", "val"):
        if data[f"{split}_images"].shape[0] != data[f"{split}_captions"].shape[0]:
            raise ValueError(f"{origin} is not a valid coco.pt: shapes of {split} data do not match")


def load_coco_vocab():
    """The exact vocabulary of EECS 498 A4's ``coco.pt`` (864 tokens), from the data mirror."""
    with open(fetch("coco_vocab")) as f:
        return json.load(f)


__all__ = ["load_cifar10_arrays", "CIFAR10Arrays", "load_mnist", "load_fashion_mnist", "style_image",
           "load_checks", "load_coco_vocab", "CaptionData", "check_coco_layout", "read_idx",
           "CIFAR10_CLASSES", "FASHION_MNIST_CLASSES", "ResourceUnavailable"]
