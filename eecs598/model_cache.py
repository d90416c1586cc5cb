"""Train once, then load: the one cache of the models this project trains itself.

Three models are trained by the project rather than downloaded: the MobileNetV2 behind the
offline captioning features (:mod:`eecs598.caption_features`), the digit classifier of the offline
network-visualization notebook (:mod:`eecs598.digit_classifier`) and the GAN sample-quality
classifier (:mod:`eecs598.gan_quality`). Each is obtained through :func:`load_or_train`:

* the cache file's name ends with a key: a hash of the *full* training configuration -- every
  hyperparameter and seed, the identity of the training data (:func:`data_fingerprint`) and the
  code version (:func:`code_version`: the source of what trains the model). Change any of them and
  a new model is trained; stale weights are never picked up;
* the file is written atomically (a unique temporary file, then a rename), so a reader sees the
  old file or the complete new one, never half of one;
* one line says whether the weights were trained here or loaded, and from which file.

Files live in ``eecs598.resources.data_dir()/'trained'/``.
"""
import hashlib
import inspect
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from . import resources


def cache_dir():
    """The folder of the trained weights: ``data_dir()/'trained'``."""
    return resources.data_dir() / "trained"


def code_version(*objects):
    """A short hash of the source code of ``objects`` (functions, classes or modules).

    Put every function and class whose code decides the trained weights here: editing any of
    them changes the cache key.
    """
    h = hashlib.sha256()
    for obj in objects:
        h.update(f"{obj.__module__ if hasattr(obj, '__module__') else ''}.{obj.__name__}\n".encode())
        h.update(inspect.getsource(obj).encode())
    return h.hexdigest()[:16]


def data_fingerprint(*tensors):
    """A short hash of tensors (or numpy arrays): their dtypes, shapes and bytes."""
    h = hashlib.sha256()
    for t in tensors:
        t = torch.as_tensor(t).contiguous()
        h.update(f"{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def _canonical(config):
    """``config`` as canonical JSON text (sorted keys): what the key hashes and the file stores."""
    return json.dumps(config, sort_keys=True)


def cache_key(config):
    """The key of a training configuration (a JSON-serialisable dict): 16 hex digits."""
    return hashlib.sha256(_canonical(config).encode()).hexdigest()[:16]


def cache_path(name, config):
    """Where :func:`load_or_train` keeps the weights of model ``name`` trained with ``config``."""
    return cache_dir() / f"{name}_{cache_key(config)}.pt"


def atomic_save(obj, path):
    """``torch.save(obj)`` to ``path`` through a uniquely named temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
        os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; the cache is shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _say(message):
    print(f"[eecs598.model_cache] {message}")


def load_or_train(name, config, train, build, retrain=False):
    """Load model ``name`` trained with ``config`` from the cache, or train and cache it.

    Inputs:
    - name: the model's name, used in the file name and the printed line.
    - config: JSON-serialisable dict holding everything that decides the weights: hyperparameters,
      seeds, ``data`` (:func:`data_fingerprint` or a description that determines the data) and
      ``code`` (:func:`code_version`).
    - train: callable ``train() -> (model, info)``; ``info`` is a JSON-serialisable dict (e.g. the
      test accuracy), stored with the weights and returned when they are loaded.
    - build: callable ``build() -> model``, the untrained architecture to load the weights into.
    - retrain: train even when cached weights exist.

    Returns ``(model, info, how)``: the model in eval mode on the CPU, its info dict, and the
    printed sentence saying whether it was trained or loaded (and the file).
    """
    path = cache_path(name, config)
    if path.exists() and not retrain:
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            if blob["config"] != _canonical(config):
                raise ValueError("the file was trained with another configuration")
            model = build()
            model.load_state_dict(blob["state_dict"])
            how = f"{name}: loaded trained weights from {path}"
            _say(how)
            return model.eval(), json.loads(blob["info"]), how
        except Exception as err:  # truncated or foreign file: train again, and say so
            _say(f"{name}: ignoring {path} ({type(err).__name__}: {err})")
    _say(f"{name}: no cached weights for this configuration (key {cache_key(config)}): training ...")
    start = time.time()
    model, info = train()
    atomic_save({"state_dict": model.state_dict(), "info": json.dumps(info),
                 "config": _canonical(config)}, path)
    how = f"{name}: trained here in {time.time() - start:.0f} s; saved to {path}"
    _say(how)
    return model.eval(), info, how
