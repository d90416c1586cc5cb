"""A generated image-captioning dataset ("synthetic COCO") in the exact layout of A4's ``coco.pt``.

Offline there are no COCO images or captions, so the captioning notebook can fall back to this
data set instead: 112x112 pictures of one or two coloured shapes on a grey, lightly textured and
noisy background, each with one canonical caption that describes it truthfully. It is SYNTHETIC,
not COCO; numbers measured on it say nothing about COCO (see :data:`DESCRIPTION`).

Scenes (probabilities are the module constants ``P_SINGLE``, ``P_PAIR_SAME``):

- colours: red, green, blue, yellow, purple;  shapes: circle, square, triangle, cross;
- the image is split into a 3x3 grid of cells; every object sits in one cell (centre jittered by up
  to ``JITTER`` px, bounding radius ``R_MIN``..``R_MAX`` px, squares/triangles/crosses rotated by up
  to ``MAX_ANGLE`` degrees), so objects never overlap and positions are unambiguous;
- two-object scenes put both objects in the same row (a horizontal pair) or in the same column (a
  vertical pair).

Grammar (one deterministic caption per scene; at most 10 words, so always within 15):

- one object: ``a <colour> <shape> <where>``, ``<where>`` naming its cell:
  ``in the top left``, ``at the top``, ``in the top right``, ``on the left``, ``in the center``,
  ``on the right``, ``in the bottom left``, ``at the bottom``, ``in the bottom right``.
  Example: ``a red circle in the top left``.
- two identical objects: ``two <colour> <shape>s <where>``; a horizontal pair names its row
  (``at the top`` / ``in the middle`` / ``at the bottom``), a vertical pair its column
  (``on the left`` / ``in the middle`` / ``on the right``).
  Example: ``two blue squares at the top``, ``two yellow crosses in the middle``.
- two different objects: the left one (horizontal pair) or the top one (vertical pair) is named
  first: ``a <colour> <shape> to the left of a <colour> <shape>`` or
  ``a <colour> <shape> above a <colour> <shape>``.
  Example: ``a green triangle above a yellow circle``.

Captions are stored as in ``coco.pt``: ``<START> w1 ... wk <END>`` padded with ``<NULL>`` to
``MAX_TOKENS`` = 17 tokens, int64. The vocabulary holds the special tokens ``<NULL>``=0,
``<START>``=1, ``<END>``=2, ``<UNK>``=3 and then every word of the grammar in sorted order.

Besides the captions, :func:`make_scenes` returns the structured scene description and
:func:`scene_labels` turns it into int64 classification targets (colour, shape, cell, count, layout,
a 3x3 label grid), for training a feature network on these images.

Everything is deterministic given ``seed`` (numpy ``Generator`` streams spawned from one
``SeedSequence``, one per split, so train and val are independent). Generating 10,000 + 500 images
takes a few seconds on one core.

Shapes: N images, S = 112 pixels per side, T = 17 tokens per caption.
"""
import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from . import resources

# ---- vocabulary of the scenes -------------------------------------------------------------------
COLOURS = ("red", "green", "blue", "yellow", "purple")
# Mean RGB of each colour; each object gets per-channel jitter of up to +-COLOUR_JITTER on top.
PALETTE = np.array([
    (215, 40, 40),    # red
    (40, 170, 60),    # green
    (45, 85, 225),    # blue
    (230, 205, 40),   # yellow
    (150, 55, 195),   # purple
], dtype=np.float32)
SHAPES = ("circle", "square", "triangle", "cross")
PLURALS = {"circle": "circles", "square": "squares", "triangle": "triangles", "cross": "crosses"}

ROW_NAMES = ("top", "middle", "bottom")
COL_NAMES = ("left", "center", "right")
# Where a single object is, by (row, col) of its cell.
CELL_PHRASES = {
    (0, 0): "in the top left", (0, 1): "at the top", (0, 2): "in the top right",
    (1, 0): "on the left", (1, 1): "in the center", (1, 2): "on the right",
    (2, 0): "in the bottom left", (2, 1): "at the bottom", (2, 2): "in the bottom right",
}
# Where a pair of identical objects is: a horizontal pair by its row, a vertical pair by its column.
ROW_PHRASES = ("at the top", "in the middle", "at the bottom")
COL_PHRASES = ("on the left", "in the middle", "on the right")

