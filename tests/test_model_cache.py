"""The one cache of the project-trained models (eecs598.model_cache) and its three users.

A tiny linear model checks the cache itself: every part of the configuration is in the key, a
file is written atomically and re-read, a damaged or foreign file is retrained, and the printed line
says which happened. The GAN quality classifier (with a few training steps) shows that changing one
hyperparameter of a real model trains a new one instead of reusing stale weights.
"""
import os

import pytest
import torch

from eecs598 import caption_features, digit_classifier, gan_quality, model_cache
from eecs598.resources import ResourceUnavailable


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small convolutions: threads only add overhead (and noise on a busy CI)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(model_cache, "cache_dir", lambda: tmp_path / "trained")
    return tmp_path / "trained"


class _Counter:
    """``train`` for load_or_train: a seeded nn.Linear; counts its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, seed=0):
        self.calls += 1
        torch.manual_seed(seed)
        return torch.nn.Linear(3, 2), {"calls": self.calls}


def _build():
    return torch.nn.Linear(3, 2)


def test_trains_once_then_loads_the_same_weights(cache, capsys):
    train = _Counter()
    config = dict(lr=0.1, seed=0, data="d1", code="c1")
    first, info, how = model_cache.load_or_train("toy", config, train, _build)
    assert train.calls == 1 and info == {"calls": 1} and how.startswith("toy: trained here")
    path = model_cache.cache_path("toy", config)
    assert os.listdir(cache) == [path.name]  # no temporary file left behind
    second, info2, how2 = model_cache.load_or_train("toy", config, train, _build)
    assert train.calls == 1 and info2 == {"calls": 1}
    assert how2 == f"toy: loaded trained weights from {path}"
    assert all(torch.equal(p, q) for p, q in zip(first.parameters(), second.parameters()))
    out = capsys.readouterr().out
    assert "toy: trained here" in out and f"toy: loaded trained weights from {path}" in out


@pytest.mark.parametrize("change", [dict(lr=0.2), dict(seed=1), dict(data="d2"), dict(code="c2"),
                                    dict(extra=1)])
def test_any_change_of_the_configuration_retrains(cache, change):
    train = _Counter()
    config = dict(lr=0.1, seed=0, data="d1", code="c1")
    model_cache.load_or_train("toy", config, train, _build)
    model_cache.load_or_train("toy", dict(config, **change), train, _build)
    assert train.calls == 2
    assert len(os.listdir(cache)) == 2
    model_cache.load_or_train("toy", config, train, _build)  # the first one is still there
    assert train.calls == 2


def test_damaged_or_foreign_file_is_retrained(cache, capsys):
    train = _Counter()
    config = dict(lr=0.1)
    model_cache.load_or_train("toy", config, train, _build)
    path = model_cache.cache_path("toy", config)
    path.write_bytes(path.read_bytes()[:100])  # truncated
    model_cache.load_or_train("toy", config, train, _build)
    assert train.calls == 2 and "ignoring" in capsys.readouterr().out
    # a file trained with another configuration under this name (e.g. a hash collision)
    model_cache.atomic_save({"state_dict": _build().state_dict(), "info": "{}",
                             "config": '{"lr": 9}'}, path)
    model_cache.load_or_train("toy", config, train, _build)
    assert train.calls == 3 and "another configuration" in capsys.readouterr().out


def test_retrain_forces_training(cache):
    train = _Counter()
    model_cache.load_or_train("toy", {}, train, _build)
    model_cache.load_or_train("toy", {}, train, _build, retrain=True)
    assert train.calls == 2


def test_code_version_and_data_fingerprint():
    assert model_cache.code_version(_build) != model_cache.code_version(_Counter)
    assert model_cache.code_version(_build) == model_cache.code_version(_build)
    a = torch.arange(6, dtype=torch.uint8)
    assert model_cache.data_fingerprint(a) == model_cache.data_fingerprint(a.numpy())
    assert model_cache.data_fingerprint(a) != model_cache.data_fingerprint(a.reshape(2, 3))
    assert model_cache.data_fingerprint(a) != model_cache.data_fingerprint(a.long())
    b = a.clone()
    b[0] = 9
    assert model_cache.data_fingerprint(a) != model_cache.data_fingerprint(b)


def test_changing_a_hyperparameter_retrains_the_gan_quality_classifier(cache, capsys):
    try:
        quick = gan_quality.load_quality_classifier(steps=3, verbose=False)
    except ResourceUnavailable as e:
        pytest.skip(f"MNIST unavailable: {e}")
    assert "trained here" in quick.source and len(os.listdir(cache)) == 1
    again = gan_quality.load_quality_classifier(steps=3, verbose=False)
    assert "loaded trained weights" in again.source and len(os.listdir(cache)) == 1
    assert all(torch.equal(p, q) for p, q in zip(quick.parameters(), again.parameters()))
    other = gan_quality.load_quality_classifier(steps=4, verbose=False)
    assert "trained here" in other.source and len(os.listdir(cache)) == 2
    assert not all(torch.equal(p, q) for p, q in zip(quick.parameters(), other.parameters()))
    with pytest.raises(TypeError, match="unknown training settings"):
        gan_quality.load_quality_classifier(stepz=3)


def test_every_model_keys_its_code_and_data(cache):
    """The three users put data and code into their configurations (no stale weights after an edit)."""
    config = caption_features._config()
    assert set(config) >= {"train_images", "epochs", "batch_size", "lr", "train_seed", "model_seed",
                           "data", "code"}
    assert caption_features.weights_path() == model_cache.cache_path(caption_features.MODEL_NAME, config)
    assert set(digit_classifier.TRAINING) == {"seed", "max_train", "epochs", "batch_size", "lr"}
    assert set(gan_quality.TRAINING) == {"steps", "batch", "lr", "max_shift", "seed"}
