"""The student release: an allow-list (registry + import closure), regions replaced by `pass`,
notebooks cleared, and a leak check by meaning that refuses a release with a planted reference
`gram_matrix` -- in a released test file, a notebook cell, a helper module -- while the clean
release passes and its stubs fail with "not implemented"."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from eecs598 import release as rel
from eecs598.assignment import NOTEBOOKS, Notebook
from eecs598.grading.questions import PUBLIC, QUESTIONS
from eecs598.release import BEGIN, END, PROMPT, ReleaseError, release, release_plan, strip_regions
from eecs598.resources import REPO_ROOT

MODULES = [m for _, m, _ in QUESTIONS.values()]
ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH="")
# The behavioural check of these tests runs the public tests of a few graded functions (the
# full check, every public test, is what `python -m eecs598 release` runs: minutes).
CHECKED = ("gram_matrix", "content_loss", "discriminator_loss", "lstm_forward", "PlainBlock")
NEVER = ("eecs598/grading/hidden.py", "eecs598/grading/mistakes.py", "eecs598/release.py", "eecs598/leak_check.py",
         "eecs598/leak_behaviour.py")


def _solution_modules():
    return [m for m in MODULES if (REPO_ROOT / f"{m}.py").exists() and BEGIN in (REPO_ROOT / f"{m}.py").read_text()]


def _repo_copy(dest):
    """The repository's tracked (and untracked, not ignored) files, copied to ``dest``."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for f in listed:
        if (REPO_ROOT / f).is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO_ROOT / f, dest / f)
    return dest


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    if len(_solution_modules()) < len(MODULES):
        pytest.skip("solution modules not in the repository")
    out = tmp_path_factory.mktemp("release") / "A4"
    return out, release(out, verbose=False, behaviour_only=CHECKED)


def test_strip_regions_keeps_prompt_and_indentation():
    src = f"def f(x):\n    y = None\n    {PROMPT}\n    {BEGIN}\n    y = x * 2\n    {END}\n    return y\n"
    out, removed = strip_regions(src)
    assert out == f"def f(x):\n    y = None\n    {PROMPT}\n    pass\n    return y\n"
    assert removed == ["    y = x * 2\n"]
    for bad in (f"{BEGIN}\nx\n", f"{END}\n", f"{BEGIN}\n{BEGIN}\n{END}\n"):
        with pytest.raises(ReleaseError):
            strip_regions(bad)


