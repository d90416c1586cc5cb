"""Obtaining every data and weight file the assignment uses: a verified local copy, by name.

:func:`fetch` resolves a resource name to a verified local file, trying in order:

1. the cache directory (``EECS598_DATA_DIR``, default ``<repo>/datasets``);
2. a read-only mirror directory (``EECS598_DATA_MIRROR``; CI points it at ``../shared/data``)
   and any system directory the resource names (Debian's ``dataset-fashion-mnist``);
3. the official URL, streamed with a progress bar to a temporary file that is renamed into the
   cache only after its checksum matches.

A cached file whose checksum does not match (corrupted, truncated) is deleted and obtained again,
never used. When nothing works, :class:`ResourceUnavailable` says which file is missing, where it
comes from and where to put it. ``EECS598_OFFLINE=1`` skips download attempts.

The files themselves are listed in :mod:`eecs598.catalog`, checked by :mod:`eecs598.checksums`
(editions, test stand-ins) and copied or downloaded by :mod:`eecs598.download` (``EECS598_URL_MAP``,
``EECS598_DOWNLOAD_TIMEOUT``); their public names are re-exported here.
"""
import os
from pathlib import Path

from .catalog import RESOURCES, Resource  # noqa: F401  (RESOURCES, Resource, ... re-exported)
from .checksums import (CONTENT_CHECKS, STANDINS_ENV, ChecksumMismatch, accepts, editions,  # noqa: F401
                        file_digest, identify, say_standin, verify)
from .download import (TIMEOUT_ENV, URL_MAP_ENV, copy_verified, download_verified,  # noqa: F401
                       resolve_url, torch_hub_checkpoint)

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "EECS598_DATA_DIR"
MIRROR_ENV = "EECS598_DATA_MIRROR"
OFFLINE_ENV = "EECS598_OFFLINE"


class ResourceUnavailable(RuntimeError):
    """A resource is in no cache, no mirror, and could not be downloaded."""


def data_dir():
    """The writable cache directory (``EECS598_DATA_DIR``, default ``<repo>/datasets``)."""
    return Path(os.environ.get(DATA_DIR_ENV) or REPO_ROOT / "datasets")


def mirror_dir():
    """The read-only mirror directory, or ``None`` when ``EECS598_DATA_MIRROR`` is unset."""
    value = os.environ.get(MIRROR_ENV)
    return Path(value) if value else None


# ----------------------------------------------------------------------------- public API

def locate(name):
    """Return a verified local copy of resource ``name`` if one exists already, else ``None``.

    Looks in the cache, torch.hub's checkpoint cache, the mirror and system folders; never downloads.
    A cached copy that fails its checksum is deleted.
    """
    res = RESOURCES[name]
    cached = data_dir() / res.filename
    if cached.exists():
        if accepts(name, cached):
            say_standin(name, cached)
            return cached
        print(f"[eecs598] {cached} is corrupted or incomplete (checksum mismatch): removing it.")
        cached.unlink()
    hub = torch_hub_checkpoint(res)
    if hub is not None and hub.exists() and accepts(name, hub):
        say_standin(name, hub)
        return hub
    sources = []
    if res.mirror and mirror_dir() is not None:
        sources.append(mirror_dir() / res.mirror)
    sources += [Path(d) / Path(res.filename).name for d in res.extra_dirs]
    for src in sources:
        if src.exists():
            try:
                found = copy_verified(name, src, cached)
                say_standin(name, found)
                return found
            except (ChecksumMismatch, OSError) as err:
                print(f"[eecs598] ignoring {src}: {err}")
    return None


def _offline():
    return os.environ.get(OFFLINE_ENV, "").lower() in {"1", "true", "yes"}


def fetch(name, download=True):
    """Return the path of a verified local copy of resource ``name``, downloading it if needed.

    Raises:
        KeyError: ``name`` is not in :data:`RESOURCES`.
        ResourceUnavailable: no copy anywhere and the download failed or was not allowed.
    """
    if name not in RESOURCES:
        raise KeyError(f"unknown resource {name!r}; known: {', '.join(sorted(RESOURCES))}")
    res = RESOURCES[name]
    found = locate(name)
    if found is not None:
        return found
    dest = data_dir() / res.filename
    reason = "downloads disabled" if not download else f"{OFFLINE_ENV} is set" if _offline() else None
    if res.url is None:
        reason = "it has no public download URL"
    if reason is None:
        try:
            found = download_verified(res, dest)
            say_standin(name, found)
            return found
        except Exception as err:  # network errors come in many types; all mean "not available"
            reason = f"download failed: {type(err).__name__}: {err}"
    mirror = mirror_dir()
    if mirror is None:
        where = f"not set ({MIRROR_ENV})"
    else:
        where = f"{mirror} ({'no ' + repr(res.mirror) + ' there' if res.mirror else 'does not carry this file'})"
    served = resolve_url(res.url) if res.url else None
    raise ResourceUnavailable(
        f"{Path(res.filename).name} ({name}) is not available: {reason}.\n"
        f"  official source: {res.url or 'none'}" + (f" (member {res.member})" if res.member else "")
        + (f"\n  downloaded from: {served} ({URL_MAP_ENV})" if served != res.url else "") + "\n"
        f"  put the file at: {dest}\n"
        f"  data mirror: {where}" + (f"\n  note: {res.note}" if res.note else ""))


def available(name):
    """True when ``name`` can be had: from a local copy, or by a download when downloads are on.

    (So "use X when available" means the same offline and online: on Colab it downloads X.)
    """
    try:
        fetch(name)
        return True
    except ResourceUnavailable:
        return False
