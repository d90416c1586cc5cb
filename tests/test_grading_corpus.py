"""The grader is fair to every idiom: a corpus of alternative implementations, written the way
students of the original courses write them (tests/grading_corpus/, see its README).

* Every CORRECT variant gets full marks on every test of the questions it touches.
* Every WRONG variant loses exactly the tests that use its function (``uses`` in questions.py /
  hidden.py) and nothing else, and -- where the grader knows the mistake -- the failure message
  names it.
* Complete modules in the FA2020 / CS231n skeleton style (original header, ``from a4_helper import *``)
  get full marks on their original question.

One sandbox and one reference serve the whole file; each variant grades only its question(s).
"""
import ast
import inspect
import json
import textwrap
from pathlib import Path

import pytest

from eecs598.grading.grade import Reference, grade
from eecs598.grading.questions import QUESTIONS, all_tests
from eecs598.grading.sandbox import REPO_ROOT, Sandbox

CORPUS = Path(__file__).with_name("grading_corpus")
_MANIFEST = json.loads((CORPUS / "manifest.json").read_text())
MANIFEST, HEADERS = _MANIFEST["variants"], _MANIFEST["headers"]
MARKER = "# BEGIN " + "SOLUTION"
MODULE_QUESTIONS = {}
for _q, (_, _m, _) in QUESTIONS.items():
    MODULE_QUESTIONS.setdefault(_m, []).append(_q)


# ------------------------------------------------------------------------------ corpus access
def snippets(module):
    """{variant id: source} of ``variants/<module>.py`` (sections start with ``# === <id>``)."""
    out, current = {}, None
    for line in (CORPUS / "variants" / f"{module}.py").read_text().splitlines(keepends=True):
        if line.startswith("# === "):
            current = line[6:].strip()
            out[current] = ""
        elif current is not None:
            out[current] += line
    return out


def _find(tree, target):
    """The top-level def/class ``target``, or the method ``Class.method``."""
    owner, _, method = target.rpartition(".")
    body = tree.body
    if owner:
        body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner).body
    return next(n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == (method or target))


def splice(text, target, source):
    """``text`` with the definition of ``target`` replaced by ``source`` (re-indented)."""
    node = _find(ast.parse(text), target)
    start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
    lines = text.splitlines(keepends=True)
    new = textwrap.indent(textwrap.dedent(source).strip("\n") + "\n", " " * node.col_offset)
    return "".join(lines[:start]) + new + "".join(lines[node.end_lineno:])


def with_original_header(text, module):
    """``text`` with the original skeleton's imports (``from a4_helper import *`` ...) first."""
    tree = ast.parse(text)
    first = tree.body[0]
    at = first.end_lineno if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) else 0
    lines = text.splitlines(keepends=True)
    return "".join(lines[:at]) + HEADERS[module] + "".join(lines[at:])


