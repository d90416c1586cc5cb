"""The catalog of every data and weight file the assignment uses: where it comes from, how to check it.

Each file is a :class:`Resource`: its place in the cache, official URL (or archive member),
checksum(s), place in the read-only data mirror, and notes. Some official files exist in more than
one :class:`Edition` (the CS231n check files changed after 2017); each edition records a checksum,
where it comes from and whether the official URL serves it. :mod:`eecs598.resources` finds the
files; :mod:`eecs598.checksums` says whether a file is one of them.
"""
from dataclasses import dataclass

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
