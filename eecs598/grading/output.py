"""Writing the grader's outputs (``results.json``, batch results, ``scores.csv``) so that no other
user can forge or redirect them.

* The output folder is created by the grader (before any student code runs) or, if it exists,
  must belong to us (or root) and be writable by nobody else; every folder above it must be
  ours/root's and either not writable by others or sticky (``/tmp``). Otherwise we refuse.
* Files are written to a fresh temporary name (``O_CREAT | O_EXCL | O_NOFOLLOW``) inside the
  folder opened with ``O_NOFOLLOW`` and then renamed over the target: a symlink planted at the
  target is replaced, never followed, and readers never see a half-written file.
"""
import csv
import io
import os
import secrets
import stat
from pathlib import Path


class UnsafeOutput(Exception):
    """The output folder could be changed by another user: nothing is written there."""


def _trusted_owner(st):
    return st.st_uid in (0, os.geteuid())


def safe_folder(folder):
    """Create ``folder`` (and missing parents, mode 0755) or check an existing one; returns its real path."""
    folder = Path(os.path.abspath(folder))
    missing = []
    p = folder
    while not os.path.lexists(p):
        missing.append(p)
        p = p.parent
    real = Path(os.path.realpath(p))
    for anc in [Path("/")] + list(reversed(real.parents))[1:] + ([real] if real != Path("/") else []):
        st = os.stat(anc)
        if not _trusted_owner(st):
            raise UnsafeOutput(f"{anc} belongs to another user (uid {st.st_uid}); refusing to write below it")
        if st.st_mode & 0o022 and not (st.st_mode & stat.S_ISVTX and (missing or anc != real)):
            raise UnsafeOutput(f"{anc} is writable by other users; refusing to write results into it")
    for m in reversed(missing):
        try:
            os.mkdir(m, 0o755)
        except FileExistsError:  # someone made it between our check and now
            raise UnsafeOutput(f"{m} appeared while we were creating it; refusing to use it") from None
        os.chmod(m, 0o755)
    final = Path(os.path.realpath(folder))
    st = os.lstat(final)
    if not stat.S_ISDIR(st.st_mode) or not _trusted_owner(st) or st.st_mode & 0o022:
        raise UnsafeOutput(f"{final} is not a folder only we can write")
    return final


def write_atomic(path, data):
    """Write ``data`` (bytes) to ``path`` atomically in a :func:`safe_folder`; returns the path."""
    path = Path(path)
    folder = safe_folder(path.parent)
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        tmp = f".{path.name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
            raise
    finally:
        os.close(dir_fd)
    return folder / path.name


def write_csv(path, header, rows):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return write_atomic(path, buf.getvalue().encode("utf-8"))
