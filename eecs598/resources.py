"""Registry of every data file and weight file the assignment uses, and how to obtain it.

:func:`fetch` resolves a resource name to a verified local file, trying in order:

1. the cache directory (``EECS598_DATA_DIR``, default ``<repo>/datasets``);
2. a read-only mirror directory (``EECS598_DATA_MIRROR``; CI points it at ``../shared/data``)
   and any system directory the resource names (Debian's ``dataset-fashion-mnist``);
3. the official URL, streamed with a progress bar to a temporary file that is renamed into the
   cache only after its checksum matches.

A cached file whose checksum does not match (corrupted, truncated) is deleted and obtained again,
never used. When nothing works, :class:`ResourceUnavailable` says which file is missing, where it
comes from and where to put it. ``EECS598_OFFLINE=1`` skips download attempts.

Settings (environment variables):

* ``EECS598_URL_MAP`` -- download from another server: ``;``-separated ``official-prefix=new-prefix``
  pairs (the longest matching prefix wins), e.g.
  ``https://www.cs.toronto.edu/=http://127.0.0.1:8000/www.cs.toronto.edu/``; for a course mirror,
  and for the test suite's local download server.
* ``EECS598_DOWNLOAD_TIMEOUT`` -- seconds a download may wait for the server to answer (default 30).
* ``EECS598_STANDINS`` -- path of a JSON file ``{name: {"checksum": ..., "label": ...}}`` that
  accepts a stand-in file (the real layout, not the real data) for a resource; used only by tests.
  Every loader names such a file as a STAND-IN whenever it uses one.

Editions: some official files exist in more than one edition (the CS231n check files changed after
2017). Each :class:`Edition` records a checksum, where the edition comes from and whether it is the
one the official URL serves; :func:`identify` says which edition a file is.
"""
import hashlib
import json
import os
import shutil
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "EECS598_DATA_DIR"
MIRROR_ENV = "EECS598_DATA_MIRROR"
OFFLINE_ENV = "EECS598_OFFLINE"
URL_MAP_ENV = "EECS598_URL_MAP"
TIMEOUT_ENV = "EECS598_DOWNLOAD_TIMEOUT"
STANDINS_ENV = "EECS598_STANDINS"
DOWNLOAD_TIMEOUT_S = 30

_UMICH = "http://web.eecs.umich.edu/~justincj/teaching/eecs498/"
_A4_STYLES_ZIP = _UMICH + "a4_styles.zip"
_CS231N_A3_ZIP = "https://cs231n.github.io/assignments/2020/assignment3_jupyter.zip"
_MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_TORCH_MODELS = "https://download.pytorch.org/models/"


@dataclass(frozen=True)
class Edition:
    """One official edition of a file: its checksum (``None`` when no source records one), a label
    saying where it comes from, and whether the resource's official URL serves it."""

    label: str
    checksum: str = None
    at_url: bool = False


@dataclass(frozen=True)
class Resource:
    """One file: where it lives in the cache, where it comes from, how to check it.

    ``checksum`` is ``"sha256:<hex>"``, ``"md5:<hex>"``, ``"sha256-prefix:<hex>"`` (torchvision's
    convention of putting the first hex digits of the sha256 in the file name), a tuple of such
    strings (any may match: the same data packed by different distributors), or ``None`` when no
    trustworthy checksum is published (then the loader validates the file's structure instead).
    ``editions`` adds the official editions of the file (each accepted, each named by
    :func:`identify`); ``content_check`` names a check in :data:`CONTENT_CHECKS` that accepts an
    edition whose checksum no source records when its content equals the published values.
    ``member`` names the file inside a zip at ``url``; ``extra_dirs`` are read-only system folders.
    """

    name: str
    filename: str
    url: str = None
    checksum: str = None
    mirror: str = None
    member: str = None
    extra_dirs: tuple = ()
    note: str = ""
    editions: tuple = ()
    content_check: str = None


def _styles(name, sha256, in_a4_zip=True):
    return Resource(
        name=f"style/{name}", filename=f"styles/{name}",
        url=_A4_STYLES_ZIP if in_a4_zip else None, member=f"styles/{name}" if in_a4_zip else None,
        checksum=f"sha256:{sha256}", mirror=f"styles/{name}",
        note="" if in_a4_zip else "from the UMich EECS 442 style image set; no stable official URL")