LAYOUTS = ("single", "horizontal", "vertical")
SPECIAL_TOKENS = ("<NULL>", "<START>", "<END>", "<UNK>")
MAX_TOKENS = 17          # <START> + at most 15 words + <END>, as in coco.pt
IGNORE_INDEX = -100      # label of the absent second object (torch cross_entropy's default)

# ---- geometry and rendering (pixels) ------------------------------------------------------------
IMAGE_SIZE = 112
GRID = 3
CELL = IMAGE_SIZE / GRID  # 37.33 px
R_MIN, R_MAX = 10.0, 15.0  # bounding radius of an object
JITTER = 3.0               # max centre offset from the cell centre; 2*R_MAX + 2*JITTER < CELL keeps
                           # objects in neighbouring cells >= 1.3 px apart
MAX_ANGLE = 15.0           # degrees of rotation for square / triangle / cross
COLOUR_JITTER = 20.0
PAD = 16                   # an object is rasterised on a patch reaching PAD px around its centre
PATCH = 2 * PAD + 1

# Background: a grey level per image, a faint tint, a smooth (low-frequency) texture and fine noise.
# Everything is kept low in saturation so the objects are the only strongly coloured pixels.
BG_LEVEL = (70.0, 170.0)
BG_TINT = 8.0
BG_TEXTURE = 14.0          # amplitude of the smooth luminance texture
BG_TEXTURE_CELLS = 8       # texture resolution before bilinear upsampling
PIXEL_NOISE = 4.0          # std of the per-pixel luminance noise (whole image)
CHROMA_NOISE = 2.0         # std of the per-pixel, per-channel noise (whole image)

# Scene mix.
P_SINGLE = 0.5
P_PAIR_SAME = 0.2          # the rest (0.3) are pairs of two different objects
P_HORIZONTAL = 0.5         # orientation of a pair

DESCRIPTION = (
    "SYNTHETIC captioning data: the real COCO file coco.pt (COCO images with human captions) is not "
    "available offline, so this data set was GENERATED by eecs598.synthetic_captions. Each 112x112 "
    "image shows one or two coloured shapes (circle, square, triangle, cross in red, green, blue, "
    "yellow or purple) on a grey textured background, and its single caption is produced by a small "
    "template grammar, e.g. 'a red circle in the top left', 'two blue squares at the top', 'a green "
    "triangle above a yellow circle'. The tensors have the exact coco.pt layout, but the images and "
    "words are not COCO's and losses, samples or scores obtained on them are not comparable with "
    "the original assignment's."
)


# ---- vocabulary ---------------------------------------------------------------------------------
def grammar_words():
    """Every word the grammar can produce, sorted."""
    words = {"a", "two", "to", "the", "of", "above"}
    words.update(COLOURS, SHAPES, PLURALS.values())
    for phrase in (*CELL_PHRASES.values(), *ROW_PHRASES, *COL_PHRASES):
        words.update(phrase.split())
    return sorted(words)


def build_vocab():
    """Returns ``{'idx_to_token': list, 'token_to_idx': dict}``: special tokens, then sorted words."""
    idx_to_token = list(SPECIAL_TOKENS) + grammar_words()
    return {"idx_to_token": idx_to_token, "token_to_idx": {t: i for i, t in enumerate(idx_to_token)}}


# ---- scenes -------------------------------------------------------------------------------------
def _make_object(rng, colour, shape, row, col):
    cy = (row + 0.5) * CELL + rng.uniform(-JITTER, JITTER)
    cx = (col + 0.5) * CELL + rng.uniform(-JITTER, JITTER)
    angle = 0.0 if SHAPES[shape] == "circle" else float(rng.uniform(-MAX_ANGLE, MAX_ANGLE))
    rgb = np.clip(PALETTE[colour] + rng.uniform(-COLOUR_JITTER, COLOUR_JITTER, 3), 0, 255)
    return {
        "colour": COLOURS[colour], "shape": SHAPES[shape], "cell": (int(row), int(col)),
        "center": (float(cy), float(cx)), "radius": float(rng.uniform(R_MIN, R_MAX)),
        "angle": angle, "rgb": tuple(float(v) for v in rgb),
    }


