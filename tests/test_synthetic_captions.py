"""Tests for eecs598.synthetic_captions: the coco.pt layout, determinism, caching, and that every
caption is true of its picture, checked from the pixels with an independent decoder and parser."""
import colorsys
import os
import re

import numpy as np
import pytest
import torch
from scipy import ndimage
from scipy.spatial import ConvexHull

from eecs598 import scene_rendering, synthetic_captions as sc, synthetic_scenes as scenes

KEYS = {"train_images", "train_captions", "val_images", "val_captions", "vocab"}
SPECIALS = {"<NULL>": 0, "<START>": 1, "<END>": 2, "<UNK>": 3}
CELL = 112 / 3

# An independent statement of the grammar (see the module docstring).
COLOUR = r"(red|green|blue|yellow|purple)"
SHAPE = r"(circle|square|triangle|cross)"
PLURAL = r"(circles|squares|triangles|crosses)"
SINGLE_RE = re.compile(rf"^a {COLOUR} {SHAPE} (in the top left|at the top|in the top right|on the left"
                       r"|in the center|on the right|in the bottom left|at the bottom|in the bottom right)$")
TWO_RE = re.compile(rf"^two {COLOUR} {PLURAL} (at the top|at the bottom|on the left|on the right"
                    r"|in the middle)$")
PAIR_RE = re.compile(rf"^a {COLOUR} {SHAPE} (to the left of|above) a {COLOUR} {SHAPE}$")
CELL_OF = {"in the top left": (0, 0), "at the top": (0, 1), "in the top right": (0, 2),
           "on the left": (1, 0), "in the center": (1, 1), "on the right": (1, 2),
           "in the bottom left": (2, 0), "at the bottom": (2, 1), "in the bottom right": (2, 2)}


@pytest.fixture(scope="module")
def generated():
    return sc.make_captioning_dataset_with_labels(num_train=400, num_val=100, seed=0)


def decode(row, idx_to_token):
    """Independent decoder: tokens between <START> and <END>, joined by spaces."""
    words = []
    for i in row.tolist()[1:]:
        token = idx_to_token[i]
        if token == "<END>":
            break
        words.append(token)
    return " ".join(words)


def test_layout_matches_coco_pt(generated):
    data, _ = generated
    assert set(data) == KEYS
    for split, n in (("train", 400), ("val", 100)):
        images, captions = data[f"{split}_images"], data[f"{split}_captions"]
        assert images.dtype == torch.uint8 and images.shape == (n, 3, 112, 112)
        assert captions.dtype == torch.int64 and captions.shape == (n, 17)
    vocab = data["vocab"]
    assert set(vocab) == {"idx_to_token", "token_to_idx"}
    itos, stoi = vocab["idx_to_token"], vocab["token_to_idx"]
    assert isinstance(itos, list) and isinstance(stoi, dict)
    for token, idx in SPECIALS.items():
        assert itos[idx] == token and stoi[token] == idx
    assert len(itos) == len(stoi) == len(set(itos))
    assert all(stoi[t] == i for i, t in enumerate(itos))
    assert itos[4:] == sorted(itos[4:])  # the grammar's words, sorted, after the specials


def test_caption_token_structure(generated):
    data, _ = generated
    vocab = data["vocab"]["token_to_idx"]
    null, start, end, unk = (vocab[t] for t in ("<NULL>", "<START>", "<END>", "<UNK>"))
    captions = torch.cat([data["train_captions"], data["val_captions"]])
    for row in captions.tolist():
        assert row[0] == start
        assert row.count(end) == 1 and row.count(start) == 1 and unk not in row
        e = row.index(end)
        assert 2 <= e <= 16  # 1..15 words
        assert null not in row[:e]
        assert all(t == null for t in row[e + 1:])


def test_captions_follow_grammar_and_all_words_used(generated):
    data, _ = generated
    itos = data["vocab"]["idx_to_token"]
    used = set()
    for key in ("train_captions", "val_captions"):
        for row in data[key]:
            sentence = decode(row, itos)
            assert SINGLE_RE.match(sentence) or TWO_RE.match(sentence) or PAIR_RE.match(sentence), \
                sentence
            used.update(sentence.split())
    assert used == set(itos[4:])  # no dead words in the vocabulary


def test_deterministic_from_seed():
    a = sc.make_captioning_dataset(num_train=40, num_val=10, seed=3)
    b = sc.make_captioning_dataset(num_train=40, num_val=10, seed=3)
    c = sc.make_captioning_dataset(num_train=40, num_val=10, seed=4)
    for key in KEYS - {"vocab"}:
        assert torch.equal(a[key], b[key])
        assert not torch.equal(a[key], c[key])
    assert a["vocab"] == b["vocab"] == c["vocab"]