def _mnist(prefix, url_base, fname, md5, mirror=None, extra_dirs=(), debian_md5=None):
    checksum = f"md5:{md5}" if debian_md5 is None else (f"md5:{md5}", f"md5:{debian_md5}")
    return Resource(name=f"{prefix}/{fname}", filename=f"{prefix}/{fname}", url=url_base + fname,
                    checksum=checksum, mirror=mirror, extra_dirs=extra_dirs)


_FASHION_DIRS = ("/usr/share/datasets/fashion-mnist",)

_ALL = [
    # CIFAR-10: the full official tarball, or the genuine subset kept in the mirror.
    Resource("cifar10", "cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
             "md5:c58f30108f718f92721af3b95e74349a"),
    Resource("cifar10_subset", "cifar10_subset.npz", None,
             "sha256:dce31ad260d5fd79a84d4a162671d4493c9b82202a7e67900382fefb915a1bb1",
             mirror="cifar10/cifar10_subset.npz",
             note="genuine CIFAR-10 subset (5,438 train / 1,017 test images); only in the data mirror"),
    # 25 ImageNet validation images (CS231n / EECS 498).
    Resource("imagenet_val_25", "imagenet_val_25.npz", "http://cs231n.stanford.edu/imagenet_val_25.npz",
             "sha256:35141609d22457c791e8fbe10c2d3b09ed0d6a04b669173e9fbebb0b4915cd3c",
             mirror="imagenet/imagenet_val_25.npz"),
    # COCO captioning (EECS 498 A4). No checksum is published; load_COCO validates its layout.
    Resource("coco", "coco.pt", _UMICH + "coco.pt", None,
             note="378 MB; no published checksum, so its layout is validated on load"),
    Resource("coco_vocab", "eecs498_a4_coco_vocab.json", None,
             "sha256:520792177c0ac010131d75c713e3dc542f4b404ce808e8223786de50fb03d065",
             mirror="coco/eecs498_a4_coco_vocab.json", note="the vocab of coco.pt; only in the data mirror"),
    # Style transfer images and reference checks.
    _styles("composition_vii.jpg", "8f992ed4aecd6dd56972d7bc8166761de7c94e670ee6effa8fd05f3daeb33409"),
    _styles("muse.jpg", "b8a36cd8752497510389782159ccf141d41c3446002a079b458fb7b774d3928a"),
    _styles("starry_night.jpg", "c31741a09141c2e2d07fc7aa6bdf135c369b804f9433e43fa3ceac19386d1ee6"),
    _styles("the_scream.jpg", "f3075cddeb974a9ee1d6418f7f33fd05185a7ac7dcb4288bd2805d499a9dcaee"),
    _styles("tubingen.jpg", "e67d1869f01fd805385c681a80d9ebcf0f70ea4a5fe6127f0606bb1c7f4bf506"),
    _styles("texture.jpg", "e2a47dffc27c47be9f5277c01c0d3690d9f2c5023a9f35192f61bd9e0f1dddb1", in_a4_zip=False),
    Resource("style_transfer_checks", "style-transfer-checks.npz", _A4_STYLES_ZIP,
             mirror="cs231n_checks/style-transfer-checks.npz", member="style-transfer-checks.npz",
             editions=(
                 Edition("CS231n 2017 edition (spring1617_assignment3_v3.zip; the data mirror's copy): "
                         "tv_out 303.2237, sl_out 44512.67, images resized with scipy's imresize",
                         "sha256:659a64eb251c9c4ff0c12d5abcc2a93713ac7167d823edd47dbf3805aaa3f3d2"),
                 Edition("2018-2020 edition (every CS231n zip 2018-2020; EECS 498 FA2020 a4_styles.zip): "
                         "tv_out 303.47, sl_out 44512.29",
                         "md5:26cc640bedc5e8388af358c376bd2ff6", at_url=True)),
             note="two editions: the spec records md5 26cc640b... for the 2018-2020 file and the "
                  "notebooks compare with either; that a4_styles.zip holds the 2018-2020 file is the "
                  "spec's inference (same keys and values), the zip itself was not seen"),
    Resource("gan_checks", "gan-checks-tf.npz", _CS231N_A3_ZIP,
             mirror="cs231n_checks/gan-checks-tf.npz", member="assignment3/gan-checks-tf.npz",
             editions=(
                 Edition("CS231n 2017 edition (the data mirror's copy)",
                         "sha256:52c137fcfa284f191bf47cd4c66803bf109e5472b0e22341ec8376758e412cee"),
                 Edition("CS231n 2020 edition (assignment3_jupyter.zip): no checksum recorded; accepted "
                         "when its values equal the spec's", None, at_url=True)),
             content_check="gan_checks",
             note="the spec records no checksum for the 2020 zip's copy, only its values (constant "
                  "2017-2020), so a copy with another checksum is accepted when its values match"),
    # MNIST (official md5s). The mirror has the test set, all train labels and a train-image subset.
    _mnist("mnist", _MNIST, "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    _mnist("mnist", _MNIST, "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432",
           mirror="mnist/train-labels-idx1-ubyte.gz"),
    _mnist("mnist", _MNIST, "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3",
           mirror="mnist/t10k-images-idx3-ubyte.gz"),
    _mnist("mnist", _MNIST, "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c",
           mirror="mnist/t10k-labels-idx1-ubyte.gz"),
    Resource("mnist_subset/train-images-idx3-ubyte.gz", "mnist_subset/train-images-idx3-ubyte.gz", None,
             "sha256:903aff422aa6198cfd9eb2ccea2d7eda8b975b4c6edda4ca4c63f7da374a0c56",
             mirror="mnist/train_subset_first17435/train-images-idx3-ubyte.gz",
             note="the first 17,435 genuine MNIST training images; only in the data mirror"),
    Resource("mnist_subset/train-labels-idx1-ubyte.gz", "mnist_subset/train-labels-idx1-ubyte.gz", None,
             "sha256:1727d547a8ee91a4b0c88d5e2db0ae888f116bdc169a856e5e8fd3b28861255c",
             mirror="mnist/train_subset_first17435/train-labels-idx1-ubyte.gz"),
    # Fashion-MNIST: the official md5s, and those of Debian's dataset-fashion-mnist, which holds the
    # same IDX data re-gzipped.
    _mnist("fashion-mnist", _FASHION, "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
           extra_dirs=_FASHION_DIRS, debian_md5="cf8536b0aa1a6ac5fa3f23001093305c"),
    _mnist("fashion-mnist", _FASHION, "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe",
           extra_dirs=_FASHION_DIRS, debian_md5="10bea18fdb374794d4bb42e356e600c9"),
    _mnist("fashion-mnist", _FASHION, "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79",
           extra_dirs=_FASHION_DIRS, debian_md5="f78720b4224f21cce2f2ccf2d7a94c9a"),
    _mnist("fashion-mnist", _FASHION, "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310",
           extra_dirs=_FASHION_DIRS, debian_md5="0d30e22e447f3c33dab9ed536400ac01"),
    # ImageNet weights, IMAGENET1K_V1 (the spec's expected numbers depend on V1).
    Resource("squeezenet1_1", "weights/squeezenet1_1-b8a52dc0.pth", _TORCH_MODELS + "squeezenet1_1-b8a52dc0.pth",
             "sha256-prefix:b8a52dc0", mirror="weights/squeezenet1_1-b8a52dc0.pth"),
    Resource("mobilenet_v2", "weights/mobilenet_v2-b0353104.pth", _TORCH_MODELS + "mobilenet_v2-b0353104.pth",
             "sha256-prefix:b0353104", mirror="weights/mobilenet_v2-b0353104.pth"),
]
RESOURCES = {r.name: r for r in _ALL}