def test_allow_list_ships_only_what_students_need(released):
    out, summary = released
    names = set(summary["files"])
    assert names == {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for nb in NOTEBOOKS:
        assert set(nb.files) <= names
    generated = {"README.md", "tests/test_public.py", "eecs598/grading/public_expected.json"}
    assert generated | {"a4_helper.py", "requirements.txt", "conftest.py", "eecs598/stored_checks.py"} <= names
    # nothing else at all: no other tests, benchmarks, docs, corpus, instructor modules
    assert [n for n in names if n.startswith("tests/")] == ["tests/test_public.py"]
    assert not any(n.startswith(("benchmarks/", "docs/", ".git", "datasets/", "outputs/")) for n in names)
    assert not set(NEVER) & names
    # every shipped eecs598 file is imported by something shipped (the closure, not a listing)
    plan, _ = release_plan()
    assert names - generated == set(plan) and len(plan) < 90  # 70 after the module splits; far below the repository
    assert "student release" in (out / "README.md").read_text()
    assert summary["regions"] >= 40 and summary["public_tests"] == len(PUBLIC)
    for path in out.rglob("*.py"):
        assert BEGIN not in path.read_text(), path


def test_import_closure_follows_imports_strings_and_relative_imports(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    for f in ("pkg/__init__.py", "pkg/sub/__init__.py", "pkg/unused.py", "pkg/secret.py"):
        (tmp_path / f).write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from . import b\nfrom .sub import c\nimport pkg.secret\n")
    (tmp_path / "pkg" / "b.py").write_text("def f():\n    from .sub.d import x\n")
    (tmp_path / "pkg" / "sub" / "c.py").write_text("BOOT = 'from pkg.e import main; main()'\n")
    for f in ("d", "e"):
        (tmp_path / "pkg" / "sub" / f"{f}.py").write_text("")
    (tmp_path / "pkg" / "e.py").write_text("")
    files, problems = rel.import_closure(tmp_path, ["pkg/a.py"], never={"pkg/secret.py"})
    assert problems == []
    assert files == ["pkg/__init__.py", "pkg/a.py", "pkg/b.py", "pkg/e.py", "pkg/sub/__init__.py",
                     "pkg/sub/c.py", "pkg/sub/d.py"]


def test_a_new_notebook_in_the_registry_is_released(tmp_path):
    """A sixth registry entry: its notebook, module and the eecs598 modules only they import ship."""
    root = _repo_copy(tmp_path / "repo")
    (root / "toy_topic.py").write_text("from eecs598.toy_helper import double\n\n\ndef hello():\n    pass\n")
    (root / "eecs598" / "toy_helper.py").write_text("def double(x):\n    return 2 * x\n")
    (root / "eecs598" / "toy_cells.py").write_text("ANSWER = 42\n")
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 3,
              "source": "%load_ext autoreload\nfrom eecs598.toy_cells import ANSWER\nfrom toy_topic import *\n"}]
    (root / "toy_topic.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                                      "nbformat_minor": 5}))
    toy = Notebook("toy_topic", "Q9", "Toy", 1, "EXT")
    files, problems = release_plan(root, NOTEBOOKS + (toy,))
    assert problems == []
    assert {"toy_topic.py", "toy_topic.ipynb", "eecs598/toy_helper.py", "eecs598/toy_cells.py"} <= set(files)
    without, _ = release_plan(root, NOTEBOOKS)
    assert not {"toy_topic.py", "eecs598/toy_helper.py", "eecs598/toy_cells.py"} & set(without)


def test_clean_release_passes_the_leak_check(released):
    out, summary = released
    check = summary["leak_check"]
    assert "AST: " in check and "solution statements compared" in check
    assert "released callables tried" in check
    unchecked = "\n".join(summary["unchecked"])
    # what is not run is said, with the reason
    assert "eecs598/grading/sandbox.py: its callables are not run, the module imports" in unchecked
    assert "top-level statements of its code cells are not run" in unchecked


# Each plant writes gram_matrix in other words than the solution's. (path, how, which check finds it)
GRAM_RENAMED = '''

def channel_products(fm, normalize=True):
    n, c, h, w = fm.shape
    flat = fm.reshape(n, c, h * w)
    prod = torch.bmm(flat, flat.transpose(1, 2))
    if normalize:
        prod = prod / (h * w * c)
    return prod
'''
GRAM_EINSUM = '''

def _expected_gram(x, normalize=True):
    out = torch.einsum("nchw,ndhw->ncd", x, x)
    return out / x[0].numel() if normalize else out
'''
GRAM_TOP_LEVEL = ('q = feats[0]\nn0, c0, h0, w0 = q.shape\nqq = q.reshape(n0, c0, h0 * w0)\n'
                  'independent = torch.bmm(qq, qq.transpose(1, 2))\n')


def _plant_helper(root, monkeypatch):
    path = root / "a4_helper.py"
    path.write_text(path.read_text() + "\nimport torch\n" + GRAM_RENAMED)


def _plant_test_file(root, monkeypatch):
    monkeypatch.setattr(rel, "TEST_PUBLIC", rel.TEST_PUBLIC + "\nimport torch\n" + GRAM_EINSUM)


def _plant_notebook_cell(root, monkeypatch):
    path = root / "style_transfer.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"].insert(12, {"cell_type": "code", "id": "planted", "metadata": {}, "outputs": [],
                            "execution_count": None, "source": GRAM_TOP_LEVEL})
    path.write_text(json.dumps(nb))


@pytest.mark.parametrize("plant, where, found_by", [
    (_plant_helper, "a4_helper.py", "AST: a4_helper.py"),
    (_plant_test_file, "tests/test_public.py", "behaviour: tests/test_public.py"),
    (_plant_notebook_cell, "style_transfer.ipynb", "AST: style_transfer.ipynb cell"),
], ids=["helper module", "released test file", "notebook cell"])
def test_planted_reference_refuses_the_release(released, tmp_path, monkeypatch, plant, where, found_by):
    root = _repo_copy(tmp_path / "repo")
    plant(root, monkeypatch)
    out = tmp_path / "out"
    with pytest.raises(ReleaseError) as err:
        release(out, root=root, verbose=False, behaviour_only=("gram_matrix",))
    message = str(err.value)
    assert "leak check found solutions" in message and found_by in message, message
    assert "gram_matrix" in message or "style_transfer.py" in message
    assert not out.exists()  # a refused release leaves nothing behind