def make_scenes(n, rng):
    """Draws ``n`` random scenes.

    Inputs:
    - n: number of scenes.
    - rng: ``numpy.random.Generator`` (or an int seed).

    Returns a list of ``n`` dicts with keys
    - ``layout``: 'single', 'horizontal' (both objects in one row) or 'vertical' (one column);
    - ``count``: number of objects (1 or 2);
    - ``objects``: list of object dicts in caption order (left / top object first), each with
      ``colour`` and ``shape`` (names), ``cell`` (row, col) in the 3x3 grid, ``center`` (y, x) and
      ``radius`` in pixels, ``angle`` in degrees, ``rgb`` (the drawn colour, floats 0..255);
    - ``background``: dict with ``level`` (grey), ``tint`` (3 floats).
    """
    rng = np.random.default_rng(rng)
    scenes = []
    n_colour, n_shape = len(COLOURS), len(SHAPES)
    for _ in range(n):
        u = rng.random()
        colour, shape = int(rng.integers(n_colour)), int(rng.integers(n_shape))
        if u < P_SINGLE:
            row, col = rng.integers(GRID, size=2)
            objects = [_make_object(rng, colour, shape, row, col)]
            layout = "single"
        else:
            if u < P_SINGLE + P_PAIR_SAME:
                colour2, shape2 = colour, shape
            else:  # any of the other colour/shape combinations
                k = (colour * n_shape + shape + 1 + int(rng.integers(n_colour * n_shape - 1)))
                k %= n_colour * n_shape
                colour2, shape2 = divmod(k, n_shape)
            horizontal = rng.random() < P_HORIZONTAL
            line = int(rng.integers(GRID))
            first, second = sorted(rng.choice(GRID, size=2, replace=False).tolist())
            if horizontal:
                cells = [(line, first), (line, second)]
            else:
                cells = [(first, line), (second, line)]
            objects = [_make_object(rng, colour, shape, *cells[0]),
                       _make_object(rng, colour2, shape2, *cells[1])]
            layout = "horizontal" if horizontal else "vertical"
        background = {"level": float(rng.uniform(*BG_LEVEL)),
                      "tint": tuple(float(v) for v in rng.uniform(-BG_TINT, BG_TINT, 3))}
        scenes.append({"layout": layout, "count": len(objects), "objects": objects,
                       "background": background})
    return scenes


def scene_caption(scene):
    """The canonical caption (a str without special tokens) of one scene from :func:`make_scenes`."""
    objs = scene["objects"]
    if len(objs) == 1:
        o = objs[0]
        return f"a {o['colour']} {o['shape']} {CELL_PHRASES[o['cell']]}"
    a, b = objs
    if (a["colour"], a["shape"]) == (b["colour"], b["shape"]):
        if scene["layout"] == "horizontal":
            where = ROW_PHRASES[a["cell"][0]]
        else:
            where = COL_PHRASES[a["cell"][1]]
        return f"two {a['colour']} {PLURALS[a['shape']]} {where}"
    relation = "to the left of" if scene["layout"] == "horizontal" else "above"
    return f"a {a['colour']} {a['shape']} {relation} a {b['colour']} {b['shape']}"


def encode_captions(captions, vocab):
    """Encodes caption strings.

    Inputs:
    - captions: list of N strings of at most 15 words.
    - vocab: dict from :func:`build_vocab`.

    Returns an int64 tensor (N, T=17): ``<START> w1 .. wk <END>`` then ``<NULL>`` padding.
    """
    t2i = vocab["token_to_idx"]
    out = torch.full((len(captions), MAX_TOKENS), t2i["<NULL>"], dtype=torch.int64)
    for i, caption in enumerate(captions):
        words = caption.split()
        if len(words) > MAX_TOKENS - 2:
            raise ValueError(f"caption longer than {MAX_TOKENS - 2} words: {caption!r}")
        ids = [t2i["<START>"]] + [t2i.get(w, t2i["<UNK>"]) for w in words] + [t2i["<END>"]]
        out[i, :len(ids)] = torch.tensor(ids)
    return out


