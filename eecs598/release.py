"""Make the student release from this (solution) repository: ``python -m eecs598 release OUT/``.

* Every student region -- from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` -- becomes ``pass`` at
  the BEGIN line's indentation, under the original's ``# Replace "pass" statement with your code``.
* Notebooks are written with outputs and execution counts cleared (regions in code cells too).
* Left out: hidden tests (``eecs598/grading/hidden.py``), the instructor-only tests and
  benchmark of grading/release, the grader's corpus of alternative solutions
  (``tests/grading_corpus/`` and its test), solution artifacts (``.jpg/.png/.pkl/.pt/.zip``, ``outputs/``,
  ``datasets/``), git-ignored files and ``.git``.
* Added: ``eecs598/grading/public_expected.json`` (the reference outputs of the *public* tests,
  so students can run ``python -m eecs598 grade .``), ``tests/test_public.py`` and a README for
  students; the released ``conftest.py`` turns "None returned by a stub" failures into a clear
  "not implemented yet" message.
* Finally every released file is checked mechanically: no line of any solution region may appear
  in it (lines that also occur in provided code are not secret). A leak aborts the release.
"""
import json
import shutil
import subprocess
from pathlib import Path

from .resources import REPO_ROOT

BEGIN, END = "# BEGIN " + "SOLUTION", "# END " + "SOLUTION"  # split: this file is no region
PROMPT = '# Replace "pass" statement with your code'
EXCLUDE_FILES = {"eecs598/grading/hidden.py", "eecs598/grading/mistakes.py", "tests/test_grading.py",
                 "tests/test_release.py", "tests/test_grading_corpus.py", "tests/test_grading_hostile.py",
                 "benchmarks/grade.py", "README.md"}
# complete solutions in many idioms; hostile submissions built on the solutions
EXCLUDE_PREFIXES = ("tests/grading_corpus/", "tests/hostile/")
EXCLUDE_DIRS = {".git", "outputs", "datasets", "__pycache__", ".pytest_cache", ".ipynb_checkpoints",
                ".benchmarks", ".venv"}
EXCLUDE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pkl", ".pt", ".pth", ".zip", ".npz", ".pyc"}
MIN_SECRET_LEN = 8  # shorter stripped lines ("pass", "x = 0") say nothing about a solution


class ReleaseError(Exception):
    pass


# ----------------------------------------------------------------------------- region handling
def strip_regions(text, where="<text>"):
    """Return ``(student_text, solution_lines)``: regions replaced by ``pass``; the removed lines."""
    out, removed, inside, indent = [], [], False, ""
    lines = text.splitlines(keepends=True)
    for lineno, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ReleaseError(f"{where}:{lineno}: nested {BEGIN}")
            inside, indent = True, line[:len(line) - len(line.lstrip())]
            continue
        if stripped == END:
            if not inside:
                raise ReleaseError(f"{where}:{lineno}: {END} without {BEGIN}")
            inside = False
            out.append(f"{indent}pass\n")
            continue
        if inside:
            removed.append(line)
        else:
            out.append(line)
        if stripped.startswith((BEGIN, END)) and stripped not in (BEGIN, END):
            raise ReleaseError(f"{where}:{lineno}: marker must stand alone on its line")
    if inside:
        raise ReleaseError(f"{where}: {BEGIN} without {END}")
    return "".join(out), removed


def _strip_notebook(path):
    import nbformat
    nb = nbformat.read(path, as_version=4)
    removed = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.source, gone = strip_regions(cell.source, str(path))
            removed += gone
        cell.metadata.pop("execution", None)
    return nbformat.writes(nb) + "\n", removed


