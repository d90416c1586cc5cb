"""Tests for eecs598.utils: seeding, image conversion, caption decoding and plots."""
import random

import matplotlib

matplotlib.use("Agg")  # this process only; never via MPLBACKEND, which notebook kernels inherit
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np
import pytest
import torch

from eecs598.utils import (attention_visualizer, decode_captions, plot_history, reset_seed,
                           show_captioned_images, tensor_to_image, visualize_dataset)

VOCAB = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "dog", "sits"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_reset_seed_makes_all_generators_reproducible():
    def draw():
        return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()

    reset_seed(123)
    first = draw()
    reset_seed(123)
    assert draw() == first
    reset_seed(124)
    other = draw()
    assert all(a != b for a, b in zip(first, other))


def test_tensor_to_image_exact_values_and_layout():
    values = torch.tensor([0.0, 1.0, 0.5, -0.3, 1.7, 0.1, 0.3, 0.002, 0.001, 0.25, 0.75, 0.9])
    t = values.view(3, 2, 2)
    expected_values = [0, 255, 128, 0, 255, 26, 77, 1, 0, 64, 191, 230]
    img = tensor_to_image(t)
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (2, 2, 3)
    expected = torch.tensor(expected_values, dtype=torch.uint8).view(3, 2, 2)
    for c in range(3):
        for h in range(2):
            for w in range(2):
                assert img[h, w, c] == expected[c, h, w]


def test_visualize_dataset_rows_hold_their_class():
    colors = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    y = torch.arange(12) % 3
    X = colors[y][:, :, None, None].expand(12, 3, 8, 8).clone()
    reset_seed(0)
    img = visualize_dataset(X, y, samples_per_class=2, class_list=["r", "g", "b"])
    assert img.shape == (3 * 10 + 2, 2 * 10 + 2, 3) and img.dtype == np.uint8
    for row in range(3):
        for col in range(2):
            pixel = img[2 + 10 * row + 4, 2 + 10 * col + 4]
            assert pixel.tolist() == (colors[row] * 255).to(torch.uint8).tolist()
    labels = [t.get_text() for t in plt.gca().texts]
    assert labels == ["r", "g", "b"]


def test_decode_captions_single_caption():
    caption = torch.tensor([1, 4, 5, 0, 7, 2, 6, 0])
    assert decode_captions(caption, VOCAB) == "<START> a cat sits <END>"


def test_decode_captions_batch_drops_null_and_stops_after_end():
    captions = np.array([
        [1, 4, 6, 2, 5, 5],   # words after <END> are dropped
        [0, 1, 0, 4, 0, 7],   # no <END>: every non-NULL word
        [0, 0, 0, 0, 0, 0],   # only NULL: empty string
        [2, 4, 5, 6, 7, 3],   # stops at the first token
    ])
    expected = ["<START> a dog <END>", "<START> a sits", "", "<END>"]
    assert decode_captions(captions, VOCAB) == expected
    assert decode_captions(torch.from_numpy(captions), VOCAB) == expected
    assert decode_captions(captions.tolist(), dict(enumerate(VOCAB))) == expected
    assert decode_captions([1, 5, 2], VOCAB) == "<START> cat <END>"


def test_attention_visualizer_blend_and_strip():
    torch.manual_seed(0)
    H, W = 16, 48  # not square: catches swapped (H, W)
    img = torch.randint(0, 256, (3, H, W), dtype=torch.uint8)
    attn = torch.rand(4, 4, requires_grad=True)
    vis = attention_visualizer(img, attn, "cat", channel_order="RGB")
    assert isinstance(vis, np.ndarray) and vis.shape == (H + 25, W, 3)

    # Nearest-neighbour upsampling by hand: pixel (h, w) takes weight (h * 4 // H, w * 4 // W).
    a = attn.detach().numpy()
    rows = np.arange(H) * 4 // H
    cols = np.arange(W) * 4 // W
    up = a[rows][:, cols]
    expected = 0.5 * img.permute(1, 2, 0).numpy() / 255.0 + 0.5 * up[:, :, None]
    np.testing.assert_allclose(vis[25:], expected, rtol=0, atol=1e-12)

    strip = vis[:25]
    assert strip.max() > 0.5  # the token is written
    assert strip.min() >= 0 and strip.max() <= 1
    assert np.array_equal(strip[..., 0], strip[..., 1]) and np.array_equal(strip[..., 0], strip[..., 2])
    assert np.all(strip[:, :10] == 0) and np.all(strip[:4] == 0)  # black outside the text
    assert np.all(strip[:, 40:] == 0)  # 'cat' is short


def test_attention_visualizer_rgb_on_request():
    img = torch.zeros(3, 8, 8, dtype=torch.uint8)
    img[0] = 200  # pure red
    vis = attention_visualizer(img, torch.zeros(4, 4), "", channel_order="RGB")
    assert np.allclose(vis[25:, :, 0], 0.5 * 200 / 255)
    assert np.all(vis[25:, :, 1:] == 0)
    assert np.all(vis[:25] == 0)  # empty token: all black
    with pytest.raises(ValueError, match="channel_order"):
        attention_visualizer(img, torch.zeros(4, 4), "", channel_order="rgb ")


def test_attention_visualizer_original_notebook_sequence_keeps_colours():
    """The FA2020 captioning notebook: ToTensor() on each tile, make_grid, then
    torch.flip(dims=(0,)) to undo the BGR of the original -- red must come out red."""
    from torchvision import transforms
    from torchvision.utils import make_grid

    img = torch.zeros(3, 8, 8, dtype=torch.uint8)
    img[0], img[2] = 200, 40  # red with a little blue
    attn = torch.zeros(4, 4)
    attn[0, 0] = 1.0
    vis_attn = [transforms.ToTensor()(attention_visualizer(img, attn, tok)) for tok in ("a", "cat")]
    grid = make_grid(vis_attn, nrow=8)
    shown = torch.flip(grid, dims=(0,)).permute(1, 2, 0)  # what plt.imshow gets
    tile = shown[2 + 25:2 + 25 + 8, 2:2 + 8]  # first tile below its strip (make_grid pads by 2)
    expected = attention_visualizer(img, attn, "a", channel_order="RGB")[25:]
    np.testing.assert_allclose(tile.numpy(), expected, atol=1e-12)
    assert tile[4, 4, 0] > tile[4, 4, 2] > 0 and tile[4, 4, 1] == 0  # red stays red


def test_show_captioned_images():
    images = torch.randint(0, 256, (5, 3, 10, 12), dtype=torch.uint8)
    captions = ["cap %d" % i for i in range(5)]
    fig = show_captioned_images(images, captions, ncols=3, title="samples")
    axes = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 6 and len(axes) == 5
    for ax, cap, image in zip(axes, captions, images):
        assert [t.get_text() for t in ax.texts] == [cap]
        assert np.array_equal(ax.images[0].get_array(), image.permute(1, 2, 0).numpy())
    assert fig._suptitle.get_text() == "samples"
    with pytest.raises(ValueError):
        show_captioned_images(images, captions[:2])


def test_plot_history():
    fig = plot_history({"rnn": [3.0, 2.0, 1.0], "lstm": [4, 2]}, "Iteration", "Loss", "losses")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["rnn", "lstm"]
    assert ax.lines[0].get_ydata().tolist() == [3.0, 2.0, 1.0]
    assert ax.lines[1].get_xdata().tolist() == [0, 1]
    assert ax.get_xlabel() == "Iteration" and ax.get_ylabel() == "Loss" and ax.get_title() == "losses"
