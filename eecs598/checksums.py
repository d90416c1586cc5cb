"""Is this file the one the catalog means? Checksums, editions and test stand-ins.

:func:`verify` checks a file against a checksum string of :class:`eecs598.catalog.Resource`;
:func:`identify` says which accepted :class:`eecs598.catalog.Edition` of a resource a file is
(or ``None``). A stand-in file registered through ``EECS598_STANDINS`` (a JSON file
``{name: {"checksum": ..., "label": ...}}``; tests only) is accepted as well and always named as a
STAND-IN.
"""
import hashlib
import json
import os
from pathlib import Path

from .catalog import RESOURCES, Edition

STANDINS_ENV = "EECS598_STANDINS"


class ChecksumMismatch(RuntimeError):
    """A file's checksum differs from the catalog's."""


def file_digest(path, algorithm):
    """Hex digest of the file at ``path`` (``algorithm``: a :mod:`hashlib` name)."""
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


def recorded(name):
    """The editions of resource ``name`` that record a checksum."""
    return [e for e in editions(name) if e.checksum is not None]


def identify(name, path):
    """The :class:`Edition` of resource ``name`` that the file at ``path`` is, or ``None``.

    A resource without any recorded checksum accepts every file (its loader checks the layout);
    a resource with a content check accepts a file whose values are the published ones.
    """
    for edition in recorded(name):
        if verify(path, edition.checksum):
            return edition
    res = RESOURCES[name]
    if res.content_check and CONTENT_CHECKS[res.content_check](path):
        return Edition(_CONTENT_EDITION)
    if res.checksum is None and not res.editions and not res.content_check:
        return Edition("no checksum is published; layout checked on load")
    return None


def accepts(name, path):
    """True when the file at ``path`` is an accepted edition of resource ``name``."""
    return identify(name, path) is not None


def say_standin(name, path):
    """Print a line when the file at ``path`` is a registered stand-in for ``name``."""
    standin = standins().get(name)
    if standin is not None and verify(path, standin.checksum):
        print(f"[eecs598] {Path(path).name} ({name}): {standin.label}")
