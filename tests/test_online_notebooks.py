"""Every notebook on the students' online path: fast mode, an EMPTY cache, no data mirror, every
file downloaded from the local server (tests/download_server.py) under its official URL.

The server holds the data mirror's genuine files. For the files the mirror cannot hold (COCO
``coco.pt``, the ImageNet SqueezeNet 1.1 / MobileNetV2 weights, the full CIFAR-10 tarball, the full
MNIST training images) it serves STAND-INS with the exact layout (keys, shapes, dtypes, file format),
small so the suite stays fast; their checksums are registered only here (``EECS598_STANDINS``), and
every notebook must say "STAND-IN" wherever it uses one. Stand-in weights are loaded like the real
ones but never count as ImageNet (``is_imagenet`` False), so the notebooks take their non-ImageNet
branches with them. This proves the download path, not the numbers.
"""
import hashlib
import io
import json
import os
import pickle
import tarfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torchvision

from download_server import DownloadServer, build_official_tree, official_path
from eecs598 import resources, run_notebooks
from eecs598.assignment import NOTEBOOKS

MIRROR = Path(os.environ.get(resources.MIRROR_ENV) or Path(__file__).resolve().parents[2] / "shared" / "data")
if not (MIRROR / "MANIFEST.md").exists():
    pytest.skip("no data mirror here (EECS598_DATA_MIRROR)", allow_module_level=True)
pytest.importorskip("nbclient")

COCO_TRAIN, COCO_VAL, CAPTION_LEN = 100, 50, 17   # the real file: 10,000 / 500 images, length 17
CIFAR_PER_BATCH = 240                               # the real batches: 10,000 images each
MNIST_TRAIN = 3000                                  # the real training set: 60,000 images


# ----------------------------------------------------------------------------- stand-ins

def standin_coco(path):
    """``coco.pt`` layout: uint8 (N,3,112,112) images, int64 (N,17) captions, the genuine vocab."""
    vocab = json.loads((MIRROR / "coco/eecs498_a4_coco_vocab.json").read_text())
    gen = torch.Generator().manual_seed(0)
    t = vocab["token_to_idx"]

    def captions(n):
        out = torch.full((n, CAPTION_LEN), t["<NULL>"], dtype=torch.int64)
        for row in out:
            length = int(torch.randint(5, CAPTION_LEN - 2, (), generator=gen))
            row[0], row[length + 1] = t["<START>"], t["<END>"]
            row[1:length + 1] = torch.randint(4, len(vocab["idx_to_token"]), (length,), generator=gen)
        return out

    torch.save({"train_images": torch.randint(0, 256, (COCO_TRAIN, 3, 112, 112), dtype=torch.uint8, generator=gen),
                "train_captions": captions(COCO_TRAIN),
                "val_images": torch.randint(0, 256, (COCO_VAL, 3, 112, 112), dtype=torch.uint8, generator=gen),
                "val_captions": captions(COCO_VAL),
                "vocab": vocab}, path)
    return f"coco.pt layout, {COCO_TRAIN} train / {COCO_VAL} val random images and captions"


def standin_weights(builder, path):
    """A torchvision ``state_dict`` with the real keys and shapes (random weights)."""
    torch.manual_seed(0)
    torch.save(builder(weights=None).state_dict(), path)
    return f"torchvision {builder.__name__} state_dict with random weights"


def standin_cifar(path):
    """``cifar-10-python.tar.gz`` layout: cifar-10-batches-py/{data_batch_1..5, test_batch,
    batches.meta, readme.html}, latin-1 pickles of {batch_label, labels, data uint8 (n,3072),
    filenames}, filled with the first genuine images of each batch (from the mirror's subset)."""
    with np.load(MIRROR / "cifar10/cifar10_subset.npz") as f:
        sub = {k: f[k] for k in ("train_data", "train_labels", "train_batch", "test_data", "test_labels")}

    def batch(label, data, labels):
        return {"batch_label": label, "labels": [int(v) for v in labels], "data": data,
                "filenames": [f"standin_{i:05d}.png" for i in range(len(labels))]}

    members = {"batches.meta": (MIRROR / "cifar10/batches.meta").read_bytes(),
               "readme.html": b"<html>stand-in for the tests</html>\n"}
    for k in range(1, 6):
        rows = np.flatnonzero(sub["train_batch"] == k)[:CIFAR_PER_BATCH]
        members[f"data_batch_{k}"] = pickle.dumps(
            batch(f"training batch {k} of 5", sub["train_data"][rows], sub["train_labels"][rows]), protocol=2)
    members["test_batch"] = pickle.dumps(
        batch("testing batch 1 of 1", sub["test_data"][:CIFAR_PER_BATCH], sub["test_labels"][:CIFAR_PER_BATCH]),
        protocol=2)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return f"CIFAR-10 python tarball layout with {5 * CIFAR_PER_BATCH} genuine train / {CIFAR_PER_BATCH} test images"


def standin_style_checks_2018(path):
    """``style-transfer-checks.npz`` of the 2018-2020 edition as far as the spec records it
    (cl_out, sl_out, tv_out), with the 2017 file's Gram matrix."""
    with np.load(MIRROR / "cs231n_checks/style-transfer-checks.npz") as f:
        values = {k: f[k] for k in f.files}
    values.update(cl_out=np.float32([32436.986]), sl_out=np.float32([44512.29]), tv_out=np.float32([303.47]))
    np.savez(path, **values)
    return "2018-2020 edition values from the spec (cl_out, sl_out, tv_out 303.47)"


