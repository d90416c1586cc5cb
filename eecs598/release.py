"""Make the student release from this (solution) repository: ``python -m eecs598 release OUT/``.

What ships is an explicit allow-list, built from the assignment registry
(:mod:`eecs598.assignment`), never "everything but ...":

* each notebook of the registry and its same-named student module, with every student region --
  from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` -- replaced by ``pass`` (under the original's
  ``# Replace "pass" statement with your code``); notebooks without outputs or execution counts;
* ``a4_helper.py``, ``requirements.txt`` and ``conftest.py`` (plus a hook that turns "None
  returned by a stub" failures into "not implemented yet");
* the files of ``eecs598/`` that the above import, computed as the transitive import closure
  (:func:`import_closure`, with ``ast``), including ``python -m eecs598 grade`` (``__main__``) so
  that students can run the public tests; instructor-only modules (:data:`NEVER_SHIP`) are cut
  out of the closure, with everything only they would pull in;
* generated: ``tests/test_public.py`` (the public autograder tests, compared with stored
  values), ``eecs598/grading/public_expected.json`` (those stored values, computed here with the
  reference solution; the notebooks' offline checks read them too, see
  :mod:`eecs598.stored_checks`) and a README for students.

Before the release is accepted, :mod:`eecs598.leak_check` looks for solutions by meaning (an AST
comparison with the solution regions, and a behavioural check that runs every released callable
on the public test inputs); anything found refuses the release and removes the folder.
"""
import ast
import json
import re
import shutil
from pathlib import Path

from .leak_check import code_cells, region_spans
from .resources import REPO_ROOT

BEGIN, END = "# BEGIN " + "SOLUTION", "# END " + "SOLUTION"  # split: this file is no region
PROMPT = '# Replace "pass" statement with your code'
ALWAYS = ("a4_helper.py", "requirements.txt", "conftest.py")
# instructor-only, never shipped even when imported: hidden tests, the mistake catalogue (built
# on the solutions), and the release tooling itself (imported lazily by ``__main__``)
NEVER_SHIP = frozenset({"eecs598/grading/hidden.py", "eecs598/grading/mistakes.py",
                        "eecs598/release.py", "eecs598/leak_check.py", "eecs598/leak_behaviour.py"})
ENTRY_POINTS = ("eecs598/__main__.py",)  # ``python -m eecs598 grade .`` for the students
PUBLIC_EXPECTED = "eecs598/grading/public_expected.json"


class ReleaseError(Exception):
    pass


# ----------------------------------------------------------------------------- region handling
def strip_regions(text, where="<text>"):
    """Return ``(student_text, solution_lines)``: regions replaced by ``pass``; the removed lines."""
    out, removed, inside, indent = [], [], False, ""
    for lineno, line in enumerate(text.splitlines(keepends=True), 1):
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
        (removed if inside else out).append(line)
        if stripped.startswith((BEGIN, END)) and stripped not in (BEGIN, END):
            raise ReleaseError(f"{where}:{lineno}: marker must stand alone on its line")
    if inside:
        raise ReleaseError(f"{where}: {BEGIN} without {END}")
    return "".join(out), removed


def _strip_notebook(path):
    import nbformat
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.source, _ = strip_regions(cell.source, str(path))
        cell.metadata.pop("execution", None)
    return nbformat.writes(nb) + "\n"


# ------------------------------------------------------------------------------ import closure
def _module_file(root, dotted):
    """The file under ``root`` that holds module ``dotted`` (``None``: not part of the tree)."""
    base = Path(root, *dotted.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand.relative_to(root).as_posix()
    return None


def _package_of(rel):
    """The package a file's relative imports start from (``eecs598/x.py`` and
    ``eecs598/__init__.py`` both: ``eecs598``)."""
    return ".".join(Path(rel).parts[:-1])


def imported_names(source, package=""):
    """Dotted module names that ``source`` may import: ``import``/``from`` statements anywhere
    (relative ones resolved against ``package``; ``from a import b`` also yields ``a.b``), and
    strings that hold such statements or a dotted name (code run with ``python -c``, module lists)."""
    tree = ast.parse(source)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names if a.name != "*")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.update(re.findall(r"(?:^|[\s;])(?:from|import)\s+([A-Za-z_][\w.]*)", node.value))
            if re.fullmatch(r"[A-Za-z_]\w*(\.\w+)+", node.value):
                names.add(node.value)
    return {n for n in names if n}