def scene_labels(scenes):
    """Classification targets (int64 tensors) for a list of N scenes.

    Returns a dict:
    - ``colour``, ``shape``, ``position``: (N, 2) class indices of the first and second object in
      caption order (index into ``COLOURS``, ``SHAPES``, and cell ``row * 3 + col`` in 0..8);
      ``IGNORE_INDEX`` (-100) for the absent second object of single-object scenes.
    - ``count``: (N,) 0 for one object, 1 for two objects.
    - ``layout``: (N,) index into ``LAYOUTS`` (single / horizontal / vertical).
    - ``grid``: (N, 3, 3) per cell: 0 empty, else ``1 + colour * len(SHAPES) + shape``.
    """
    n_shape = len(SHAPES)
    colour, shape, position = [], [], []
    grid = np.zeros((len(scenes), GRID * GRID), dtype=np.int64)
    for i, s in enumerate(scenes):
        c = [COLOURS.index(o["colour"]) for o in s["objects"]]
        k = [SHAPES.index(o["shape"]) for o in s["objects"]]
        p = [o["cell"][0] * GRID + o["cell"][1] for o in s["objects"]]
        grid[i, p] = [1 + a * n_shape + b for a, b in zip(c, k)]
        pad = [IGNORE_INDEX] * (2 - len(c))
        colour.append(c + pad)
        shape.append(k + pad)
        position.append(p + pad)
    as_long = lambda v: torch.tensor(v, dtype=torch.int64).reshape(-1, 2)  # noqa: E731
    return {
        "colour": as_long(colour), "shape": as_long(shape), "position": as_long(position),
        "count": torch.tensor([s["count"] - 1 for s in scenes], dtype=torch.int64),
        "layout": torch.tensor([LAYOUTS.index(s["layout"]) for s in scenes], dtype=torch.int64),
        "grid": torch.from_numpy(grid).reshape(-1, GRID, GRID),
    }


# ---- rendering ----------------------------------------------------------------------------------
def _signed_distance(shape, x, y, r):
    """Approximate signed distance (px, negative inside) of points (x, y) relative to the object
    centre, already rotated into the object's frame; x, y are (K, P, P), r is (K, 1, 1)."""
    if shape == "circle":
        return np.sqrt(x * x + y * y) - 0.95 * r
    if shape == "square":  # half side 0.8 r: rotated by 15 degrees it still fits in radius r
        return np.maximum(np.abs(x), np.abs(y)) - 0.8 * r
    if shape == "triangle":  # equilateral, circumradius r, apex up (image y grows downwards)
        d = y - 0.5 * r
        d = np.maximum(d, 0.8660254 * x - 0.5 * y - 0.5 * r)
        return np.maximum(d, -0.8660254 * x - 0.5 * y - 0.5 * r)
    if shape == "cross":  # plus sign: arms 0.9 r long, 0.25 r half thick
        ax, ay = np.abs(x), np.abs(y)
        arm, half = 0.9 * r, 0.25 * r
        return np.minimum(np.maximum(ax - arm, ay - half), np.maximum(ax - half, ay - arm))
    raise ValueError(shape)


def _backgrounds(scenes, rng):
    """(N, 3, S, S) float32 backgrounds for a chunk of scenes: grey level + tint + smooth texture."""
    n = len(scenes)
    base = np.array([[s["background"]["level"] + t for t in s["background"]["tint"]]
                     for s in scenes], dtype=np.float32)  # (N, 3)
    coarse = rng.standard_normal((n, 1, BG_TEXTURE_CELLS, BG_TEXTURE_CELLS), dtype=np.float32)
    texture = torch.nn.functional.interpolate(
        torch.from_numpy(coarse * np.float32(BG_TEXTURE)), size=(IMAGE_SIZE, IMAGE_SIZE),
        mode="bilinear", align_corners=False).numpy()  # (N, 1, S, S)
    return texture + base[:, :, None, None]


