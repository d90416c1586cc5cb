"""Build the A4 submission zip.

``make_a4_submission(path, uniquename, umid)`` writes ``{uniquename}_{umid}_A4.zip`` in ``path``
holding the original 15 A4 files plus, when present, this repository's GAN notebook and its
sample images, each stored under its bare file name. Calls written for the original (the 15
files, any umid) keep working: the GAN files are never required, and an unusual umid is
accepted with a warning.

Differences from the original ``eecs598/submit.py``:

* Every missing file is reported at once, in one ``ValueError``, before the zip is created (the
  original stopped at the first missing file and left a partial zip behind).
* ``_get_user_info`` used names it never defined, so calling with ``uniquename=None`` or
  ``umid=None`` crashed. Fixed: the missing values are asked for with ``input()``. Both must be
  usable in a file name (non-empty, no spaces or slashes); a umid that is not 8 digits only
  warns (the original accepted any umid, and some students' ids or test runs differ).
"""
import os
import re
import warnings
import zipfile

from .assignment import submission_files

# The original A4 file list, in its order [spec A.1]: the required notebooks of the registry.
_A4_FILES = submission_files(required=True)

# Added by this repository: the GAN notebook (CS231n A3's GAN part) and its sample images.
_GAN_FILES = submission_files(required=False)

SUBMISSION_FILES = _A4_FILES + _GAN_FILES

_UMID_RE = re.compile(r"^\d{8}$")       # what a UMich id looks like (only warned about)
_UNIQUENAME_RE = re.compile(r"^[^\s/\\]+$")
_MAX_TRIES = 3  # prompts per value before giving up


def check_submission_files(path, file_list=None):
    """Return the files of the submission that are missing from ``path`` (empty if complete).

    Inputs:
    - path: folder holding the assignment files.
    - file_list: names to look for; defaults to ``SUBMISSION_FILES``.

    Returns:
    - missing: list of missing file names, in submission order.
    """
    file_list = SUBMISSION_FILES if file_list is None else file_list
    return [name for name in file_list if not os.path.isfile(os.path.join(path, name))]


def make_a4_submission(assignment_path, uniquename=None, umid=None):
    """Zip the 15 original A4 files, plus the GAN files that exist, into ``{uniquename}_{umid}_A4.zip``.

    Inputs:
    - assignment_path: folder holding the files; the zip is written there.
    - uniquename: UMich uniquename, e.g. 'justincj'; asked for with input() when None.
    - umid: UMich id, e.g. '12345678'; asked for with input() when None. Anything other than
      8 digits gives a warning, not an error.

    Returns:
    - zip_path: str path of the written zip.

    Raises ValueError naming every missing original A4 file (no zip is written then), or for a
    uniquename / umid that cannot be part of a file name. Missing GAN files are only reported.
    """
    gan_missing = check_submission_files(assignment_path, _GAN_FILES)
    if gan_missing:
        print("Note: not found, so not in the zip (the GAN part is optional): %s" % ", ".join(gan_missing))
    optional = [name for name in _GAN_FILES if name not in gan_missing]
    return _make_submission(assignment_path, _A4_FILES + optional, "A4", uniquename, umid)


def _make_submission(assignment_path, file_list, assignment_no, uniquename=None, umid=None):
    missing = check_submission_files(assignment_path, file_list)
    if missing:
        raise ValueError(
            "Could not find %d file(s) needed for the submission in %s:\n%s\n"
            "Run every notebook to the end (it writes the .pkl/.jpg results) and save it."
            % (len(missing), os.path.abspath(assignment_path),
               "\n".join('  "%s"' % name for name in missing)))
    uniquename, umid = _get_user_info(uniquename, umid)
    zip_path = os.path.join(assignment_path, "{}_{}_{}.zip".format(uniquename, umid, assignment_no))
    print("Writing zip file to: ", zip_path)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for filename in file_list:
            zf.write(os.path.join(assignment_path, filename), filename)
    return zip_path


def _ask(prompt, value, pattern, what):
    """Validate ``value``; when it is None, ask with input() up to _MAX_TRIES times."""
    if value is not None:
        value = str(value).strip()
        if not pattern.match(value):
            raise ValueError("Invalid %s: %r" % (what, value))
        return value
    for _ in range(_MAX_TRIES):
        value = input(prompt).strip()
        if pattern.match(value):
            return value
        print("Invalid %s: %r" % (what, value))
    raise ValueError("No valid %s given after %d tries" % (what, _MAX_TRIES))


def _get_user_info(uniquename=None, umid=None):
    """Return (uniquename, umid), prompting for whichever is None (fixed: the original crashed)."""
    uniquename = _ask("Enter your uniquename (e.g. justincj): ", uniquename, _UNIQUENAME_RE,
                      "uniquename (non-empty, no spaces or slashes)")
    umid = _ask("Enter your umid (e.g. 12345678): ", umid, _UNIQUENAME_RE,
                "umid (non-empty, no spaces or slashes)")
    if not _UMID_RE.match(umid):
        warnings.warn("umid %r is not 8 digits; the zip is written anyway, check it is your UMich id"
                      % umid, stacklevel=3)
    return uniquename, umid
