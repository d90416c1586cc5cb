"""Execute the assignment notebooks headlessly and collect what they produce (the main job).

Each notebook runs in a fresh kernel whose working directory is the output folder, so the executed
notebook and its artifacts (result ``.jpg`` / ``.pkl`` files) land together there. A notebook that
fails is saved up to the failing cell, the others still run, and the exit status says so; the
summary names the error (type and first line) and the saved notebook and cell that hold the rest.
Kernels talk to the runner over local IPC sockets (no TCP ports, no "unencrypted TCP" warnings).
"""
import os
import sys
import tempfile
import time
from pathlib import Path

from .assignment import notebook_names
from .resources import REPO_ROOT

NOTEBOOKS = notebook_names()


def available_notebooks(root=REPO_ROOT):
    """The assignment notebooks present in ``root``, in assignment order."""
    return [name for name in NOTEBOOKS if (Path(root) / f"{name}.ipynb").exists()]


def _progress_client(nb, out_dir, timeout, name, sockets):
    """An nbclient client that advances a tqdm bar after every code cell; its kernel listens on
    IPC sockets named ``sockets``-N (a path prefix in a private folder)."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from tqdm.auto import tqdm

    code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
    bar = tqdm(total=code_cells, desc=name, unit="cell")

    def on_cell_executed(cell, **_):
        if cell.cell_type == "code":
            bar.update(1)

    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(sockets))
    client = NotebookClient(nb, km=kernel, timeout=timeout, resources={"metadata": {"path": str(out_dir)}},
                            on_cell_executed=on_cell_executed)
    return client, bar


def _failed_cell(nb):
    """(index, execution count) of the first cell with an error output, or None."""
    for index, cell in enumerate(nb.cells):
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return index, cell.get("execution_count")
    return None


def _first_line(text):
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def run_notebook(name, out_dir, timeout=1800, root=REPO_ROOT):
    """Execute ``<root>/<name>.ipynb`` with the kernel in ``out_dir``; save it there.

    Returns ``(ok, seconds, error)``; ``error`` (None when ok) is the error's type and first line,
    then a line saying where the full traceback is (the saved notebook and its cell).
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(Path(root) / f"{name}.ipynb", as_version=4)
    saved = out_dir / f"{name}.ipynb"
    start, error = time.time(), None
    with tempfile.TemporaryDirectory(prefix="eecs598-kernel-") as sockets:
        client, bar = _progress_client(nb, out_dir, timeout, name, Path(sockets) / "kernel")
        try:
            client.execute()
        except CellExecutionError as err:  # its str ends with notes and context, not the error
            error = f"{err.ename}: {_first_line(err.evalue)}"
        except Exception as err:  # kernel death, timeout: still save what ran
            error = f"{type(err).__name__}: {_first_line(err)}"
        finally:
            bar.close()
            nbformat.write(nb, saved)
    if error is not None:
        failed = _failed_cell(nb)
        where = f", cell {failed[0] + 1} (In [{failed[1]}])" if failed else ""
        error += f"\nfull traceback: {saved}{where}"
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
        for line in (error or "").splitlines():
            print(f"      {line}")
    print(f"executed notebooks and artifacts are in {out_dir}")
    return 0 if all(r[1] for r in results) else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