def standin_mnist_train(kind, path):
    """``train-{images-idx3,labels-idx1}-ubyte.gz`` layout (gzipped IDX, magic 2051 / 2049) holding
    the first ``MNIST_TRAIN`` genuine training images / labels (from the mirror's subset)."""
    import gzip
    from eecs598.data import read_idx
    values = read_idx(MIRROR / f"mnist/train_subset_first17435/train-{kind}-ubyte.gz")[:MNIST_TRAIN]
    magic, dims = (2051, values.shape) if values.ndim == 3 else (2049, values.shape)
    header = b"".join(int(v).to_bytes(4, "big") for v in (magic, *dims))
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(header + values.astype(np.uint8).tobytes())
    return f"the first {MNIST_TRAIN:,} genuine MNIST training {kind.split('-')[0]} in the official IDX format"


def build_standins(folder):
    """Write every stand-in into ``folder``; return ``{resource name: (path, label)}``."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}

    def add(name, filename, make, *args):
        path = folder / filename
        made[name] = (path, make(*args, path))

    add("coco", "coco.pt", standin_coco)
    add("squeezenet1_1", "squeezenet1_1.pth", standin_weights, torchvision.models.squeezenet1_1)
    add("mobilenet_v2", "mobilenet_v2.pth", standin_weights, torchvision.models.mobilenet_v2)
    add("cifar10", "cifar-10-python.tar.gz", standin_cifar)
    add("style_transfer_checks", "style-transfer-checks.npz", standin_style_checks_2018)
    for kind in ("images-idx3", "labels-idx1"):
        add(f"mnist/train-{kind}-ubyte.gz", f"train-{kind}-ubyte.gz", standin_mnist_train, kind)
    return made


# ----------------------------------------------------------------------------- the online world

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The local server with genuine files and stand-ins, and the settings pointing at it."""
    base = tmp_path_factory.mktemp("online")
    standins = build_standins(base / "standins")
    table = {name: {"checksum": "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest(), "label": label}
             for name, (path, label) in standins.items()}
    (base / "standins.json").write_text(json.dumps(table, indent=1))
    served = build_official_tree(base / "official", MIRROR, extra={n: p for n, (p, _) in standins.items()})
    with DownloadServer(base / "official") as server:
        yield dict(base=base, server=server, served=served, standins=table)


NEEDS = {  # what each notebook must download, and the stand-ins it must name
    "pytorch_autograd_and_nn": (["cifar10"], ["cifar10"]),
    "rnn_lstm_attention_captioning": (["coco", "mobilenet_v2"], ["coco", "mobilenet_v2"]),
    # stand-in weights are never ImageNet: the notebook takes its digit-classifier path
    "network_visualization": (["squeezenet1_1", "mnist/t10k-images-idx3-ubyte.gz"], ["squeezenet1_1"]),
    "style_transfer": (["squeezenet1_1", "style_transfer_checks", "style/tubingen.jpg"],
                       ["squeezenet1_1", "style_transfer_checks"]),
    "generative_adversarial_networks": (["mnist/train-images-idx3-ubyte.gz", "mnist/t10k-images-idx3-ubyte.gz",
                                         "gan_checks"], ["mnist/train-images-idx3-ubyte.gz"]),
}



def test_needs_name_every_notebook_and_its_check_files():
    """NEEDS is written by hand (what each notebook is expected to fetch); it covers every notebook
    of the registry, and the check files the registry gives a notebook are among its downloads."""
    assert set(NEEDS) == set(run_notebooks.NOTEBOOKS)
    for nb in NOTEBOOKS:
        assert set(nb.check_files) <= set(NEEDS[nb.name][0]), nb.name

def outputs_text(nb):
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") if out.get("output_type") == "stream"
                         else out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.parametrize("name", run_notebooks.NOTEBOOKS)
def test_notebook_runs_online_from_an_empty_cache(world, name, tmp_path, monkeypatch):
    server = world["server"]
    cache, torch_home = tmp_path / "cache", tmp_path / "torch"
    monkeypatch.setenv(resources.DATA_DIR_ENV, str(cache))
    monkeypatch.delenv(resources.MIRROR_ENV, raising=False)
    monkeypatch.delenv(resources.OFFLINE_ENV, raising=False)
    monkeypatch.setenv(resources.URL_MAP_ENV, server.url_map())
    monkeypatch.setenv(resources.STANDINS_ENV, str(world["base"] / "standins.json"))
    monkeypatch.setenv(resources.TIMEOUT_ENV, "20")
    monkeypatch.setenv("TORCH_HOME", str(torch_home))  # no torch.hub cache to fall back on
    monkeypatch.setenv("EECS598_FAST", "1")
    server.requests.clear()

    ok, seconds, error = run_notebooks.run_notebook(name, tmp_path / "out", timeout=600)
    text = outputs_text(nbformat.read(tmp_path / "out" / f"{name}.ipynb", as_version=4))
    assert ok, f"{name} failed online after {seconds:.0f} s: {error}"

    downloads, standins = NEEDS[name]
    asked = set(server.requests)
    for res_name in downloads:
        res = resources.RESOURCES[res_name]
        if res.url:
            assert "/" + official_path(res.url) in asked, f"{name} did not download {res_name}"
        assert (cache / res.filename).exists(), f"{res_name} is not in the cache"
    for res_name in standins:  # every stand-in used is named as one, with its label
        assert f"STAND-IN (not the real file): {world['standins'][res_name]['label']}" in text, res_name
    assert "SYNTHETIC" not in text or name != "rnn_lstm_attention_captioning"
    if name == "style_transfer":
        assert "CHECKS COMPARED WITH: STAND-IN" in text and "texture.jpg is unavailable" in text
    if name == "generative_adversarial_networks":
        assert "checks compared with: CS231n 2017 edition" in text