def _draw_objects(images, scenes):
    """Composites (anti-aliased, alpha-blended) all objects of ``scenes`` onto the float images
    (N, 3, S, S), in place. Objects are rasterised in batches per shape on PATCH x PATCH patches
    around their centres; patches are clipped at the image border."""
    items = [(i, o) for i, s in enumerate(scenes) for o in s["objects"]]
    ar = np.arange(PATCH, dtype=np.float32)
    for shape in SHAPES:
        group = [(i, o) for i, o in items if o["shape"] == shape]
        if not group:
            continue
        cy = np.array([o["center"][0] for _, o in group], dtype=np.float32)
        cx = np.array([o["center"][1] for _, o in group], dtype=np.float32)
        r = np.array([o["radius"] for _, o in group], dtype=np.float32)[:, None, None]
        theta = np.deg2rad(np.array([o["angle"] for _, o in group], dtype=np.float32))
        # Patch k covers pixel rows y0[k] .. y0[k] + PATCH - 1 (pixel centres at +0.5), same for x.
        y0 = np.floor(cy).astype(np.int64) - PAD
        x0 = np.floor(cx).astype(np.int64) - PAD
        dy = y0[:, None, None] + ar[None, :, None] + 0.5 - cy[:, None, None]  # (K, P, 1)
        dx = x0[:, None, None] + ar[None, None, :] + 0.5 - cx[:, None, None]  # (K, 1, P)
        cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
        x = cos * dx + sin * dy  # (K, P, P) in the object's rotated frame
        y = -sin * dx + cos * dy
        cover = np.clip(0.5 - _signed_distance(shape, x, y, r), 0.0, 1.0)  # anti-aliased coverage
        # Gentle shading: brighter towards the top left, +-10%.
        shade = 1.0 + 0.1 * np.clip(-(dx + dy) / (2 * r), -1.0, 1.0)
        for k, (i, o) in enumerate(group):
            ya, xa = max(y0[k], 0), max(x0[k], 0)
            yb, xb = min(y0[k] + PATCH, IMAGE_SIZE), min(x0[k] + PATCH, IMAGE_SIZE)
            sl = (slice(ya - y0[k], yb - y0[k]), slice(xa - x0[k], xb - x0[k]))
            a = cover[k][sl][None]  # (1, h, w)
            rgb = np.asarray(o["rgb"], dtype=np.float32)[:, None, None]
            region = images[i, :, ya:yb, xa:xb]
            region *= 1.0 - a
            region += a * rgb * shade[k][sl][None]


# Standard-normal values at the 256 quantiles (k + 0.5) / 256: indexing this table with random
# bytes gives (quantised) Gaussian noise several times faster than ``Generator.standard_normal``.
_GAUSS_TABLE = torch.special.ndtri(
    (torch.arange(256, dtype=torch.float64) + 0.5) / 256).float().numpy()


def _gaussian_noise(rng, shape, std, mean=0.0):
    """Float32 noise of the given shape: quantised N(mean, std^2), from random bytes."""
    count = int(np.prod(shape))
    idx = np.frombuffer(rng.bytes(count), dtype=np.uint8).reshape(shape)
    return np.take(_GAUSS_TABLE * np.float32(std) + np.float32(mean), idx)


