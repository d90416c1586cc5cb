"""General helpers shared by the A4 notebooks: seeding, image conversion and plotting.

Shape symbols used below: N images, T time steps (caption length), H x W image size.

Differences from the original ``eecs598/utils.py`` (each is noted again where it applies):

* No OpenCV. The original imported ``cv2`` at the top, so ``import eecs598`` failed without it;
  :func:`attention_visualizer` now uses torch for resizing and Pillow for the text.
* :func:`attention_visualizer` takes ``channel_order``: 'BGR' (default) is the original's
  output, which the original notebook flips back with ``torch.flip(..., dims=(0,))`` -- so that
  call sequence keeps its colours -- and 'RGB' is ready for ``plt.imshow``.
* :func:`reset_seed` also seeds numpy (and every CUDA device explicitly).
"""
import random
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont
from torchvision.utils import make_grid

NULL_TOKEN = "<NULL>"
END_TOKEN = "<END>"
STRIP_HEIGHT = 25  # pixels of black strip above each attention map, holding the token


def reset_seed(number):
    """Seed Python ``random``, numpy and torch (CPU and every CUDA device) with ``number``."""
    random.seed(number)
    np.random.seed(number)
    torch.manual_seed(number)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(number)


def tensor_to_image(tensor):
    """Convert a float image tensor into a uint8 numpy image for ``plt.imshow``.

    Inputs:
    - tensor: (3, H, W) float tensor with values in [0, 1].

    Returns:
    - ndarr: (H, W, 3) uint8 numpy array; each value is round(255 * x), clamped to [0, 255].
    """
    tensor = tensor.detach().mul(255).add_(0.5).clamp_(0, 255)
    return tensor.permute(1, 2, 0).to("cpu", torch.uint8).numpy()


def visualize_dataset(X_data, y_data, samples_per_class, class_list):
    """Make a grid of random samples, one row per class, with class names written on the left.

    The class names are drawn with ``plt.text`` on the current matplotlib axes (as in the
    original), so call ``plt.imshow`` on the result in the same figure.

    Inputs:
    - X_data: (N, 3, H, W) float tensor in [0, 1] (a uint8 tensor is divided by 255).
    - y_data: (N,) integer labels in [0, len(class_list)).
    - samples_per_class: number of random samples per class (columns of the grid).
    - class_list: list of class names, one per label.

    Returns:
    - img: (rows * (H + 2) + 2, cols * (W + 2) + 2, 3) uint8 numpy array (``make_grid`` layout,
      2-pixel padding).
    """
    X_data = torch.as_tensor(X_data)
    y_data = torch.as_tensor(y_data)
    if X_data.dtype == torch.uint8:
        X_data = X_data.float() / 255
    img_half_width = X_data.shape[2] // 2
    samples = []
    for y, cls in enumerate(class_list):
        plt.text(-4, (img_half_width * 2 + 2) * y + (img_half_width + 2), cls, ha="right")
        idxs = (y_data == y).nonzero().view(-1)
        if idxs.numel() == 0:
            raise ValueError("No samples of class %d (%s) in y_data" % (y, cls))
        for _ in range(samples_per_class):
            idx = idxs[random.randrange(idxs.shape[0])].item()
            samples.append(X_data[idx])
    img = make_grid(samples, nrow=samples_per_class)
    return tensor_to_image(img)


def decode_captions(captions, idx_to_word):
    """Turn word indices into caption strings.

    ``<NULL>`` tokens are dropped, ``<START>`` is kept, and decoding of a caption stops after
    its first ``<END>`` (which is kept).

    Inputs:
    - captions: (T,) or (N, T) integer tensor, numpy array or nested list.
    - idx_to_word: list (or dict) mapping an index to its word.

    Returns:
    - decoded: a str for (T,) input, or a list of N str for (N, T) input.
    """
    if isinstance(captions, torch.Tensor):
        singleton = captions.dim() == 1
        captions = captions.detach().cpu().tolist()
    elif isinstance(captions, np.ndarray):
        singleton = captions.ndim == 1
        captions = captions.tolist()
    else:
        captions = list(captions)
        singleton = len(captions) == 0 or np.ndim(captions[0]) == 0
    if singleton:
        captions = [captions]
    decoded = []
    for caption in captions:
        words = []
        for idx in caption:
            word = idx_to_word[int(idx)]
            if word != NULL_TOKEN:
                words.append(word)
            if word == END_TOKEN:
                break
        decoded.append(" ".join(words))
    return decoded[0] if singleton else decoded