def import_closure(root, seeds, extra_sources=(), never=NEVER_SHIP):
    """Files under ``root`` reachable by imports from the files ``seeds`` and from the code
    strings ``extra_sources`` (notebook cells, generated files), packages' ``__init__.py``
    included. Files in ``never`` are left out and not followed. Returns ``(files, problems)``."""
    root = Path(root)
    done, todo, problems = set(), [(s, None) for s in seeds], []
    todo += [(None, src) for src in extra_sources]
    while todo:
        rel, source = todo.pop()
        package = ""
        if rel is not None:
            if rel in done or rel in never:
                continue
            done.add(rel)
            if not rel.endswith(".py"):
                continue
            source = (root / rel).read_text(encoding="utf-8")
            package = _package_of(rel)
        try:
            names = imported_names(source, package)
        except SyntaxError as err:
            problems.append(f"{rel or '<code>'}: cannot be parsed for imports ({err})")
            continue
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
                found = _module_file(root, ".".join(parts[:i]))
                if found is not None and found not in done:
                    todo.append((found, None))
    return sorted(done - set(never)), problems


# ------------------------------------------------------------------------------ file selection
def release_plan(root=REPO_ROOT, notebooks=None):
    """``(files, problems)``: the repository files that ship (the allow-list and its import
    closure; generated files not included) and what could not be parsed for imports."""
    from .assignment import NOTEBOOKS
    root = Path(root)
    notebooks = NOTEBOOKS if notebooks is None else notebooks
    seeds, cells = [], [TEST_PUBLIC, CONFTEST_HOOK]
    for nb in notebooks:
        # the grader imports each notebook's public test specs by the registry's name, not by an import line
        for f in nb.files + (f"eecs598/grading/specs/{nb.name}.py",):
            if (root / f).is_file():
                seeds.append(f)
                if f.endswith(".ipynb"):
                    cells += code_cells((root / f).read_text(encoding="utf-8"))
    seeds += [f for f in ALWAYS + ENTRY_POINTS if (root / f).is_file()]
    files, problems = import_closure(root, seeds, cells)
    return files, problems


def source_files(root=REPO_ROOT, notebooks=None):
    """The repository files that ship (see :func:`release_plan`)."""
    return release_plan(root, notebooks)[0]


# ------------------------------------------------------------------------------------ extras
def _student_readme(notebooks=None):
    from .assignment import NOTEBOOKS
    rows = "\n".join(f"| `{nb.name}` | {nb.question} {nb.title} | {nb.points} |"
                     for nb in (NOTEBOOKS if notebooks is None else notebooks))
    return STUDENT_README.replace("{rows}", rows)


STUDENT_README = """# EECS 498-007 / 598-005 Assignment 4 (+ CS231n A3 GANs) -- student release

Generated by `python -m eecs598 release`; do not edit this line by hand.

## What to do
Each notebook comes with a Python module of the same name. Write your code only between the
lines marked `# Replace "pass" statement with your code` and `END OF YOUR CODE`, in:

| notebook / module | question | points |
|---|---|---|
{rows}

Open the notebooks in Jupyter or Colab (the first cell mounts Google Drive on Colab) and run
them top to bottom; they import your module and check it as you go, against stored outputs of
the reference solution (`eecs598/grading/public_expected.json`).

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
The expected outputs are stored numbers (eecs598/grading/public_expected.json), not code.
"""
from pathlib import Path

import pytest

from eecs598.grading.grade import grade
from eecs598.grading.questions import PUBLIC

ROOT = Path(__file__).resolve().parents[1]


_GRADED = {}


def _results(question):
    """The autograder's entries for one question (graded once, when its first test runs)."""
    if question not in _GRADED:
        tests = grade(ROOT, include_hidden=False, questions=[question])["tests"]
        _GRADED[question] = {t["name"]: t for t in tests}
    return _GRADED[question]


@pytest.mark.parametrize("test", PUBLIC, ids=[f"{t.question} {t.name}" for t in PUBLIC])
def test_public(test):
    entry = _results(test.question)[f"{test.question} {test.name}"]
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