def render_scenes(scenes, rng, chunk=100):
    """Renders scenes to images.

    Inputs:
    - scenes: list of N scene dicts from :func:`make_scenes`.
    - rng: ``numpy.random.Generator`` (or an int seed) for the background texture and noise.
    - chunk: images rendered at once (float32 working memory ~20 MB per 100 images; small chunks
      stay in cache and are faster than large ones).

    Returns a uint8 numpy array (N, 3, S, S).
    """
    rng = np.random.default_rng(rng)
    n = len(scenes)
    out = np.empty((n, 3, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    for start in range(0, n, chunk):
        part = scenes[start:start + chunk]
        m = len(part)
        img = _backgrounds(part, rng)
        _draw_objects(img, part)
        # Noise over the whole picture, objects included; the +0.5 makes the uint8 cast round.
        img += _gaussian_noise(rng, (m, 1, IMAGE_SIZE, IMAGE_SIZE), PIXEL_NOISE, mean=0.5)
        img += _gaussian_noise(rng, (m, 3, IMAGE_SIZE, IMAGE_SIZE), CHROMA_NOISE)
        np.clip(img, 0, 255, out=img)
        np.copyto(out[start:start + m], img, casting="unsafe")  # truncates: rounding, see above
    return out


# ---- data set -----------------------------------------------------------------------------------
def _make_split(n, rng, vocab):
    scenes = make_scenes(n, rng)
    images = torch.from_numpy(render_scenes(scenes, rng))
    captions = encode_captions([scene_caption(s) for s in scenes], vocab)
    return images, captions, scenes


def make_captioning_dataset_with_labels(num_train=10000, num_val=500, seed=0):
    """Generates the data set and its structured labels.

    Inputs:
    - num_train, num_val: numbers of images N_train, N_val.
    - seed: int; the same seed gives the same bytes. Train and val use independent streams
      spawned from ``numpy.random.SeedSequence(seed)``.

    Returns ``(data, labels)``:
    - data: the coco.pt layout, see :func:`make_captioning_dataset`;
    - labels: ``{'train': scene_labels(train scenes), 'val': scene_labels(val scenes)}``.
    """
    vocab = build_vocab()
    train_ss, val_ss = np.random.SeedSequence(seed).spawn(2)
    train_images, train_captions, train_scenes = _make_split(
        num_train, np.random.default_rng(train_ss), vocab)
    val_images, val_captions, val_scenes = _make_split(num_val, np.random.default_rng(val_ss), vocab)
    data = {
        "train_images": train_images, "train_captions": train_captions,
        "val_images": val_images, "val_captions": val_captions, "vocab": vocab,
    }
    return data, {"train": scene_labels(train_scenes), "val": scene_labels(val_scenes)}


def make_captioning_dataset(num_train=10000, num_val=500, seed=0):
    """Generates the synthetic data set in the exact ``coco.pt`` layout.

    Returns a dict with exactly these keys:
    - ``train_images``: uint8 tensor (N_train, 3, 112, 112);
    - ``train_captions``: int64 tensor (N_train, 17);
    - ``val_images``: uint8 tensor (N_val, 3, 112, 112);
    - ``val_captions``: int64 tensor (N_val, 17);
    - ``vocab``: ``{'idx_to_token': list, 'token_to_idx': dict}`` with ``<NULL>``=0, ``<START>``=1,
      ``<END>``=2, ``<UNK>``=3.
    """
    return make_captioning_dataset_with_labels(num_train, num_val, seed)[0]


def cache_path(num_train=10000, num_val=500, seed=0, cache_dir=None):
    """Where :func:`load_or_make` keeps the data set (default ``data_dir()/'synthetic'``)."""
    folder = Path(cache_dir) if cache_dir is not None else resources.data_dir() / "synthetic"
    return folder / f"synthetic_coco_{num_train}_{num_val}_s{seed}.pt"


def _looks_valid(data, num_train, num_val):
    try:
        return (set(data) == {"train_images", "train_captions", "val_images", "val_captions", "vocab"}
                and data["train_images"].dtype == data["val_images"].dtype == torch.uint8
                and data["train_captions"].dtype == data["val_captions"].dtype == torch.int64
                and tuple(data["train_images"].shape) == (num_train, 3, IMAGE_SIZE, IMAGE_SIZE)
                and tuple(data["val_images"].shape) == (num_val, 3, IMAGE_SIZE, IMAGE_SIZE)
                and tuple(data["train_captions"].shape) == (num_train, MAX_TOKENS)
                and tuple(data["val_captions"].shape) == (num_val, MAX_TOKENS)
                and data["vocab"]["idx_to_token"] == build_vocab()["idx_to_token"])
    except (TypeError, KeyError, AttributeError):
        return False


def load_or_make(num_train=10000, num_val=500, seed=0, cache_dir=None):
    """Loads the cached data set, or generates it and caches it (atomic write).

    Returns the same dict as :func:`make_captioning_dataset`. A cached file that cannot be read or
    does not have the expected layout is regenerated. The cache is keyed by the arguments only:
    delete the ``synthetic/`` folder after changing the generator.
    """
    path = cache_path(num_train, num_val, seed, cache_dir)
    if path.exists():
        try:
            data = torch.load(path, map_location="cpu")
            if _looks_valid(data, num_train, num_val):
                return data
        except Exception:  # a truncated or foreign file: regenerate below
            pass
    data = make_captioning_dataset(num_train, num_val, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(data, f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return data
