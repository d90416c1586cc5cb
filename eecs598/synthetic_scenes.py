"""Random scenes of coloured shapes and their one true caption (the synthetic captioning grammar).

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

Captions are encoded as in ``coco.pt``: ``<START> w1 ... wk <END>`` padded with ``<NULL>`` to
``MAX_TOKENS`` = 17 tokens, int64. The vocabulary holds the special tokens ``<NULL>``=0,
``<START>``=1, ``<END>``=2, ``<UNK>``=3 and then every word of the grammar in sorted order.
:func:`scene_labels` turns scenes into int64 classification targets (colour, shape, cell, count,
layout, a 3x3 label grid), for training a feature network on the rendered images.

Pictures are drawn by :mod:`eecs598.scene_rendering`; the data set is :mod:`eecs598.synthetic_captions`.
"""
import numpy as np
import torch

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

# ---- geometry (pixels) and the scene mix --------------------------------------------------------
IMAGE_SIZE = 112
GRID = 3
CELL = IMAGE_SIZE / GRID  # 37.33 px
R_MIN, R_MAX = 10.0, 15.0  # bounding radius of an object
JITTER = 3.0               # max centre offset from the cell centre; 2*R_MAX + 2*JITTER < CELL keeps
                           # objects in neighbouring cells >= 1.3 px apart
MAX_ANGLE = 15.0           # degrees of rotation for square / triangle / cross
COLOUR_JITTER = 20.0
# Background of each scene: a grey level and a faint tint (kept low in saturation, so the objects
# are the only strongly coloured pixels).
BG_LEVEL = (70.0, 170.0)
BG_TINT = 8.0

P_SINGLE = 0.5
P_PAIR_SAME = 0.2          # the rest (0.3) are pairs of two different objects
P_HORIZONTAL = 0.5         # orientation of a pair


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
