"""Device selection and run-size settings shared by every notebook.

One place decides where tensors live (CUDA, else Apple MPS, else CPU) and how big a run is:

* ``full``  -- the original assignment's sizes; the default on a CUDA GPU (Colab).
* ``cpu``   -- shrunk sizes that finish in minutes on a laptop CPU; the default elsewhere.
* ``fast``  -- smallest sizes, for CI and smoke tests; chosen with ``EECS598_FAST=1``.

Notebooks pick a size with :func:`pick`, for example
``num_epochs = pick(full=10, cpu=3, fast=1)``.
"""
import os

import torch

FAST_ENV = "EECS598_FAST"      # "1" -> fast mode
DEVICE_ENV = "EECS598_DEVICE"  # force a device, e.g. "cpu"


def get_device():
    """Return the best available device: CUDA, else MPS, else CPU.

    ``EECS598_DEVICE`` overrides the choice (for example ``cpu`` on a GPU machine).
    """
    forced = os.environ.get(DEVICE_ENV)
    if forced:
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def is_fast():
    """True when fast mode is on (``EECS598_FAST`` set to 1/true/yes)."""
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def run_mode(device=None):
    """Return ``'fast'``, ``'full'`` (CUDA) or ``'cpu'`` (CPU or MPS)."""
    if is_fast():
        return "fast"
    device = torch.device(device) if device is not None else get_device()
    return "full" if device.type == "cuda" else "cpu"


def pick(full, cpu, fast, device=None):
    """Choose a size for the current run mode: ``full`` on CUDA, ``cpu`` otherwise, ``fast`` in CI."""
    return {"full": full, "cpu": cpu, "fast": fast}[run_mode(device)]


def describe(device=None):
    """One line saying which device and run mode are in use."""
    device = torch.device(device) if device is not None else get_device()
    mode = run_mode(device)
    note = {
        "full": "original sizes",
        "cpu": "reduced sizes for a CPU; use a GPU for the original sizes",
        "fast": f"smallest sizes ({FAST_ENV}=1), for smoke tests only",
    }[mode]
    return f"device: {device} | mode: {mode} ({note}) | torch {torch.__version__}"
