"""The student release: regions replaced by `pass`, nothing of a solution left, notebooks cleared,
hidden tests out, modules importable, public tests failing with "not implemented", score zero."""
import json
import os
import subprocess
import sys

import pytest

from eecs598.grading.grade import grade
from eecs598.grading.questions import PUBLIC, QUESTIONS
from eecs598.release import (BEGIN, END, PROMPT, ReleaseError, check_no_leak, release, secret_lines,
                             source_files, strip_regions)
from eecs598.resources import REPO_ROOT

MODULES = [m for _, m, _ in QUESTIONS.values()]
ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH="")


def _solution_modules():
    return [m for m in MODULES if (REPO_ROOT / f"{m}.py").exists() and BEGIN in (REPO_ROOT / f"{m}.py").read_text()]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    if len(_solution_modules()) < len(MODULES):
        missing = sorted(set(MODULES) - set(_solution_modules()))
        pytest.skip(f"solution modules not in the repository yet: {', '.join(missing)}")
    out = tmp_path_factory.mktemp("release") / "A4"
    summary = release(out, verbose=False)
    return out, summary


def test_strip_regions_keeps_prompt_and_indentation():
    src = (f"def f(x):\n    y = None\n    {PROMPT}\n    {BEGIN}\n    y = x * 2\n    {END}\n    return y\n")
    out, removed = strip_regions(src)
    assert out == f"def f(x):\n    y = None\n    {PROMPT}\n    pass\n    return y\n"
    assert removed == ["    y = x * 2\n"]
    for bad in (f"{BEGIN}\nx\n", f"{END}\n", f"{BEGIN}\n{BEGIN}\n{END}\n"):
        with pytest.raises(ReleaseError):
            strip_regions(bad)


def test_every_region_sits_under_the_prompt():
    for m in _solution_modules():
        lines = (REPO_ROOT / f"{m}.py").read_text().splitlines()
        for i, line in enumerate(lines):
            if line.strip() == BEGIN:
                assert lines[i - 1].strip() == PROMPT, f"{m}.py:{i + 1}: region without the prompt line above"


def test_layout_and_exclusions(released):
    out, summary = released
    names = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    for m in MODULES:
        assert f"{m}.py" in names
    assert "eecs598/grading/hidden.py" not in names
    assert "tests/test_grading.py" not in names and "tests/test_release.py" not in names
    assert "eecs598/grading/public_expected.json" in names and "tests/test_public.py" in names
    assert not any(n.endswith((".jpg", ".png", ".pkl", ".pt", ".zip")) for n in names)
    assert not any(n.startswith((".git/", "datasets/", "outputs/")) for n in names)
    expected = {f for f in source_files() if f not in ("README.md",)}
    assert expected <= names  # same layout as the repository
    assert "student release" in (out / "README.md").read_text()
    assert summary["regions"] >= 40
    assert len(json.loads((out / "eecs598/grading/public_expected.json").read_text())) == len(PUBLIC)


def test_no_solution_line_leaks(released, tmp_path):
    out, _ = released
    secrets = secret_lines()
    assert len(secrets) > 100
    assert check_no_leak(out, secrets) == []
    for path in out.rglob("*.py"):
        text = path.read_text()
        assert BEGIN not in text.splitlines() and f"    {BEGIN}" not in text, path
    # the check itself finds a planted line
    planted = tmp_path / "planted"
    planted.mkdir()
    line = sorted(secrets)[0]
    (planted / "x.py").write_text(f"# harmless\n    {line}\n")
    assert check_no_leak(planted, secrets) == [("x.py", 2, line)]


def test_notebooks_cleared(released):
    import nbformat
    out, _ = released
    notebooks = list(out.glob("*.ipynb"))
    if not notebooks:
        pytest.skip("no notebooks in the repository yet")
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


def test_release_modules_import(released):
    out, _ = released
    code = "; ".join(f"import {m}; {m}.hello()" for m in MODULES)
    proc = subprocess.run([sys.executable, "-c", code], cwd=out, env=ENV, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert all(f"Hello from {m}.py!" in proc.stdout for m in MODULES)


def test_release_scores_zero(released):
    out, _ = released
    res = grade(out)
    assert res["score"] == 0
    for t in res["tests"]:
        if t["max_score"]:
            assert t["output"].startswith(("NOT IMPLEMENTED", "FAILED")), (t["name"], t["output"][:300])


def test_release_public_tests_say_not_implemented(released):
    out, _ = released
    proc = subprocess.run([sys.executable, "-m", "pytest", "tests/test_public.py", "-q", "-p", "no:cacheprovider",
                           "-o", "addopts=", "-o", "testpaths=tests"], cwd=out, env=ENV, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]  # failures, not errors
    assert "NOT IMPLEMENTED" in proc.stdout and "not implemented yet" in proc.stdout
    last = proc.stdout.strip().splitlines()[-1]
    assert f"{len(PUBLIC)} failed" in last and "error" not in last, last


def test_release_grader_passes_solutions_with_stored_outputs(released, tmp_path):
    """The release's own grader (stored public outputs, no solutions in it) gives the solution
    code full public marks: the stored expectations are right."""
    out, _ = released
    copy = tmp_path / "student"
    subprocess.run(["cp", "-r", str(out), str(copy)], check=True)
    for m in MODULES:  # the student "solves" everything: solution code, without the markers
        text = "\n".join(l for l in (REPO_ROOT / f"{m}.py").read_text().splitlines() if l.strip() not in (BEGIN, END))
        (copy / f"{m}.py").write_text(text + "\n")
    proc = subprocess.run([sys.executable, "-m", "eecs598", "grade", ".", "--public-only", "--out", "r.json", "--quiet"],
                          cwd=copy, env=ENV, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((copy / "r.json").read_text())
    assert res["extra_data"]["reference"] == {q: "stored" for q in QUESTIONS}
    failed = [t["name"] for t in res["tests"] if t["score"] < t["max_score"]]
    assert not failed and res["score"] == sum(t.points for t in PUBLIC)
