"""Colab's first cell: each notebook's first code cell, run in a kernel with a fake ``google.colab``
(Drive mounts recorded), finds the modules and the data where a student following the README put
them: the assignment folder uploaded to ``My Drive/EECS598/A4``, data files in its ``datasets/``.

Only the Drive mount point changes: the cell's literal ``/content/drive`` is pointed at a temporary
folder (the test asserts the literal is there, so a cell that stops using it fails)."""
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from eecs598 import resources, run_notebooks

pytest.importorskip("nbclient")
REPO = resources.REPO_ROOT
DRIVE_FOLDER = "My Drive/EECS598/A4"  # README: "Upload the folder to Google Drive (for example My Drive/EECS598/A4)"
STYLE = "styles/tubingen.jpg"

FAKE_COLAB = '''
import json, os, sys, types
MOUNTS = []
google, colab, drive = (types.ModuleType(n) for n in ("google", "google.colab", "google.colab.drive"))
def mount(mountpoint, force_remount=False):
    MOUNTS.append(mountpoint)
    if not os.path.isdir(os.path.join(mountpoint, "My Drive")):
        raise ValueError("mount failed: " + mountpoint)
drive.mount, colab.drive, google.colab = mount, drive, colab
sys.modules.update({"google": google, "google.colab": colab, "google.colab.drive": drive})
'''

REPORT = '''
import eecs598.resources as _r
_mod = sys.modules[{module!r}]
print("REPORT " + json.dumps(dict(
    mounts=MOUNTS, cwd=os.getcwd(), module=_mod.__file__, package=_r.__file__,
    data_dir=str(_r.data_dir()), mirror=os.environ.get(_r.MIRROR_ENV),
    style=str(_r.locate("style/tubingen.jpg")))))
MOUNTS.clear()
os.chdir({elsewhere!r})
'''


def first_cell(name):
    nb = nbformat.read(REPO / f"{name}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    assert "google.colab" in cell.source and "drive.mount('/content/drive')" in cell.source, name
    assert f"GOOGLE_DRIVE_PATH = '/content/drive/{DRIVE_FOLDER}'" in cell.source, name
    return cell.source


def upload_to_drive(folder):
    """What the README asks: the assignment folder in Drive, data files in its ``datasets/``."""
    ignore = shutil.ignore_patterns(".git*", "datasets", "outputs", "tests", "benchmarks", "__pycache__",
                                    ".pytest_cache", "*.zip", "*.pkl", "*.jpg")
    shutil.copytree(REPO, folder, ignore=ignore)
    mirror = resources.mirror_dir() or REPO.parent.parent / "shared" / "data"
    src = Path(mirror) / STYLE
    if not src.exists():
        pytest.skip("no data mirror here for the data file")
    (folder / "datasets" / "styles").mkdir(parents=True)
    shutil.copyfile(src, folder / "datasets" / STYLE)


def test_first_cells_find_modules_and_data_on_drive(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    content = tmp_path / "content"          # Colab's /content
    mountpoint = content / "drive"
    assignment = mountpoint / DRIVE_FOLDER
    upload_to_drive(assignment)
    for var in ("EECS598_ROOT", "PYTHONPATH", resources.DATA_DIR_ENV, resources.MIRROR_ENV):
        monkeypatch.delenv(var, raising=False)  # a fresh Colab runtime knows none of these
    monkeypatch.setenv("EECS598_DEVICE", "cpu")

    cells = [new_code_cell(FAKE_COLAB)]
    for name in run_notebooks.NOTEBOOKS:
        cells.append(new_code_cell(first_cell(name).replace("/content/drive", str(mountpoint))))
        cells.append(new_code_cell(REPORT.format(module=name, elsewhere=str(content))))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(content)}}).execute()

    for i, name in enumerate(run_notebooks.NOTEBOOKS):
        setup, report = nb.cells[1 + 2 * i], nb.cells[2 + 2 * i]
        text = "".join(o.get("text", "") for o in setup.outputs if o.get("output_type") == "stream")
        assert f"Hello from {name}.py!" in text, text
        assert "No GPU: on Colab choose Runtime" in text  # the cell knows it is on Colab
        assert f"data cache: {assignment / 'datasets'}" in text
        got = json.loads(report.outputs[0]["text"].split("REPORT ", 1)[1])
        assert got["mounts"] == [str(mountpoint)]
        assert got["cwd"] == str(assignment)
        assert got["module"] == str(assignment / f"{name}.py")
        assert got["package"] == str(assignment / "eecs598" / "resources.py")
        assert got["data_dir"] == str(assignment / "datasets") and got["mirror"] is None
        assert got["style"] == str(assignment / "datasets" / STYLE)
