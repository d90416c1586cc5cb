"""Drawing the synthetic scenes: 112x112 RGB pictures of coloured shapes on a textured background.

:func:`render_scenes` turns scene dicts from :func:`eecs598.synthetic_scenes.make_scenes` into uint8
images: a grey background with a faint tint and a smooth texture, the objects anti-aliased and
gently shaded, then fine luminance and colour noise over the whole picture. Deterministic given
the random generator.

Shapes: N images, S = 112 pixels per side, K objects drawn at once, P = ``PATCH`` pixels.
"""
import numpy as np
import torch

from .synthetic_scenes import IMAGE_SIZE, SHAPES

PAD = 16                   # an object is rasterised on a patch reaching PAD px around its centre
PATCH = 2 * PAD + 1
BG_TEXTURE = 14.0          # amplitude of the smooth luminance texture
BG_TEXTURE_CELLS = 8       # texture resolution before bilinear upsampling
PIXEL_NOISE = 4.0          # std of the per-pixel luminance noise (whole image)
CHROMA_NOISE = 2.0         # std of the per-pixel, per-channel noise (whole image)


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