_EXPECTED_CACHE = {}


def _public_expected(root):
    """The public tests' outputs computed with the reference solution of ``root`` (cached per
    content of the solution modules: repeated releases of one repository share the work)."""
    import hashlib
    from .grading import codec
    from .grading.grade import Reference, test_key
    from .grading.questions import PUBLIC, QUESTIONS
    modules = sorted({m for _, m, _ in QUESTIONS.values()})
    digest = hashlib.sha256(b"".join((Path(root) / f"{m}.py").read_bytes() for m in modules
                                     if (Path(root) / f"{m}.py").is_file())).hexdigest()
    if digest not in _EXPECTED_CACHE:
        ref, stored = Reference(root), {}
        for test in PUBLIC:
            if ref.source(test.question) != "solution":
                raise ReleaseError(f"cannot compute the public outputs of {test.question}: its module has no solution")
            stored[test_key(test)] = codec.encode(ref.expected(test))
        _EXPECTED_CACHE[digest] = json.loads(json.dumps(stored))
    return _EXPECTED_CACHE[digest]


# ----------------------------------------------------------------------------------- release
def release(out_dir, root=REPO_ROOT, force=False, verbose=True, notebooks=None, behaviour_timeout=600,
            behaviour_only=None):
    """Write the student release of ``root`` into ``out_dir``; returns a summary dict.

    ``notebooks`` (default: the registry) says which notebooks ship; ``behaviour_only`` limits the
    behavioural leak check to the public tests of these graded functions (tests of the checker). Raises :class:`ReleaseError`
    (and removes ``out_dir``) when the leak check finds a solution in the released files.
    """
    from . import leak_check
    root, out_dir = Path(root).resolve(), Path(out_dir).resolve()
    if out_dir == root or out_dir in root.parents:
        raise ReleaseError(f"{out_dir} holds the repository itself; choose another folder")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise ReleaseError(f"{out_dir} is not empty (use --force to replace it)")
        shutil.rmtree(out_dir)
    files, problems = release_plan(root, notebooks)
    if problems:
        raise ReleaseError("cannot compute what the release imports:\n  " + "\n  ".join(problems))
    out_dir.mkdir(parents=True, exist_ok=True)
    regions = 0
    try:
        for rel in files:
            src, dst = root / rel, out_dir / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.suffix == ".py":
                text = src.read_text(encoding="utf-8")
                regions += len(region_spans(text))
                dst.write_text(strip_regions(text, rel)[0], encoding="utf-8")
            elif src.suffix == ".ipynb":
                dst.write_text(_strip_notebook(src), encoding="utf-8")
            else:
                shutil.copyfile(src, dst)
        conftest = out_dir / "conftest.py"
        with open(conftest, "a", encoding="utf-8") as f:
            f.write(CONFTEST_HOOK if f.tell() else CONFTEST_HOOK.lstrip())
        (out_dir / "README.md").write_text(_student_readme(notebooks), encoding="utf-8")
        (out_dir / "tests").mkdir(exist_ok=True)
        (out_dir / "tests" / "test_public.py").write_text(TEST_PUBLIC, encoding="utf-8")
        expected = _public_expected(root)
        (out_dir / PUBLIC_EXPECTED).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / PUBLIC_EXPECTED).write_text(json.dumps(expected), encoding="utf-8")
        report = leak_check.check(out_dir, root, timeout=behaviour_timeout, only=behaviour_only)
        if report.leaks:
            raise ReleaseError(f"the leak check found solutions in the release ({len(report.leaks)}):\n  "
                               + "\n  ".join(report.leaks[:30]))
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    shipped = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
    summary = {"out": str(out_dir), "files": shipped, "regions": regions, "public_tests": len(expected),
               "leak_check": report.summary, "unchecked": report.unchecked}
    if verbose:
        print(f"Student release written to {out_dir}: {len(shipped)} files (allow-list + import closure), "
              f"{regions} student regions replaced by `pass`, notebooks cleared, {len(expected)} public "
              f"test outputs stored.\nLeak check passed: {report.summary}")
        for line in report.unchecked:
            print(f"  not checked behaviourally: {line}")
    return summary