def build(variant, folder):
    """Write the variant's submission (one module) into ``folder``; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    module = variant["module"]
    if "file" in variant:
        text = (CORPUS / variant["file"]).read_text()
    else:
        text = splice((REPO_ROOT / f"{module}.py").read_text(), variant["fn"],
                      snippets(module)[variant["id"]])
        text = with_original_header(text, module)
    (folder / f"{module}.py").write_text(text)
    return folder


def _has_solution(module):
    path = REPO_ROOT / f"{module}.py"
    return path.exists() and MARKER in path.read_text()


# ---------------------------------------------------------------------------- expectations
def functions_of(test):
    return set(test.uses)


def _names(pattern, name):
    """A manifest test-name pattern: a substring, or with a leading ``=`` the exact name."""
    return name == pattern[1:] if pattern.startswith("=") else pattern in name


def expected_failures(variant, tests):
    """(must fail, may fail) test names for ``variant`` among ``tests``."""
    if variant["kind"] == "correct":
        if "file" in variant:  # a complete module: the tests of what it does not define fail
            defined = set(variant["defines"])
            must = {t.name for t in tests if not functions_of(t) <= defined}
            return must, set()
        return set(), set()
    fn = variant["fn"].split(".")[0]
    keep = set(variant.get("may_keep", []))
    keep_names = variant.get("may_keep_tests", [])
    using = [t for t in tests if fn in functions_of(t)]
    if "only_tests" in variant:  # a mistake only some tests can see (the loop check)
        using = [t for t in using if any(_names(k, t.name) for k in variant["only_tests"])]
    may = {t.name for t in using if t.uses[0] in keep or any(_names(k, t.name) for k in keep_names)}
    must = {t.name for t in using} - may
    return must, may


# --------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module", autouse=True)
def one_secret_per_run():
    """All variants of this run see the same hidden inputs (still drawn from a fresh secret), so
    the shared reference computes each hidden expected output once, not once per variant."""
    import secrets

    from eecs598.grading import grade as grade_module
    real, secret = grade_module.all_tests, secrets.randbits(63)
    if "secret" not in inspect.signature(real).parameters:  # a grader without secret seeds
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(grade_module, "all_tests", lambda include_hidden=True, secret=secret: real(include_hidden, secret=secret))
        yield


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(hide=[tmp_path_factory.getbasetemp()]) as box:
        yield box


@pytest.fixture(scope="module")
def reference():
    return Reference()


def _params():
    out = []
    for v in MANIFEST:
        marks = [pytest.mark.xfail(reason=v["xfail"], strict=True)] if v.get("xfail") else []
        out.append(pytest.param(v, id=v["id"], marks=marks))
    return out


# ------------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("variant", _params())
def test_variant_is_graded_fairly(variant, sandbox, reference, tmp_path):
    module = variant["module"]
    if not _has_solution(module):
        pytest.skip(f"{module}.py holds no solution here (student release)")
    tests_all = all_tests()
    if "file" in variant:
        questions = MODULE_QUESTIONS[module]
    else:
        fn = variant["fn"].split(".")[0]
        questions = sorted({t.question for t in tests_all if fn in t.uses})
        assert questions, f"no grader test uses {fn}: the manifest is out of date"
    tests = [t for t in tests_all if t.question in questions]
    res = grade(build(variant, tmp_path / "sub"), sandbox=sandbox, reference=reference, questions=questions)
    by_name = {}
    for entry in res["tests"]:
        if entry["max_score"] > 0:
            by_name[entry["name"].split(" ", 1)[1]] = entry
    assert set(by_name) == {t.name for t in tests}
    failed = {n for n, e in by_name.items() if e["score"] < e["max_score"]}
    must, may = expected_failures(variant, tests)
    report = "\n".join(f"  {n}: {by_name[n]['output'][:300]}" for n in sorted(failed - must - may))
    assert failed - must - may == set(), f"{variant['id']} lost points it should keep:\n{report}"
    assert must - failed == set(), f"{variant['id']} ({variant.get('mistake')}) kept points on {sorted(must - failed)}"
    if variant["kind"] == "wrong" and variant.get("message"):
        outputs = " ".join(by_name[n]["output"] for n in failed).lower()
        assert variant["message"].lower() in outputs, (
            f"no failure of {variant['id']} names the mistake ({variant['message']!r}):\n"
            + "\n".join(f"  {n}: {by_name[n]['output'][:300]}" for n in sorted(failed)))
    if "file" in variant and variant.get("original_question"):
        q = variant["original_question"]
        per_q = res["extra_data"]["per_question"][q]
        assert per_q["score"] == per_q["max_score"] == QUESTIONS[q][2], (
            f"{variant['id']}: {q} should be full marks from the original functions alone: {per_q}")


def test_manifest_and_sources_agree():
    """Every manifest entry has its source, every source section is in the manifest, and every
    graded function has at least two correct and one wrong variant."""
    ids = [v["id"] for v in MANIFEST]
    assert len(ids) == len(set(ids))
    listed = {v["id"] for v in MANIFEST if "file" not in v}
    sections = set()
    for path in (CORPUS / "variants").glob("*.py"):
        sections |= set(snippets(path.stem))
    assert listed == sections, f"manifest only: {sorted(listed - sections)}; sources only: {sorted(sections - listed)}"
    for v in MANIFEST:
        assert v["kind"] in ("correct", "wrong")
        if "file" in v:
            assert (CORPUS / v["file"]).is_file()
    graded = {fn for t in all_tests() for fn in t.uses}
    count = {fn: {"correct": 0, "wrong": 0} for fn in graded}
    for v in MANIFEST:
        if "file" in v:
            continue
        fn = v["fn"].split(".")[0]
        assert fn in graded, f"{v['id']}: {fn} is not graded"
        count[fn][v["kind"]] += 1
    thin = {fn: c for fn, c in count.items() if c["correct"] < 2 or c["wrong"] < 1}
    assert not thin, f"functions without 2 correct and 1 wrong variant: {thin}"


# ---------------------------------------------------------------------- the helper namespace
ORIGINAL_A4_HELPER_NAMES = {  # what `from a4_helper import *` gave a module in EECS 498-007 FA2020
    "os", "pickle", "torch", "nn", "F", "optim", "DataLoader", "sampler", "OrderedDict", "dset", "T",
    "random", "np", "gaussian_filter1d", "SQUEEZENET_MEAN", "SQUEEZENET_STD", "preprocess",
    "deprocess", "rescale", "blur_image", "check_scipy", "jitter", "load_CIFAR", "load_imagenet_val",
    "load_COCO", "dump_results",
}


def test_star_import_gives_the_original_names():
    import collections
    import os
    import pickle
    import random

    import numpy as np
    import scipy.ndimage
    import torch
    import torch.utils.data
    import torchvision

    import a4_helper

    ns = {}
    exec("from a4_helper import *", ns)
    names = set(ns) - {"__builtins__"}
    assert ORIGINAL_A4_HELPER_NAMES <= names, sorted(ORIGINAL_A4_HELPER_NAMES - names)
    assert names == ORIGINAL_A4_HELPER_NAMES  # nothing else leaks out
    same = {"os": os, "pickle": pickle, "torch": torch, "nn": torch.nn, "F": torch.nn.functional,
            "optim": torch.optim, "DataLoader": torch.utils.data.DataLoader, "sampler": torch.utils.data.sampler,
            "OrderedDict": collections.OrderedDict, "dset": torchvision.datasets, "T": torchvision.transforms,
            "random": random, "np": np, "gaussian_filter1d": scipy.ndimage.gaussian_filter1d}
    for name, obj in same.items():
        assert ns[name] is obj, name
    for name in ORIGINAL_A4_HELPER_NAMES - set(same):
        assert ns[name] is getattr(a4_helper, name)


def test_original_header_module_runs_on_the_star_import(tmp_path, monkeypatch):
    """An original module header (``from a4_helper import *`` and nothing else) can use F, nn,
    optim, OrderedDict ... as the FA2020 starter code did (e.g. FeatureExtractor's F.normalize)."""
    (tmp_path / "student_mod.py").write_text(textwrap.dedent("""
        from a4_helper import *

        def f(x):
            net = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 2))]))
            opt = optim.SGD(net.parameters(), lr=0.1)
            y = F.normalize(net(x), p=2, dim=1)
            return y, opt, np.float64(random.random()), gaussian_filter1d(np.ones(5), 1.0)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    import torch
    mod = importlib.import_module("student_mod")
    y, opt, _, blurred = mod.f(torch.ones(4, 3))
    assert torch.allclose(y.norm(dim=1), torch.ones(4))
    assert type(opt).__name__ == "SGD" and blurred.shape == (5,)


# ---------------------------------------------------------------- the loop check, in isolation
# (the corpus grades the usual idioms end to end; these are the tricks around them, checked on
# the source alone -- the grader never runs student code for this check)
VEC = "def tv_loss(img, w):\n    return w * (img.diff(dim=2).pow(2).sum() + img.diff(dim=3).pow(2).sum())\n"
LOOP_TRICKS = {
    "alias of a looping function": ("def _tv(img, w):\n    return w * sum([img.diff(dim=d).pow(2).sum() for d in (2, 3)])\n"
                                    "tv_loss = _tv\n", "list comprehension"),
    "lambda with a generator": ("_sq = lambda x: sum(x.diff(dim=d).pow(2).sum() for d in (2, 3))\n"
                                "def tv_loss(img, w):\n    return w * _sq(img)\n", "generator expression"),
    "method of a class": ("class TV:\n    def __call__(self, img):\n        return self.total(img)\n"
                          "    def total(self, img):\n        t = 0\n        while False:\n            pass\n        return t\n"
                          "def tv_loss(img, w):\n    return w * TV()(img)\n", "while loop"),
    "functools.partial of a looping function": ("import functools\ndef _tv(img, w, dims):\n    s = 0\n    for d in dims:\n"
                                                "        s = s + img.diff(dim=d).pow(2).sum()\n    return w * s\n"
                                                "tv_loss = functools.partial(_tv, dims=(2, 3))\n", "for loop"),
    "mutual recursion": ("def a(img, d):\n    return 0 if d < 2 else img.diff(dim=d).pow(2).sum() + b(img, d - 1)\n"
                         "def b(img, d):\n    return a(img, d)\ndef tv_loss(img, w):\n    return w * a(img, 3)\n", "recursion"),
    "functools.reduce": ("from functools import reduce\ndef tv_loss(img, w):\n"
                         "    return w * reduce(lambda s, d: s + img.diff(dim=d).pow(2).sum(), (2, 3), 0)\n", "reduce"),
    "filter()": ("def tv_loss(img, w):\n    return w * sum(filter(None, (img.diff(dim=2).pow(2).sum(),)))\n", "filter()"),
    "eval of a string": ("def tv_loss(img, w):\n    return eval('w * img.sum()')\n", "grader cannot"),
    "exec of a string": ("def tv_loss(img, w):\n    exec('pass')\n    return w * img.sum()\n", "grader cannot"),
    "getattr with a built name": ("import sys\ndef _tv(img, w):\n    return [x for x in img]\n"
                                  "def tv_loss(img, w):\n    return getattr(sys.modules[__name__], '_' + 'tv')(img, w)\n",
                                  "grader cannot"),
    "module attribute of itself": ("import sys\ndef _tv(img, w):\n    return [x for x in img]\n"
                                   "def tv_loss(img, w):\n    return sys.modules[__name__]._tv(img, w)\n", "list comprehension"),
    "function globals": ("def tv_loss(img, w):\n    return tv_loss.__globals__['helper'](img)\n", "grader cannot"),
    "importlib": ("import importlib\ndef tv_loss(img, w):\n    return importlib.import_module('x').f(img)\n", "grader cannot"),
    "second definition with a loop": (VEC + "def tv_loss(img, w):\n    return w * sum(img[i].sum() for i in range(1))\n",
                                      "generator expression"),
}


@pytest.mark.parametrize("trick", sorted(LOOP_TRICKS))
def test_loop_check_follows_the_calls(trick):
    from eecs598.grading.static_checks import static_check
    source, words = LOOP_TRICKS[trick]
    message = static_check("no_loop:tv_loss", source)
    assert message and words in message and "tv_loss" in message, message


def test_loop_check_accepts_vectorised_code_and_helpers():
    from eecs598.grading.static_checks import static_check
    helper = ("import torch\nEPS = 0.0\n_sq = lambda x, d: torch.diff(x, dim=d).pow(2).sum()\n"
              "def _both(img):\n    return _sq(img, 2) + _sq(img, 3) + EPS\n"
              "def unrelated():\n    return [i for i in range(3)]\n"
              "def tv_loss(img, w):\n    return w * _both(img)\n")
    for source in (VEC, helper, (REPO_ROOT / "style_transfer.py").read_text()):
        assert static_check("no_loop:tv_loss", source) is None
    assert "does not parse" in static_check("no_loop:tv_loss", "def tv_loss(:\n")
    assert static_check("no_loop:tv_loss", "def other():\n    pass\n") == "tv_loss not found"


def test_corpus_never_ships_to_students():
    from eecs598.release import source_files
    shipped = source_files()
    assert "tests/test_grading_corpus.py" not in shipped
    assert not [f for f in shipped if f.startswith("tests/grading_corpus")]
    assert "tests/grading_corpus/manifest.json" in set(
        str(p.relative_to(REPO_ROOT)) for p in CORPUS.rglob("*"))  # it does exist in the repository
