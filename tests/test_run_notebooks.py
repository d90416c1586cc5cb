"""``python -m eecs598 run``: executes notebooks, keeps going after a failure, saves partial runs."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from eecs598 import run_notebooks


def write(root, name, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / f"{name}.ipynb")


def test_run_notebook_writes_outputs_and_artifacts(tmp_path, capfd):
    write(tmp_path, "good", "open('made.txt', 'w').write('x')", "print(6 * 7)")
    ok, seconds, error = run_notebooks.run_notebook("good", tmp_path / "out", timeout=120, root=tmp_path)
    assert ok and error is None and seconds > 0
    # the kernel's own log (it inherits our stderr) has nothing to say: IPC, not unencrypted TCP
    assert "without encryption" not in capfd.readouterr().err
    assert (tmp_path / "out" / "made.txt").exists()  # the kernel ran in the output folder
    executed = nbformat.read(tmp_path / "out" / "good.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "42\n"


def test_failing_notebook_is_saved_up_to_the_error(tmp_path):
    # an error with a second line and a note: the summary shows the error, not the note
    boom = "e = ValueError('boom\\nsecond line'); e.add_note('a note that must not hide the error'); raise e"
    write(tmp_path, "bad", "x = 1", boom, "y = 2")
    ok, _, error = run_notebooks.run_notebook("bad", tmp_path / "out", timeout=120, root=tmp_path)
    assert not ok
    first, where = error.splitlines()
    assert first == "ValueError: boom"
    assert where == f"full traceback: {tmp_path / 'out' / 'bad.ipynb'}, cell 2 (In [2])"
    executed = nbformat.read(tmp_path / "out" / "bad.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["ename"] == "ValueError" and executed.cells[2].outputs == []


def test_unknown_notebook_name_is_rejected(tmp_path):
    with pytest.raises(SystemExit, match="unknown notebook"):
        run_notebooks.run(["not_a_notebook"], tmp_path)


def test_notebook_kernels_inherit_no_matplotlib_backend():
    """Kernels started by nbval inherit this environment; MPLBACKEND=Agg there would keep figures
    open across cells, so saved result images would show several figures on top of each other."""
    import os
    assert "MPLBACKEND" not in os.environ