class ResourceUnavailable(RuntimeError):
    """A resource is in no cache, no mirror, and could not be downloaded."""


class ChecksumMismatch(RuntimeError):
    """A file's checksum differs from the registry's."""


def data_dir():
    """The writable cache directory (``EECS598_DATA_DIR``, default ``<repo>/datasets``)."""
    return Path(os.environ.get(DATA_DIR_ENV) or REPO_ROOT / "datasets")


def mirror_dir():
    """The read-only mirror directory, or ``None`` when ``EECS598_DATA_MIRROR`` is unset."""
    value = os.environ.get(MIRROR_ENV)
    return Path(value) if value else None


def file_digest(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(path, checksum):
    """True when ``path`` matches ``checksum`` (one string, or a tuple of accepted ones).

    Always true for ``checksum=None``.
    """
    if checksum is None:
        return True
    if isinstance(checksum, tuple):
        return any(verify(path, c) for c in checksum)
    kind, expected = checksum.split(":", 1)
    if kind == "sha256-prefix":
        return file_digest(path, "sha256").startswith(expected)
    return file_digest(path, kind) == expected


# ----------------------------------------------------------------------------- editions, stand-ins

def _gan_checks_content(path):
    """The spec's values of ``gan-checks-tf.npz`` (constant 2017-2020), checked without weights."""
    import numpy as np
    expected = {"d_loss_true": 1.8423983904443109, "g_loss_true": 0.771286196423346,
                "d_loss_lsgan_true": 1.8770293614440594, "g_loss_lsgan_true": 0.816954786997558}
    try:
        with np.load(path) as f:
            if any(f[k].shape != (10, 1) for k in ("logits_real", "logits_fake")):
                return False
            return all(abs(float(f[k]) - v) <= 1e-12 * abs(v) for k, v in expected.items())
    except Exception:  # not an npz, missing keys: not this file
        return False


CONTENT_CHECKS = {"gan_checks": _gan_checks_content}
_CONTENT_EDITION = "content verified against the spec's values (no recorded checksum)"


def standins():
    """Stand-in files registered through ``EECS598_STANDINS``: ``{name: Edition}`` (tests only)."""
    path = os.environ.get(STANDINS_ENV)
    if not path:
        return {}
    with open(path) as f:
        table = json.load(f)
    return {name: Edition(f"STAND-IN (not the real file): {entry['label']}", entry["checksum"])
            for name, entry in table.items()}


def editions(name):
    """Every accepted edition of resource ``name``: the registry's, then any registered stand-in."""
    res = RESOURCES[name]
    found = list(res.editions)
    if res.checksum is not None:
        primary = res.checksum if isinstance(res.checksum, tuple) else (res.checksum,)
        found = [Edition("official file" if i == 0 else "same data, another distributor", c, at_url=i == 0)
                 for i, c in enumerate(primary)] + found
    standin = standins().get(name)
    return found + ([standin] if standin else [])


def _recorded(name):
    return [e for e in editions(name) if e.checksum is not None]


def identify(name, path):
    """The :class:`Edition` of resource ``name`` that the file at ``path`` is, or ``None``.

    A resource without any recorded checksum accepts every file (its loader checks the layout);
    a resource with a content check accepts a file whose values are the published ones.
    """
    recorded = _recorded(name)
    for edition in recorded:
        if verify(path, edition.checksum):
            return edition
    res = RESOURCES[name]
    if res.content_check and CONTENT_CHECKS[res.content_check](path):
        return Edition(_CONTENT_EDITION)
    if res.checksum is None and not res.editions and not res.content_check:
        return Edition("no checksum is published; layout checked on load")
    return None


def _accepts(name, path):
    return identify(name, path) is not None


def _say_standin(name, path):
    standin = standins().get(name)
    if standin is not None and verify(path, standin.checksum):
        print(f"[eecs598] {Path(path).name} ({name}): {standin.label}")


# ----------------------------------------------------------------------------- copying, downloading

def _torch_hub_checkpoint(res):
    """torch.hub's own cache, where torchvision puts downloaded weights."""
    if not res.filename.startswith("weights/"):
        return None
    import torch.hub
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(res.filename).name


def _temp_beside(dest):
    """A new, uniquely named temporary file next to ``dest`` (so two processes never share one)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    return tmp


def _publish(tmp, dest):
    os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; a cache is for everyone
    os.replace(tmp, dest)  # atomic: readers see the old file or the complete new one
    return dest


def _copy_verified(name, src, dest):
    """Copy ``src`` to ``dest`` through a temporary file, renaming only a verified copy."""
    tmp = _temp_beside(dest)
    try:
        shutil.copyfile(src, tmp)
        if not _accepts(name, tmp):
            raise ChecksumMismatch(f"{src} matches no accepted checksum of {name}")
        return _publish(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def url_map():
    """The ``EECS598_URL_MAP`` setting as ``[(official_prefix, replacement), ...]``."""
    pairs = []
    for entry in filter(None, (e.strip() for e in os.environ.get(URL_MAP_ENV, "").split(";"))):
        old, sep, new = entry.partition("=")
        if not sep:
            raise ValueError(f"{URL_MAP_ENV}: entry {entry!r} is not 'official-prefix=new-prefix'")
        pairs.append((old, new))
    return pairs


def resolve_url(url):
    """``url`` with the longest matching ``EECS598_URL_MAP`` prefix replaced."""
    matches = [(old, new) for old, new in url_map() if url.startswith(old)]
    if not matches:
        return url
    old, new = max(matches, key=lambda pair: len(pair[0]))
    return new + url[len(old):]


def download_timeout():
    """Seconds a download waits for the server at each step (``EECS598_DOWNLOAD_TIMEOUT``)."""
    return float(os.environ.get(TIMEOUT_ENV) or DOWNLOAD_TIMEOUT_S)


def _download(url, dest, desc):
    """Stream ``url`` to ``dest`` with a progress bar; raises on any network error.

    Every wait for the server is bounded by :func:`download_timeout`; a body shorter than the
    announced ``Content-Length`` (a connection dropped halfway) raises ``ConnectionError``.
    """
    from tqdm.auto import tqdm
    with urllib.request.urlopen(url, timeout=download_timeout()) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        received = 0
        with open(dest, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=desc) as bar:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                f.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise ConnectionError(f"connection closed after {received:,} of {total:,} bytes")


def _download_verified(res, dest):
    tmp = _temp_beside(dest)
    url = resolve_url(res.url)
    try:
        _download(url, tmp, desc=Path(res.filename).name)
        if res.member:  # the URL is an archive: pull out one member
            with zipfile.ZipFile(tmp) as zf, zf.open(res.member) as src, open(tmp + ".member", "wb") as out:
                shutil.copyfileobj(src, out)
            os.replace(tmp + ".member", tmp)
        if not _accepts(res.name, tmp):
            known = ", ".join(e.checksum for e in _recorded(res.name))
            raise ChecksumMismatch(
                f"the file from {url}{' (member ' + res.member + ')' if res.member else ''} is corrupted "
                f"or an unknown edition: its sha256 is {file_digest(tmp, 'sha256')}, accepted: {known}")
        return _publish(tmp, dest)
    finally:
        for leftover in (tmp, tmp + ".member"):
            if os.path.exists(leftover):
                os.remove(leftover)


# ----------------------------------------------------------------------------- public API

def locate(name):
    """Return a verified local copy of resource ``name`` if one exists already, else ``None``.

    Looks in the cache, torch.hub's checkpoint cache, the mirror and system folders; never downloads.
    A cached copy that fails its checksum is deleted.
    """
    res = RESOURCES[name]
    cached = data_dir() / res.filename
    if cached.exists():
        if _accepts(name, cached):
            _say_standin(name, cached)
            return cached
        print(f"[eecs598] {cached} is corrupted or incomplete (checksum mismatch): removing it.")
        cached.unlink()
    hub = _torch_hub_checkpoint(res)
    if hub is not None and hub.exists() and _accepts(name, hub):
        _say_standin(name, hub)
        return hub
    sources = []
    if res.mirror and mirror_dir() is not None:
        sources.append(mirror_dir() / res.mirror)
    sources += [Path(d) / Path(res.filename).name for d in res.extra_dirs]
    for src in sources:
        if src.exists():
            try:
                found = _copy_verified(name, src, cached)
                _say_standin(name, found)
                return found
            except (ChecksumMismatch, OSError) as err:
                print(f"[eecs598] ignoring {src}: {err}")
    return None


def _offline():
    return os.environ.get(OFFLINE_ENV, "").lower() in {"1", "true", "yes"}


def fetch(name, download=True):
    """Return the path of a verified local copy of resource ``name``, downloading it if needed.

    Raises:
        KeyError: ``name`` is not in :data:`RESOURCES`.
        ResourceUnavailable: no copy anywhere and the download failed or was not allowed.
    """
    if name not in RESOURCES:
        raise KeyError(f"unknown resource {name!r}; known: {', '.join(sorted(RESOURCES))}")
    res = RESOURCES[name]
    found = locate(name)
    if found is not None:
        return found
    dest = data_dir() / res.filename
    reason = "downloads disabled" if not download else f"{OFFLINE_ENV} is set" if _offline() else None
    if res.url is None:
        reason = "it has no public download URL"
    if reason is None:
        try:
            found = _download_verified(res, dest)
            _say_standin(name, found)
            return found
        except Exception as err:  # network errors come in many types; all mean "not available"
            reason = f"download failed: {type(err).__name__}: {err}"
    mirror = mirror_dir()
    if mirror is None:
        where = f"not set ({MIRROR_ENV})"
    else:
        where = f"{mirror} ({'no ' + repr(res.mirror) + ' there' if res.mirror else 'does not carry this file'})"
    served = resolve_url(res.url) if res.url else None
    raise ResourceUnavailable(
        f"{Path(res.filename).name} ({name}) is not available: {reason}.\n"
        f"  official source: {res.url or 'none'}" + (f" (member {res.member})" if res.member else "")
        + (f"\n  downloaded from: {served} ({URL_MAP_ENV})" if served != res.url else "") + "\n"
        f"  put the file at: {dest}\n"
        f"  data mirror: {where}" + (f"\n  note: {res.note}" if res.note else ""))


def available(name):
    """True when ``name`` can be had: from a local copy, or by a download when downloads are on.

    (So "use X when available" means the same offline and online: on Colab it downloads X.)
    """
    try:
        fetch(name)
        return True
    except ResourceUnavailable:
        return False