# ------------------------------------------------------------------------------ file selection
def source_files(root=REPO_ROOT):
    """Files of the repository that belong to a release (git's view when available)."""
    root = Path(root)
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                                cwd=root, capture_output=True, text=True, check=True).stdout.splitlines()
        files = [f for f in listed if (root / f).is_file()]
    except (OSError, subprocess.CalledProcessError):
        files = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
    keep = []
    for rel in sorted(set(files)):
        parts = Path(rel).parts
        if rel in EXCLUDE_FILES or rel.startswith(EXCLUDE_PREFIXES) or any(p in EXCLUDE_DIRS for p in parts[:-1]):
            continue
        if Path(rel).suffix.lower() in EXCLUDE_SUFFIXES:
            continue
        keep.append(rel)
    return keep


# ------------------------------------------------------------------------------------ leak check
def secret_lines(root=REPO_ROOT, files=None):
    """Stripped solution lines that occur nowhere in provided (non-region) code of the repository."""
    root = Path(root)
    files = files if files is not None else source_files(root)
    in_regions, provided = set(), set()
    for rel in files:
        path = root / rel
        if path.suffix not in (".py", ".ipynb"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            student, removed = _strip_notebook(path)
            student = "\n".join("".join(c.get("source", [])) for c in json.loads(student).get("cells", []))
        else:
            student, removed = strip_regions(text, rel)
        in_regions.update(l.strip() for l in removed)
        provided.update(l.strip() for l in student.splitlines())
    return {l for l in in_regions - provided if len(l) >= MIN_SECRET_LEN and not l.startswith("#")}


def check_no_leak(out_dir, secrets):
    """Return ``[(file, lineno, line)]`` for every released line that is a solution line."""
    leaks = []
    for path in sorted(Path(out_dir).rglob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        lines = text.splitlines()
        if path.suffix == ".ipynb":  # look inside the JSON strings too
            try:
                nb = json.loads(text)
                lines = [l for c in nb.get("cells", []) for l in "".join(c.get("source", [])).splitlines()]
            except ValueError:
                pass
        for i, line in enumerate(lines, 1):
            if line.strip() in secrets:
                leaks.append((str(path.relative_to(out_dir)), i, line.strip()))
    return leaks


# ------------------------------------------------------------------------------------ extras
STUDENT_README = """# EECS 498-007 / 598-005 Assignment 4 (+ CS231n A3 GANs) -- student release

Generated by `python -m eecs598 release`; do not edit this line by hand.

## What to do
Each notebook comes with a Python module of the same name. Write your code only between the
lines marked `# Replace "pass" statement with your code` and `END OF YOUR CODE`, in:

| notebook / module | question | points |
|---|---|---|
| `pytorch_autograd_and_nn` | Q1 PyTorch Autograd and NN | 30 |
| `rnn_lstm_attention_captioning` | Q2 Image Captioning with RNNs | 40 |
| `network_visualization` | Q3 Network Visualization | 15 |
| `style_transfer` | Q4 Style Transfer | 15 |
| `generative_adversarial_networks` | GAN (CS231n A3) | 15 |

Open the notebooks in Jupyter or Colab (the first cell mounts Google Drive on Colab) and run
them top to bottom; they import your module and check it as you go.

## Check your work
    python -m eecs598 grade .          # the public autograder tests, with points
    python -m pytest tests/test_public.py -q

Functions you have not written yet report `NOT IMPLEMENTED`. The autograder also runs hidden
tests: the same behaviour on other inputs (other shapes and seeds), so do not hard-code values.
Each question runs in its own process with time and memory limits; an endless loop costs only
the tests of that function.

## Submit
The last cell of `style_transfer.ipynb` calls `eecs598.submit.make_a4_submission(...)`, which
zips the modules, the executed notebooks and their result files into `<uniquename>_<umid>_A4.zip`.
Upload that zip.
"""

TEST_PUBLIC = '''"""Public autograder tests: each passes when the autograder gives that test full points.

Generated by `python -m eecs598 release`. Run: `python -m pytest tests/test_public.py -q`.
"""
from pathlib import Path

import pytest

from eecs598.grading.grade import grade
from eecs598.grading.questions import PUBLIC

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results():
    return {t["name"]: t for t in grade(ROOT, include_hidden=False)["tests"]}


@pytest.mark.parametrize("test", PUBLIC, ids=[f"{t.question} {t.name}" for t in PUBLIC])
def test_public(results, test):
    entry = results[f"{test.question} {test.name}"]
    if entry["score"] < entry["max_score"]:
        pytest.fail(entry["output"], pytrace=False)
'''

CONFTEST_HOOK = '''

# --- added by the student release: say "not implemented yet" instead of a bare None error ---
import pytest as _pytest


@_pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None:
        err = call.excinfo.value
        text = str(err)
        if isinstance(err, NotImplementedError) or "NoneType" in text or "returned None" in text:
            report.longrepr = ("NOT IMPLEMENTED YET (a student function still returns None -- fill in "
                               "its region marked 'Replace \\"pass\\" statement with your code'):\\n"
                               f"  {type(err).__name__}: {text}\\n\\n{report.longrepr}")
'''


def _public_expected():
    from .grading import codec
    from .grading.grade import Reference, test_key
    from .grading.questions import PUBLIC
    ref = Reference()
    stored = {}
    for test in PUBLIC:
        if ref.source(test.question) != "solution":
            raise ReleaseError(f"cannot compute the public outputs of {test.question}: its module has no solution")
        stored[test_key(test)] = codec.encode(ref.expected(test))
    return stored


# ----------------------------------------------------------------------------------- release
def release(out_dir, root=REPO_ROOT, force=False, verbose=True):
    """Write the student release of ``root`` into ``out_dir``; returns a summary dict."""
    root, out_dir = Path(root).resolve(), Path(out_dir).resolve()
    if out_dir == root or out_dir in root.parents:
        raise ReleaseError(f"{out_dir} holds the repository itself; choose another folder")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise ReleaseError(f"{out_dir} is not empty (use --force to replace it)")
        shutil.rmtree(out_dir)
    files = [f for f in source_files(root) if not (root / f).resolve().is_relative_to(out_dir)]
    secrets = secret_lines(root, files)
    out_dir.mkdir(parents=True, exist_ok=True)
    regions = 0
    for rel in files:
        src, dst = root / rel, out_dir / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".py":
            text, removed = strip_regions(src.read_text(encoding="utf-8"), rel)
            regions += src.read_text(encoding="utf-8").count(BEGIN)
            dst.write_text(text, encoding="utf-8")
        elif src.suffix == ".ipynb":
            text, removed = _strip_notebook(src)
            dst.write_text(text, encoding="utf-8")
        else:
            shutil.copy2(src, dst)
        if rel == "conftest.py":
            with open(dst, "a", encoding="utf-8") as f:
                f.write(CONFTEST_HOOK)
    if not (out_dir / "conftest.py").exists():
        (out_dir / "conftest.py").write_text(CONFTEST_HOOK.lstrip(), encoding="utf-8")
    (out_dir / "README.md").write_text(STUDENT_README, encoding="utf-8")
    (out_dir / "tests").mkdir(exist_ok=True)
    (out_dir / "tests" / "test_public.py").write_text(TEST_PUBLIC, encoding="utf-8")
    expected = _public_expected()
    (out_dir / "eecs598" / "grading" / "public_expected.json").write_text(json.dumps(expected), encoding="utf-8")
    leaks = check_no_leak(out_dir, secrets)
    if leaks:
        listing = "\n".join(f"  {f}:{n}: {l}" for f, n, l in leaks[:20])
        raise ReleaseError(f"solution lines found in the release ({len(leaks)}):\n{listing}")
    summary = {"out": str(out_dir), "files": len(files) + 2, "regions": regions,
               "secret_lines_checked": len(secrets), "public_tests": len(expected)}
    if verbose:
        print(f"Student release written to {out_dir}: {summary['files']} files, {regions} student regions "
              f"replaced by `pass`, notebooks cleared; leak check passed ({len(secrets)} solution lines "
              f"searched in every released file); {len(expected)} public test outputs stored.")
    return summary
