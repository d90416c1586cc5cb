"""Graded-test specs: the :class:`Test` record and the builders its inputs are written with.

Each notebook's public tests live in ``specs/NAME.py`` (``NAME`` as in the assignment registry,
:mod:`eecs598.assignment`), as a list ``PUBLIC``; a module may also name the functions whose
gradients are compared (``DIFFERENTIABLE``). :mod:`eecs598.grading.questions` collects them, so a
new notebook needs its spec module here and nothing else in the grader. Every test names a probe
(:mod:`eecs598.grading.probes`) with its arguments and the student functions it exercises
(``uses``); expected outputs are never written here (the grader computes them with the reference).
"""
from dataclasses import dataclass, field

from ...assignment import parts

PART_OF = {q: part for part, (_, qs) in parts().items() for q in qs}


@dataclass
class Test:
    name: str
    question: str
    points: float
    probe: str
    args: dict
    uses: list
    hidden: bool = False
    rtol: float = 1e-5
    atol: float = 1e-6
    seed: int = 0
    timeout: float = 20.0
    static: str = None  # name of a static (source) check applied on top, see grade.py
    tol: dict = field(default_factory=dict)  # per-output-key (rtol, atol) overrides
    twin_of: str = None  # hidden tests: the name of the public test whose behaviour they check

    @property
    def part(self):
        return PART_OF[self.question]


def twin(of, question, probe, args, uses, **kw):
    """A hidden test checking public test ``of``'s behaviour on other inputs (its points come
    from ``of``: see :func:`eecs598.grading.questions.all_tests`)."""
    return Test(f"{of} (hidden)", question, 0, probe, args, uses, hidden=True, twin_of=of, **kw)


def lin(lo, hi, *shape, dtype="float64"):
    return {"t": "linspace", "lo": lo, "hi": hi, "shape": list(shape), "dtype": dtype}


def randn(*shape, seed=0, dtype="float64", scale=1.0):
    return {"t": "randn", "shape": list(shape), "seed": seed, "dtype": dtype, "scale": scale}


def rand(*shape, seed=0):
    return {"t": "rand", "shape": list(shape), "seed": seed}


def randint(high, *shape, seed=0):
    return {"t": "randint", "high": high, "shape": list(shape), "seed": seed}


def call(fn, *inputs, select=None, grads=False, **kwargs):
    return {"fn": fn, "inputs": list(inputs), "kwargs": kwargs, "select": select, "grads": grads}


def module(ctor, input, *ctor_args, **extra):
    return dict({"ctor": ctor, "input": input, "ctor_args": list(ctor_args)}, **extra)


F32 = "float32"
STD = {"std": (0.3, 0.0)}  # random initialisation: the spread must be right within 30 %
