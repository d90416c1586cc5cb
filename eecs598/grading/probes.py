"""How the grader calls student functions: each probe builds its inputs from a small spec,
calls the student's code and returns plain outputs (tensors, numbers) to compare.

The same probe runs twice: in the sandboxed child on the student's module, and in the grader on
the trusted reference module (or its outputs are stored, for the public tests of the release).
Probes hold no expected values and no solution code; they ship with the release. The shared
machinery is in :mod:`.probing`; the probes themselves in ``probes_generic`` (any notebook),
``probes_captioning``, ``probes_vision`` and ``probes_gan``, all registered by importing them here.
"""
from . import probes_captioning, probes_gan, probes_generic, probes_vision  # noqa: F401 -- register
from .probing import PROBES, NotImplementedYet, fill_params, make  # noqa: F401 -- the probes' API


def run(name, module, args):
    """Run probe ``name`` on ``module`` (student or reference) with the test's ``args``."""
    if name not in PROBES:
        raise ValueError(f"unknown probe {name!r}")
    return PROBES[name](module, **args)