def test_train_val_disjoint_and_images_distinct(generated):
    data, _ = generated
    train = {bytes(x.numpy().tobytes()) for x in data["train_images"]}
    val = {bytes(x.numpy().tobytes()) for x in data["val_images"]}
    assert len(train) == 400 and len(val) == 100
    assert not train & val


def _hue_name(rgb):
    h, s, _ = colorsys.rgb_to_hsv(*(np.asarray(rgb) / 255.0))
    h *= 360
    assert s > 0.4, rgb  # objects are saturated, unlike the grey background
    for name, lo, hi in (("red", -30, 25), ("yellow", 35, 75), ("green", 90, 170),
                         ("blue", 190, 250), ("purple", 260, 320)):
        if lo <= h <= hi or lo <= h - 360 <= hi:
            return name
    raise AssertionError(f"hue {h:.0f} of {rgb} matches no colour name")


def _shape_name(ys, xs):
    """Rotation-invariant shape from a component's pixels: solidity, then area / circumcircle."""
    corners = np.concatenate([np.stack([ys + dy, xs + dx], 1) for dy in (0, 1) for dx in (0, 1)])
    solidity = len(ys) / ConvexHull(corners).volume
    if solidity < 0.76:
        return "cross"
    cy, cx = ys.mean() + 0.5, xs.mean() + 0.5
    r2 = ((ys + 0.5 - cy) ** 2 + (xs + 0.5 - cx) ** 2).max()
    fill = len(ys) / (np.pi * r2)
    return "circle" if fill > 0.88 else "square" if fill > 0.58 else "triangle"


def _objects_in(image):
    """Saturated connected components of an image (3, S, S) uint8, as dicts sorted by x."""
    img = image.numpy().astype(np.int32)
    foreground = (img.max(0) - img.min(0)) > 60
    labels, n = ndimage.label(foreground)
    found = []
    for k in range(1, n + 1):
        ys, xs = np.nonzero(labels == k)
        if len(ys) < 40:  # a few noisy pixels are not an object
            continue
        found.append({"colour": _hue_name(img[:, ys, xs].mean(1)), "shape": _shape_name(ys, xs),
                      "y": ys.mean() + 0.5, "x": xs.mean() + 0.5})
    return found


