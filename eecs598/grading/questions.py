"""The graded questions: which tests each question has and how their points are shared.

The tests come from the assignment registry (:mod:`eecs598.assignment`): notebook ``NAME``'s
public tests are ``PUBLIC`` of :mod:`eecs598.grading.specs.NAME`; their hidden twins are in
``hidden.py``, which stays with the instructors. The expected outputs are never written in a
spec: the grader computes them with the reference solution (instructor repository) or reads them
from ``public_expected.json`` (student release, public tests only).

Points: a public test's ``points`` as written is the share of its question that the tested
behaviour is worth; :func:`all_tests` gives the public test ``PUBLIC_SHARE`` of it and its hidden
twins the rest, and draws the twins' inputs from a secret seed per grading run. Questions are
grouped into ``PARTS`` (original A4 questions, GAN, this project's extensions).
"""
import hashlib
import importlib
import importlib.util
import secrets
from dataclasses import replace

from ..assignment import NOTEBOOKS, parts, questions

QUESTIONS = questions()  # key -> (title, module, points), from the assignment registry
PARTS = parts()  # key -> (title, questions); see eecs598.assignment.PARTS
PART_OF = {q: part for part, (_, qs) in PARTS.items() for q in qs}
NOTEBOOK_OF = {q: module for q, (_, module, _) in QUESTIONS.items()}

# Public tests carry this share of each tested behaviour's points, their hidden twins the rest:
# replaying the released public outputs can never earn more than 20 % of a question.
PUBLIC_SHARE = 0.2


def spec_module(notebook):
    """The module holding ``notebook``'s graded tests: ``eecs598.grading.specs.NAME``."""
    return importlib.import_module(f"{__package__}.specs.{notebook}")


def _with_gradients(test, differentiable):
    """A ``call`` test of a function in ``differentiable`` also compares gradients: the assignment
    trains through that function, so a version built on ``.data``, ``.detach()``, ``.item()`` or
    ``torch.no_grad()`` gives the right numbers but cannot learn."""
    fn = test.args.get("fn")
    if test.probe != "call" or fn not in differentiable or test.args.get("grads"):
        return test
    return replace(test, args=dict(test.args, grads=differentiable[fn]))


def _differentiable(notebook):
    return getattr(spec_module(notebook), "DIFFERENTIABLE", {})


def public_tests(notebooks=NOTEBOOKS):
    """Every notebook's public tests, in registry order."""
    tests = []
    for nb in notebooks:
        differentiable = _differentiable(nb.name)
        tests += [_with_gradients(t, differentiable) for t in spec_module(nb.name).PUBLIC]
    return tests


def hidden_tests():
    """The hidden twins (``hidden.py``; none in the student release)."""
    if not hidden_available():
        return []
    hidden = importlib.import_module(f"{__package__}.hidden").HIDDEN
    return [_with_gradients(t, _differentiable(NOTEBOOK_OF[t.question])) for t in hidden]


PUBLIC = public_tests()




def _fold(seed, secret, name):
    """A hidden test's input seed under this run's secret: unpredictable without the secret."""
    digest = hashlib.sha256(f"{secret}:{name}:{seed}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def _reseed(spec, secret, name):
    if isinstance(spec, list):
        return [_reseed(s, secret, name) for s in spec]
    if isinstance(spec, dict):
        return {k: (_fold(v, secret, name) if k == "seed" and isinstance(v, int) else _reseed(v, secret, name))
                for k, v in spec.items()}
    return spec


def materialize(test, secret):
    """``test`` with every input seed (and the global seed) folded with ``secret``: the hidden
    tests' inputs change with every grading run, so released outputs cannot be replayed; the
    reference computes the expected outputs on the very same inputs."""
    return replace(test, args=_reseed(test.args, secret, test.name), seed=_fold(test.seed, secret, test.name))


def _with_points(public, hidden):
    """Split each public test's points (``points`` as written: the behaviour's share of the
    question) between it (PUBLIC_SHARE) and its hidden twins (the rest, shared equally); a public
    test without twins keeps them all."""
    twins = {}
    for t in hidden:
        twins.setdefault(t.twin_of, []).append(t)
    out = []
    for t in public:
        share = round(PUBLIC_SHARE * t.points, 6) if t.name in twins else t.points
        out.append(replace(t, points=share))
        for h in twins.get(t.name, []):
            out.append(replace(h, points=round((1 - PUBLIC_SHARE) * t.points / len(twins[t.name]), 6)))
    return out


def all_tests(include_hidden=True, secret=None):
    """Public tests, plus the hidden ones when ``hidden.py`` is present (instructor copy).

    Hidden tests get their inputs from ``secret`` (a fresh random one per call unless given).
    Without ``hidden.py`` (the student release) the public tests carry their full points.
    """
    hidden = hidden_tests() if include_hidden else []
    names = {t.name for t in PUBLIC}
    for t in hidden:
        if t.twin_of not in names or not t.hidden:
            raise ValueError(f"hidden test {t.name} must be hidden and twin a public test (twin_of={t.twin_of!r})")
    if hidden:
        secret = secrets.randbits(63) if secret is None else secret
        hidden = [materialize(t, secret) for t in hidden]
    tests = _with_points(PUBLIC, hidden)
    for t in tests:
        if t.question not in QUESTIONS:
            raise ValueError(f"test {t.name} has unknown question {t.question}")
    return tests


def hidden_available():
    """True in the instructors' repository (``hidden.py`` present), False in the student release."""
    return importlib.util.find_spec(f"{__package__}.hidden") is not None
