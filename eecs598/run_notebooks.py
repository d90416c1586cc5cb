"""Execute the assignment notebooks headlessly and collect what they produce (the main job).

Each notebook runs in a fresh kernel whose working directory is the output folder, so the executed
notebook and its artifacts (result ``.jpg`` / ``.pkl`` files) land together there. A notebook that
fails is saved up to the failing cell, the others still run, and the exit status says so.
"""
import os
import sys
import time
from pathlib import Path

from .assignment import notebook_names
from .resources import REPO_ROOT

NOTEBOOKS = notebook_names()


def available_notebooks(root=REPO_ROOT):
    """The assignment notebooks present in ``root``, in assignment order."""
    return [name for name in NOTEBOOKS if (Path(root) / f"{name}.ipynb").exists()]


def _progress_client(nb, out_dir, timeout, name):
    """An nbclient client that advances a tqdm bar after every code cell."""
    from nbclient import NotebookClient
    from tqdm.auto import tqdm

    code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
    bar = tqdm(total=code_cells, desc=name, unit="cell")

    def on_cell_executed(cell, **_):
        if cell.cell_type == "code":
            bar.update(1)

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(out_dir)}},
                            on_cell_executed=on_cell_executed)
    return client, bar


def run_notebook(name, out_dir, timeout=1800, root=REPO_ROOT):
    """Execute ``<root>/<name>.ipynb`` with the kernel in ``out_dir``; save it there.

    Returns ``(ok, seconds, error_message)``.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(Path(root) / f"{name}.ipynb", as_version=4)
    client, bar = _progress_client(nb, out_dir, timeout, name)
    start, error = time.time(), None
    try:
        client.execute()
    except CellExecutionError as err:
        error = str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)
    except Exception as err:  # kernel death, timeout: still save what ran
        error = f"{type(err).__name__}: {err}"
    finally:
        bar.close()
        nbformat.write(nb, out_dir / f"{name}.ipynb")
    return error is None, time.time() - start, error


def run(names=None, out_dir="outputs", fast=False, timeout=1800):
    """Run ``names`` (default: every notebook present); print a summary; return the exit status."""
    names = list(names or available_notebooks())
    unknown = [n for n in names if n not in NOTEBOOKS]
    if unknown:
        raise SystemExit(f"unknown notebook(s): {', '.join(unknown)}; choose from {', '.join(NOTEBOOKS)}")
    missing = [n for n in names if not (REPO_ROOT / f"{n}.ipynb").exists()]
    if missing:
        raise SystemExit(f"notebook file(s) not found: {', '.join(m + '.ipynb' for m in missing)}")
    out_dir = Path(out_dir).resolve()
    # The kernels inherit this environment: they find the repository and know the run mode.
    os.environ["EECS598_ROOT"] = str(REPO_ROOT)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    if fast:
        os.environ["EECS598_FAST"] = "1"
    if not names:
        print("no notebooks to run")
        return 0
    print(f"running {len(names)} notebook(s) into {out_dir}" + (" in fast mode" if fast else ""))
    results = []
    for name in names:
        before = set(out_dir.glob("*")) if out_dir.exists() else set()
        ok, seconds, error = run_notebook(name, out_dir, timeout)
        made = sorted(p.name for p in set(out_dir.glob("*")) - before if p.suffix != ".ipynb")
        results.append((name, ok, seconds, error, made))
    print("\nsummary")
    for name, ok, seconds, error, made in results:
        status = "ok" if ok else "FAILED"
        print(f"  {name:34s} {status:6s} {seconds:7.1f} s  {', '.join(made) or '-'}")
        if error:
            print(f"      error: {error}")
    print(f"executed notebooks and artifacts are in {out_dir}")
    return 0 if all(r[1] for r in results) else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