def _cell(obj):
    return int(obj["y"] // CELL), int(obj["x"] // CELL)


@pytest.mark.parametrize("split", ["train", "val"])
def test_caption_is_true_of_the_pixels(generated, split):
    data, _ = generated
    itos = data["vocab"]["idx_to_token"]
    singular = {"circles": "circle", "squares": "square", "triangles": "triangle",
                "crosses": "cross"}
    kinds = set()
    for image, row in zip(data[f"{split}_images"], data[f"{split}_captions"]):
        sentence = decode(row, itos)
        objs = _objects_in(image)
        if m := SINGLE_RE.match(sentence):
            kinds.add("single")
            assert len(objs) == 1, sentence
            o = objs[0]
            assert (o["colour"], o["shape"]) == (m[1], m[2]), (sentence, o)
            assert _cell(o) == CELL_OF[m[3]], (sentence, o)
        elif m := TWO_RE.match(sentence):
            kinds.add("two")
            assert len(objs) == 2, sentence
            for o in objs:
                assert (o["colour"], o["shape"]) == (m[1], singular[m[2]]), (sentence, o)
            (r1, c1), (r2, c2) = (_cell(o) for o in objs)
            where = m[3]
            if where in ("at the top", "at the bottom"):
                assert r1 == r2 == (0 if where == "at the top" else 2), sentence
            elif where in ("on the left", "on the right"):
                assert c1 == c2 == (0 if where == "on the left" else 2), sentence
            else:  # in the middle: the middle row or the middle column
                assert r1 == r2 == 1 or c1 == c2 == 1, sentence
        else:
            m = PAIR_RE.match(sentence)
            kinds.add(m[3])
            assert len(objs) == 2, sentence
            if m[3] == "to the left of":
                first, second = sorted(objs, key=lambda o: o["x"])
                assert _cell(first)[0] == _cell(second)[0], sentence
                assert _cell(first)[1] < _cell(second)[1], sentence
            else:
                first, second = sorted(objs, key=lambda o: o["y"])
                assert _cell(first)[1] == _cell(second)[1], sentence
                assert _cell(first)[0] < _cell(second)[0], sentence
            assert (first["colour"], first["shape"]) == (m[1], m[2]), (sentence, first)
            assert (second["colour"], second["shape"]) == (m[4], m[5]), (sentence, second)
            assert (m[1], m[2]) != (m[4], m[5])  # identical objects are counted instead
    assert kinds == {"single", "two", "to the left of", "above"}


def test_scene_labels_agree_with_captions(generated):
    data, labels = generated
    itos = data["vocab"]["idx_to_token"]
    for split in ("train", "val"):
        lab = labels[split]
        n = len(data[f"{split}_captions"])
        assert set(lab) == {"colour", "shape", "position", "count", "layout", "grid"}
        for key, shape in (("colour", (n, 2)), ("shape", (n, 2)), ("position", (n, 2)),
                           ("count", (n,)), ("layout", (n,)), ("grid", (n, 3, 3))):
            assert lab[key].dtype == torch.int64 and lab[key].shape == shape
        for i, row in enumerate(data[f"{split}_captions"]):
            words = decode(row, itos).split()
            two_objects = words[0] == "two" or "of" in words or "above" in words
            assert lab["count"][i].item() == int(two_objects)
            assert (lab["grid"][i] > 0).sum().item() == 1 + int(two_objects)
            assert (lab["layout"][i].item() == 0) == (not two_objects)
            colour = scenes.COLOURS[lab["colour"][i, 0]]
            shape = scenes.SHAPES[lab["shape"][i, 0]]
            assert words[1] == colour and words[2] in (shape, scenes.PLURALS[shape])
            r, c = divmod(lab["position"][i, 0].item(), 3)
            assert lab["grid"][i, r, c].item() == 1 + lab["colour"][i, 0] * len(scenes.SHAPES) \
                + lab["shape"][i, 0]
            if not two_objects:
                assert (lab["colour"][i, 1], lab["shape"][i, 1], lab["position"][i, 1]) == \
                    (scenes.IGNORE_INDEX,) * 3
                assert CELL_OF[" ".join(words[3:])] == (r, c)
            else:
                assert lab["position"][i, 1] >= 0


def test_caption_is_a_function_of_the_label_grid(generated):
    """One canonical caption per scene: a network that predicts the 3x3 grid of (colour, shape)
    labels has all the information the caption needs."""
    data, labels = generated
    caption_of = {}
    for split in ("train", "val"):
        for grid, row in zip(labels[split]["grid"], data[f"{split}_captions"]):
            key = tuple(grid.flatten().tolist())
            assert caption_of.setdefault(key, row.tolist()) == row.tolist()
    assert len(caption_of) > 100  # and the scenes are varied


def test_make_scenes_and_render_accept_seeds():
    drawn = scenes.make_scenes(5, 11)
    assert drawn == scenes.make_scenes(5, np.random.default_rng(11))
    assert [s["count"] for s in drawn] == [len(s["objects"]) for s in drawn]
    images = scene_rendering.render_scenes(drawn, 2)
    assert images.dtype == np.uint8 and images.shape == (5, 3, 112, 112)
    assert np.array_equal(images, scene_rendering.render_scenes(drawn, np.random.default_rng(2)))


def test_load_or_make_caches_atomically(tmp_path, monkeypatch):
    monkeypatch.setenv("EECS598_DATA_DIR", str(tmp_path))
    first = sc.load_or_make(num_train=20, num_val=5, seed=1)
    path = sc.cache_path(num_train=20, num_val=5, seed=1)
    assert path.parent == tmp_path / "synthetic" and path.name.startswith("synthetic_coco_20_5_s1_")
    assert path.is_file()
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind
    on_disk = torch.load(path)
    assert set(on_disk) == KEYS
    fresh = sc.make_captioning_dataset(num_train=20, num_val=5, seed=1)

    def must_not_run(*args, **kwargs):
        raise AssertionError("regenerated although a valid cache exists")

    monkeypatch.setattr(sc, "make_captioning_dataset", must_not_run)
    again = sc.load_or_make(num_train=20, num_val=5, seed=1)
    for key in KEYS - {"vocab"}:
        assert torch.equal(first[key], fresh[key]) and torch.equal(again[key], fresh[key])
    assert again["vocab"] == fresh["vocab"]

    # A truncated cache file is regenerated, not used.
    monkeypatch.undo()
    monkeypatch.setenv("EECS598_DATA_DIR", str(tmp_path))
    path.write_bytes(path.read_bytes()[:1000])
    repaired = sc.load_or_make(num_train=20, num_val=5, seed=1)
    assert torch.equal(repaired["train_images"], fresh["train_images"])
    assert torch.equal(torch.load(path)["val_captions"], fresh["val_captions"])

    # An explicit cache_dir wins over the environment.
    other = tmp_path / "elsewhere"
    sc.load_or_make(num_train=20, num_val=5, seed=1, cache_dir=other)
    assert (other / path.name).is_file()

    # Another generator (its code changed) never reads this generator's file.
    monkeypatch.setattr(sc, "generator_version", lambda: "0123456789abcdef")
    assert sc.cache_path(num_train=20, num_val=5, seed=1) != path
    monkeypatch.setattr(sc, "make_captioning_dataset", must_not_run)
    with pytest.raises(AssertionError, match="regenerated"):
        sc.load_or_make(num_train=20, num_val=5, seed=1)


def test_description_says_synthetic():
    text = sc.DESCRIPTION
    assert "SYNTHETIC" in text and "GENERATED" in text and "not available offline" in text
    assert "\n" not in text
