"""Building the Gradescope autograder zip (``python -m eecs598 autograder OUT.zip``): the grader
without solutions, the pinned grading requirements, the two scripts Gradescope runs, and the
expected outputs of every public and hidden test computed here with the reference solution.
What the zip holds and how it runs in Gradescope's container: :mod:`eecs598.grading.autograder`.
"""
import json
import os
import secrets
import stat
import tempfile
import time
import zipfile
from pathlib import Path

from .sandbox import REPO_ROOT
from .support import SECRET_FILES

TEMPLATES = Path(__file__).with_name("gradescope")
EXPECTED = "secret/expected.json"      # relative to the unpacked zip (/autograder/source)
REPO = "repo"
# What grading imports (the zygote's preload, the helper package): the rest of
# requirements.txt (notebooks, tests, benchmarks) is not installed in Gradescope's image.
GRADING_PACKAGES = ("torch", "torchvision", "numpy", "scipy", "matplotlib", "pillow", "tqdm")


class AutograderError(Exception):
    pass


# ------------------------------------------------------------------------------------- build
def grading_requirements(repo_root=REPO_ROOT):
    """The lines of ``requirements.txt`` (pins kept) for the packages grading imports."""
    import re
    lines = []
    for line in (Path(repo_root) / "requirements.txt").read_text().splitlines():
        name = re.split(r"[<>=!~\[; ]", line.strip(), maxsplit=1)[0].lower()
        if name in GRADING_PACKAGES:
            lines.append(line.strip())
    missing = set(GRADING_PACKAGES) - {re.split(r"[<>=!~\[; ]", l, maxsplit=1)[0].lower() for l in lines}
    if missing:
        raise AutograderError(f"requirements.txt does not list {sorted(missing)}")
    return lines


def _grader_files(repo_root):
    """``{path in repo/: text}``: a4_helper.py and the eecs598 package without its secret files,
    solution regions stripped (there should be none: refused if stripping removes anything)."""
    from ..release import strip_regions
    repo_root = Path(repo_root)
    sources = [repo_root / "a4_helper.py"] + sorted((repo_root / "eecs598").rglob("*.py"))
    files = {}
    for path in sources:
        rel = path.relative_to(repo_root)
        if "__pycache__" in rel.parts or (rel.parts[:2] == ("eecs598", "grading") and rel.name in SECRET_FILES):
            continue
        text, removed = strip_regions(path.read_text(encoding="utf-8"), str(rel))
        if removed:
            raise AutograderError(f"{rel} holds a solution region; the grader's files must not")
        files[str(rel)] = text
    return files


def expected_values(secret, repo_root=REPO_ROOT):
    """The stored-outputs document (``Reference(stored=...)`` reads it): every test, the hidden
    ones drawn from ``secret``, and its expected outputs from the reference solution."""
    import dataclasses

    import torch

    from . import codec
    from .grade import STORED_FORMAT, Reference, test_key
    from .questions import QUESTIONS, all_tests, hidden_available
    if not hidden_available():
        raise AutograderError("the hidden tests (eecs598/grading/hidden.py) are not here: build from the "
                              "instructors' repository")
    reference = Reference(repo_root)
    absent = [q for q in QUESTIONS if reference.source(q) != "solution"]
    if absent:
        raise AutograderError(f"no solution module for {', '.join(absent)}: cannot compute the expected values")
    tests = all_tests(include_hidden=True, secret=secret)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the grader runs: the same numbers, bit for bit
    try:
        expected = {test_key(t): codec.encode(reference.expected(t)) for t in tests}
    finally:
        torch.set_num_threads(threads)
    return {"format": STORED_FORMAT, "secret": secret, "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tests": [dataclasses.asdict(t) for t in tests], "expected": expected}


def build(out_zip, repo_root=REPO_ROOT, secret=None, mem_mb=None, verbose=True):
    """Write the Gradescope autograder zip to ``out_zip``; returns a summary dict.

    ``secret``: the seed of the hidden inputs (default: a fresh random one; only tests pass one).
    ``mem_mb``: the memory limit per question that ``run_autograder`` uses (default: the grader's).
    """
    from .sandbox import DEFAULT_MEM_MB
    out_zip = Path(out_zip).absolute()
    if out_zip.suffix != ".zip":
        raise AutograderError(f"{out_zip}: the autograder must be a .zip file")
    secret = secrets.randbits(63) if secret is None else secret
    stored = expected_values(secret, repo_root)
    files = {f"{REPO}/{rel}": text for rel, text in _grader_files(repo_root).items()}
    files["requirements.txt"] = "\n".join(grading_requirements(repo_root)) + "\n"
    files[EXPECTED] = json.dumps(stored, separators=(",", ":"), allow_nan=False)
    scripts = {name: (TEMPLATES / name).read_text() for name in ("setup.sh", "run_autograder")}
    scripts["run_autograder"] = scripts["run_autograder"].replace("@MEM_MB@", str(int(mem_mb or DEFAULT_MEM_MB)))
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_zip.parent, prefix=".autograder-", suffix=".zip")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in list(scripts.items()) + sorted(files.items()):
                info = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = ((0o755 if name in scripts else 0o644) | stat.S_IFREG) << 16
                zf.writestr(info, text)
        os.chmod(tmp, 0o600)  # it holds every expected output: the instructors' eyes only
        os.replace(tmp, out_zip)
    except BaseException:
        os.unlink(tmp)
        raise
    hidden = sum(1 for t in stored["tests"] if t["hidden"])
    summary = {"out": str(out_zip), "tests": len(stored["tests"]), "hidden_tests": hidden,
               "grader_files": len(files) - 2, "bytes": out_zip.stat().st_size}
    if verbose:
        print(f"Gradescope autograder written to {out_zip} ({summary['bytes'] / 1e6:.1f} MB): "
              f"{summary['tests']} tests ({hidden} hidden, inputs from a new secret seed) with their expected "
              f"outputs, {summary['grader_files']} grader files without solutions. Upload it as the "
              f"assignment's autograder (see the README's Gradescope section).")
    return summary