def _default_font(size=13):
    """Pillow's built-in font (a scalable one on Pillow >= 10.1, else the bitmap font)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no size argument
        return ImageFont.load_default()


def attention_visualizer(img, attn_weights, token, channel_order="BGR"):
    """Overlay an attention map on an image and write the token above it.

    The weights are upsampled to the image size with nearest-neighbour interpolation, repeated
    over the 3 channels and blended 0.5/0.5 with the image (as floats in [0, 1]). A 25-pixel
    black strip with ``token`` written in white is put on top.

    Channel order. The original converted the image to BGR for OpenCV, and the original
    notebook undoes that::

        vis_attn.append(transforms.ToTensor()(attention_visualizer(img, attn_weights, token)))
        vis_attn = make_grid(vis_attn, nrow=8)
        plt.imshow(torch.flip(vis_attn, dims=(0,)).permute(1, 2, 0))

    The default, ``channel_order='BGR'``, keeps that sequence's colours right. To show the result
    directly, ask for RGB: ``plt.imshow(attention_visualizer(img, w, token, channel_order='RGB'))``
    (``a4_helper.show_attention`` does).

    Fixed quirks of the original: it needed OpenCV (here torch resizes and Pillow writes the
    text), and it wrote the text with value 255 into a [0, 1] float image; here white is 1.0.

    Inputs:
    - img: (3, H, W) uint8 RGB tensor (or numpy array).
    - attn_weights: (4, 4) tensor of attention weights (any (h, w) grid works).
    - token: str written in the strip.
    - channel_order: 'BGR' (the original's output) or 'RGB'.

    Returns:
    - vis: (H + 25, W, 3) float64 numpy array. Rows 25: equal 0.5 * img / 255 + 0.5 * weights,
      channels in ``channel_order``; the strip is 0 except for the text.
    """
    if channel_order not in ("BGR", "RGB"):
        raise ValueError("channel_order must be 'BGR' or 'RGB', got %r" % (channel_order,))
    img = torch.as_tensor(img).detach().cpu()
    C, H, W = img.shape
    if C != 3:
        raise ValueError("attention_visualizer needs a 3-channel image, got shape %s" % (tuple(img.shape),))
    attn = torch.as_tensor(attn_weights).detach().cpu().to(torch.float64)
    attn = F.interpolate(attn[None, None], size=(H, W), mode="nearest")[0, 0]  # (H, W)
    attn = attn.unsqueeze(2).expand(H, W, 3)
    img_float = img.to(torch.float64).div(255).permute(1, 2, 0)  # (H, W, 3) RGB
    if channel_order == "BGR":
        img_float = img_float.flip(2)
    blended = (0.5 * attn + 0.5 * img_float).numpy()

    strip = Image.new("L", (W, STRIP_HEIGHT), 0)
    ImageDraw.Draw(strip).text((10, 5), "%s" % (token,), fill=255, font=_default_font())
    strip = np.asarray(strip, dtype=np.float64) / 255  # (25, W)
    strip = np.repeat(strip[:, :, None], 3, axis=2)
    return np.concatenate((strip, blended), axis=0)


def _to_hwc_uint8(image):
    """(3, H, W) or (H, W, 3) tensor/array -> (H, W, 3) numpy array for imshow."""
    image = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[2] not in (1, 3):
        image = image.transpose(1, 2, 0)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return image


def show_captioned_images(images, captions, ncols=3, title=None, width=28):
    """Show images in a grid with a caption under each one (for the captioning notebook).

    Inputs:
    - images: (N, 3, H, W) uint8 tensor or array (a list of (3, H, W) / (H, W, 3) images works too).
    - captions: list of N strings; long captions are wrapped to ``width`` characters per line.
    - ncols: number of columns of the grid.
    - title: optional title of the whole figure.
    - width: characters per caption line.

    Returns:
    - fig: the matplotlib Figure.
    """
    n = len(images)
    if len(captions) != n:
        raise ValueError("Got %d images but %d captions" % (n, len(captions)))
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.6 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(_to_hwc_uint8(images[i]))
        ax.text(0.5, -0.03, textwrap.fill(str(captions[i]), width), transform=ax.transAxes,
                ha="center", va="top", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(histories, xlabel="Iteration", ylabel="Loss", title=None):
    """Plot one line per named history (losses, accuracies, ...).

    Inputs:
    - histories: dict mapping a label to a list of floats (a bare list is plotted unlabelled).
    - xlabel, ylabel, title: axis labels and optional title.

    Returns:
    - fig: the matplotlib Figure.
    """
    if not isinstance(histories, dict):
        histories = {None: histories}
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, values in histories.items():
        values = [float(v) for v in values]
        ax.plot(range(len(values)), values, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(label is not None for label in histories):
        ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