def test_behaviour_check_finds_the_renamed_helper_and_a_notebook_function(released, tmp_path):
    """The renamed copy in a helper, and a function defined in a notebook cell, reproduce the
    reference outputs: the behavioural check names both (run on a copy of the clean release)."""
    from eecs598 import leak_check
    out = tmp_path / "A4"
    shutil.copytree(released[0], out)
    helper = out / "a4_helper.py"
    helper.write_text(helper.read_text() + "\nimport torch\n" + GRAM_RENAMED)
    nb = json.loads((out / "network_visualization.ipynb").read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": "import torch\n" + GRAM_EINSUM.replace("_expected_gram", "reference_gram")})
    (out / "network_visualization.ipynb").write_text(json.dumps(nb))
    leaks, unchecked, summary = leak_check.behaviour_leaks(out, REPO_ROOT, only=("gram_matrix",))
    text = "\n".join(leaks)
    assert "a4_helper.py:" in text and "channel_products reproduces" in text, text
    assert "network_visualization.ipynb cell" in text and "reference_gram reproduces" in text, text
    assert all("'gram_matrix" in line for line in leaks)
    assert "style_transfer.py" not in text  # the student's stub reproduces nothing


def test_ast_rule_ignores_trivial_statements_and_renaming():
    import ast

    from eecs598.leak_check import normalise, trivial
    one, two = (ast.parse(s).body[0] for s in ("g = torch.bmm(F, F.transpose(1, 2))",
                                                "out = torch.bmm(m, m.transpose(0, 7))"))
    assert normalise(one) == normalise(two) and not trivial(one)
    assert normalise(one) != normalise(ast.parse("g = torch.mm(F, F.transpose(1, 2))").body[0])
    for s in ("pass", "x = 0", "return loss", "loss.backward()", "N, C, H, W = features.shape",
              "acc = check_accuracy(model, loader, device=dev)"):
        assert trivial(ast.parse(s).body[0]), s


def _run(code, cwd, timeout=300):
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=timeout)


def test_release_notebook_checks_use_stored_values(released):
    """The notebooks' stored-value check: "not implemented" on the stub; the solution's function
    passes against the numbers the release stores (no solution module in the release)."""
    out, _ = released
    code = ("import style_transfer as s\nfrom eecs598.stored_checks import check\n"
            "try:\n    check('gram_matrix', s.gram_matrix)\nexcept NotImplementedError as e:\n    print('RAISED', e)\n")
    proc = _run(code, out)
    assert "RAISED gram_matrix is not implemented yet" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    solution = (REPO_ROOT / "style_transfer.py").read_text()
    code = ("import types, torch\nns = {}\nexec(compile(" + repr(solution) + ", 'sol', 'exec'), ns)\n"
            "from eecs598.grading.grade import Reference\nfrom eecs598.stored_checks import check\n"
            "assert Reference().source('Q4') == 'stored'\n"
            "print(check('gram_matrix', ns['gram_matrix']))\n")
    proc = _run(code, out)
    assert "{'gram_matrix': None, 'gram_matrix normalize=False': None}" in proc.stdout, proc.stderr[-2000:]


def test_style_transfer_checks_start_with_the_stored_values(released):
    """Each check cell asks the stored values first: on a stub it stops with "not implemented"
    before anything else runs, and no cell computes the answer itself any more."""
    import ast
    out, _ = released
    cells = rel.code_cells((out / "style_transfer.ipynb").read_text())
    defs = {n.name: n for c in cells for n in ast.parse(c).body if isinstance(n, ast.FunctionDef)}
    for fn in ("content_loss", "gram_matrix", "style_loss"):
        first = ast.unparse(defs[f"{fn}_test"].body[0])
        assert first == f"check_stored('{fn}', {fn})", first
    assert "independent" not in "\n".join(cells)


def test_release_public_test_says_not_implemented(released):
    out, _ = released
    proc = subprocess.run([sys.executable, "-m", "pytest", "tests/test_public.py::test_public[Q4 gram_matrix]", "-q",
                           "-p", "no:cacheprovider"], cwd=out, env=ENV, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]  # a failure, not an error
    assert "NOT IMPLEMENTED" in proc.stdout and "gram_matrix returned None" in proc.stdout, proc.stdout[-3000:]
    assert "1 failed" in proc.stdout.strip().splitlines()[-1]
