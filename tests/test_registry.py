"""The assignment registry (``eecs598/assignment.py``) is the one place that lists the notebooks:
the README agrees with it and with the tree, the package has no import cycle, and a sixth
notebook added through one registry entry plus its files is run, zipped and graded."""
import ast
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path


from eecs598.assignment import NOTEBOOKS, questions

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------ README
def _table(heading_pattern, first_column):
    """The rows (lists of cells) of the first README table after a heading matching the pattern
    whose header row starts with ``first_column``."""
    section = re.split(heading_pattern, README, maxsplit=1)[1]
    lines = section.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(f"| {first_column} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _paths(cell):
    """File paths named in a Files-table cell: `a.{ipynb,py}`, `a.py`, `b/` -> a.ipynb, a.py, b/."""
    out = []
    for name in re.findall(r"`([^`]+)`", cell):
        braces = re.fullmatch(r"(.*)\{([^}]*)\}(.*)", name)
        out += [braces[1] + ext + braces[3] for ext in braces[2].split(",")] if braces else [name]
    return out


FILES = _table(r"\n## Files\n", "file")


def test_readme_file_table_names_only_files_that_exist():
    for row in FILES:
        for path in _paths(row[0]):
            assert (ROOT / path).exists() or path == "datasets/", f"README's Files table names {path}: not in the tree"


def test_readme_file_table_lists_every_notebook_with_its_question():
    rows = {p: row[1] for row in FILES for p in _paths(row[0])}
    for nb in NOTEBOOKS:
        for name in nb.files:
            assert name in rows, f"{name} (registry) is missing from README's Files table"
        what = rows[f"{nb.name}.py"]
        assert f"{nb.question} ({nb.points} pts)" in what or f"{nb.question} question" in what, what
        if nb.part != "A4":  # a notebook from elsewhere says where from
            assert nb.origin in what, what


def test_readme_file_table_lists_every_module_of_the_package():
    listed = " ".join(row[0] + " " + row[1] for row in FILES)
    for path in sorted((ROOT / "eecs598").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if path.name in ("__init__.py", "__main__.py") or path.name.startswith("_"):
            continue
        if rel.parts[:2] == ("eecs598", "grading"):  # the grading row names its modules (specs: the folder)
            name = "specs/" if rel.parts[2:3] == ("specs",) else path.stem
            assert f"`{name}`" in listed or f"/{name}`" in listed or f"`{name}/" in listed, \
                f"README's Files table does not name eecs598/grading/{name}"
        else:
            assert f"`{rel.as_posix()}`" in listed, f"README's Files table does not name {rel.as_posix()}"
    for path in sorted(ROOT.glob("*.py")) + sorted(ROOT.glob("*.ipynb")):
        if path.name == "conftest.py":
            continue
        assert any(path.name in _paths(row[0]) for row in FILES), f"README's Files table does not name {path.name}"


def test_readme_grading_table_matches_the_registry_and_the_tests():
    from eecs598.grading.questions import PART_OF, all_tests
    rows = _table(r"\n### Grading: parts, points and what is judged\n", "part")
    tests = all_tests()
    found = {}
    for part, question, points, split, _ in rows:
        key = question.split()[0]
        found[key] = (part.split()[0], int(points), split)
    expected = {}
    for key, (_, _, points) in questions().items():
        public = sum(t.points for t in tests if t.question == key and not t.hidden)
        hidden = sum(t.points for t in tests if t.question == key and t.hidden)
        expected[key] = (PART_OF[key], points, f"{public:g} / {hidden:g}")
    assert found == expected


# ------------------------------------------------------------------------------ import graph
def _modules():
    mods = {}
    for path in (ROOT / "eecs598").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        package = parts[-1] == "__init__"
        mods[".".join(parts[:-1] if package else parts)] = (path, package)
    return mods


def _import_graph(mods):
    """{module: modules of the package it imports}, from the source (every import statement,
    also those inside functions: a lazy import is still a dependency)."""
    graph = {}
    for name, (path, package) in mods.items():
        here = name if package else name.rsplit(".", 1)[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name in mods)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[:len(here.split(".")) - node.level + 1]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module
                for a in node.names:
                    if f"{base}.{a.name}" in mods:
                        deps.add(f"{base}.{a.name}")
                    elif base in mods:
                        deps.add(base)
        graph[name] = deps - {name}
    return graph


def _cycle(graph):
    """One import cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_imports_and_the_imports_have_no_cycle():
    mods = _modules()
    for name in sorted(mods):
        importlib.import_module(name)
    graph = _import_graph(mods)
    assert "eecs598.grading.specs" in graph["eecs598.grading.hidden"]  # the parser sees relative imports
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


# ------------------------------------------------------------------------- a sixth notebook
MARK = "# BEGIN " + "SOLUTION", "# END " + "SOLUTION"  # split: this file holds no region
ENTRY = '''
NOTEBOOKS += (Notebook("toy_notebook", "T6", "A toy sixth notebook", 2, "EXT",
                       artifacts=("toy_result.json",), required=False, submit_rank=5),)
'''
TOY_MODULE = f'''"""A toy notebook's student module."""


def double(x):
    """Return 2 * x."""
    {MARK[0]}
    return 2 * x
    {MARK[1]}
'''
TOY_SPECS = '''"""Public graded tests of ``toy_notebook.ipynb``."""
from . import Test, call, randn

PUBLIC = [Test("double", "T6", 2, "call", call("double", randn(3, seed=1)), ["double"])]
'''


def _toy_notebook():
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    nb = new_notebook(cells=[new_code_cell("import json\nfrom toy_notebook import double"),
                             new_code_cell("json.dump(double(21), open('toy_result.json', 'w'))")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(nb)


def _python(repo, *args, **kw):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, *args], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=300, **kw)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_a_sixth_notebook_is_run_zipped_and_graded(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "eecs598", repo / "eecs598", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "a4_helper.py", repo)
    # the one registry entry, plus the notebook's files
    with open(repo / "eecs598" / "assignment.py", "a") as f:
        f.write(ENTRY)
    (repo / "toy_notebook.py").write_text(TOY_MODULE)
    (repo / "toy_notebook.ipynb").write_text(_toy_notebook())
    (repo / "eecs598" / "grading" / "specs" / "toy_notebook.py").write_text(TOY_SPECS)

    # run: executes it and collects its artifact
    out = _python(repo, "-m", "eecs598", "run", "toy_notebook", "--out", str(tmp_path / "out"))
    assert re.search(r"toy_notebook\s+ok\s.*toy_result\.json", out), out
    assert json.loads((tmp_path / "out" / "toy_result.json").read_text()) == 42

    # submit: the zip holds its module, notebook and artifact after the original files
    work = tmp_path / "work"
    work.mkdir()
    for name in ("toy_notebook.py",):
        shutil.copy(repo / name, work)
    for name in ("toy_notebook.ipynb", "toy_result.json"):
        shutil.copy(tmp_path / "out" / name, work)
    listing = _python(repo, "-c", f"""
import json, zipfile
from pathlib import Path
from eecs598.submit import SUBMISSION_FILES, make_a4_submission
work = Path({str(work)!r})
for name in SUBMISSION_FILES:
    if not (work / name).exists():
        (work / name).write_text("stand-in")
print(json.dumps(zipfile.ZipFile(make_a4_submission(str(work), "toy", "12345678")).namelist()))
""").splitlines()[-1]
    names = json.loads(listing)
    assert names[-3:] == ["toy_notebook.py", "toy_notebook.ipynb", "toy_result.json"]
    assert len(names) == 15 + 5 + 3  # the original 15, the GAN notebook's 5, the toy's 3

    # grade: the solution earns the toy question's 2 points, a wrong answer none
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(work / "toy_12345678_A4.zip", batch / "right.zip")
    (batch / "wrong").mkdir()
    (batch / "wrong" / "toy_notebook.py").write_text("def double(x):\n    return 3 * x\n")
    _python(repo, "-m", "eecs598", "grade", str(batch), "--questions", "T6", "--allow-weak-batch",
            "--out-dir", str(tmp_path / "graded"))
    right = json.loads((tmp_path / "graded" / "right.results.json").read_text())
    wrong = json.loads((tmp_path / "graded" / "wrong.results.json").read_text())
    assert (right["score"], right["max_score"]) == (2, 2)
    assert (wrong["score"], wrong["max_score"]) == (0, 2)
    assert [t["output"].split(":")[0] for t in wrong["tests"] if t["name"].startswith("T6")] == ["FAILED"]
    assert not (ROOT / "toy_notebook.py").exists()  # the repository itself is untouched
