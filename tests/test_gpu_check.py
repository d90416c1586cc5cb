"""benchmarks/gpu_check.py skips cleanly where there is no GPU (CI), and knows its notebook cells."""
import subprocess
import sys

import nbformat

from eecs598.resources import REPO_ROOT


def test_gpu_check_skips_cleanly_without_a_gpu():
    env = {"CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    done = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "gpu_check.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "skipped: no CUDA GPU here" in done.stdout
    assert "Traceback" not in done.stderr


def test_every_notebook_has_the_training_cell_gpu_check_stops_at():
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    try:
        import gpu_check
    finally:
        sys.path.pop(0)
    from eecs598.assignment import notebook_names
    assert set(gpu_check.FIRST_TRAINING_CELL) == set(notebook_names())  # every notebook names its cell
    for name, marker in gpu_check.FIRST_TRAINING_CELL.items():
        nb = nbformat.read(REPO_ROOT / f"{name}.ipynb", as_version=4)
        assert any(c.cell_type == "code" and marker in c.source for c in nb.cells), (name, marker)
