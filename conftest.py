"""Test-session settings: notebooks run in fast mode; kernels find the repository."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
os.environ.setdefault("EECS598_FAST", "1")
os.environ.setdefault("EECS598_ROOT", str(ROOT))
# Notebook kernels must use the inline backend, which closes each figure when it is shown; an
# inherited MPLBACKEND=Agg would make figures pile up and the saved result images overlap.
os.environ.pop("MPLBACKEND", None)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
