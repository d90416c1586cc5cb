"""Getting a file into the cache: verified copies and downloads, published atomically.

A file is first written to a uniquely named temporary file next to its destination and renamed
into place only after its checksum matches (:mod:`eecs598.checksums`), so a reader never sees a
partial or corrupted file.

Settings (environment variables):

* ``EECS598_URL_MAP`` -- download from another server: ``;``-separated ``official-prefix=new-prefix``
  pairs (the longest matching prefix wins), e.g.
  ``https://www.cs.toronto.edu/=http://127.0.0.1:8000/www.cs.toronto.edu/``; for a course mirror,
  and for the test suite's local download server.
* ``EECS598_DOWNLOAD_TIMEOUT`` -- seconds a download may wait for the server to answer (default 30).
"""
import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from .checksums import ChecksumMismatch, accepts, file_digest, recorded

URL_MAP_ENV = "EECS598_URL_MAP"
TIMEOUT_ENV = "EECS598_DOWNLOAD_TIMEOUT"
DOWNLOAD_TIMEOUT_S = 30


def torch_hub_checkpoint(res):
    """torch.hub's own cache, where torchvision puts downloaded weights."""
    if not res.filename.startswith("weights/"):
        return None
    import torch.hub
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(res.filename).name


def _temp_beside(dest):
    """A new, uniquely named temporary file next to ``dest`` (so two processes never share one)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    return tmp


def _publish(tmp, dest):
    """Rename the finished temporary file ``tmp`` to ``dest``; returns ``dest``."""
    os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; a cache is for everyone
    os.replace(tmp, dest)  # atomic: readers see the old file or the complete new one
    return dest


def copy_verified(name, src, dest):
    """Copy ``src`` to ``dest`` through a temporary file, renaming only a verified copy."""
    tmp = _temp_beside(dest)
    try:
        shutil.copyfile(src, tmp)
        if not accepts(name, tmp):
            raise ChecksumMismatch(f"{src} matches no accepted checksum of {name}")
        return _publish(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def url_map():
    """The ``EECS598_URL_MAP`` setting as ``[(official_prefix, replacement), ...]``."""
    pairs = []
    for entry in filter(None, (e.strip() for e in os.environ.get(URL_MAP_ENV, "").split(";"))):
        old, sep, new = entry.partition("=")
        if not sep:
            raise ValueError(f"{URL_MAP_ENV}: entry {entry!r} is not 'official-prefix=new-prefix'")
        pairs.append((old, new))
    return pairs


def resolve_url(url):
    """``url`` with the longest matching ``EECS598_URL_MAP`` prefix replaced."""
    matches = [(old, new) for old, new in url_map() if url.startswith(old)]
    if not matches:
        return url
    old, new = max(matches, key=lambda pair: len(pair[0]))
    return new + url[len(old):]


def download_timeout():
    """Seconds a download waits for the server at each step (``EECS598_DOWNLOAD_TIMEOUT``)."""
    return float(os.environ.get(TIMEOUT_ENV) or DOWNLOAD_TIMEOUT_S)


def _download(url, dest, desc):
    """Stream ``url`` to ``dest`` with a progress bar; raises on any network error.

    Every wait for the server is bounded by :func:`download_timeout`; a body shorter than the
    announced ``Content-Length`` (a connection dropped halfway) raises ``ConnectionError``.
    """
    from tqdm.auto import tqdm
    with urllib.request.urlopen(url, timeout=download_timeout()) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        received = 0
        with open(dest, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=desc) as bar:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                f.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise ConnectionError(f"connection closed after {received:,} of {total:,} bytes")


def download_verified(res, dest):
    tmp = _temp_beside(dest)
    url = resolve_url(res.url)
    try:
        _download(url, tmp, desc=Path(res.filename).name)
        if res.member:  # the URL is an archive: pull out one member
            with zipfile.ZipFile(tmp) as zf, zf.open(res.member) as src, open(tmp + ".member", "wb") as out:
                shutil.copyfileobj(src, out)
            os.replace(tmp + ".member", tmp)
        if not accepts(res.name, tmp):
            known = ", ".join(e.checksum for e in recorded(res.name))
            raise ChecksumMismatch(
                f"the file from {url}{' (member ' + res.member + ')' if res.member else ''} is corrupted "
                f"or an unknown edition: its sha256 is {file_digest(tmp, 'sha256')}, accepted: {known}")
        return _publish(tmp, dest)
    finally:
        for leftover in (tmp, tmp + ".member"):
            if os.path.exists(leftover):
                os.remove(leftover)
