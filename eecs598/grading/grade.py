"""Grade one submission: run every test's probe on the student's module in the sandbox, compute
the expected outputs with the trusted reference, compare, and build the Gradescope results.

The reference is the repository's own solution module, loaded here from the repository (never
from the submission), or -- in the student release, where the solutions are gone -- the stored
outputs of the public tests (``public_expected.json``).
"""
import ast
import hashlib
import importlib.util
import json
import os
import random
import sys
import threading
import time
import zipfile
from pathlib import Path

from . import codec, probes
from .questions import QUESTIONS, all_tests
from .sandbox import REPO_ROOT, ChildDied, ChildTimeout, Sandbox

MODULES = {module: q for q, (_, module, _) in QUESTIONS.items()}
STORED_EXPECTED = Path(__file__).with_name("public_expected.json")
MAX_FILE_BYTES = 20 * 1024 * 1024
SOLUTION_MARKER = "# BEGIN " + "SOLUTION"  # split so that this file holds no marker


# ------------------------------------------------------------------------------- submissions
def read_submission(path):
    """Return ``(files, listing)``: the bytes of the graded ``.py`` modules found in ``path`` (a zip
    from ``make_a4_submission`` or a folder) and the bare names of every file it holds.

    Only the five module names are taken (flattened: a zip entry ``a/b/style_transfer.py`` counts
    as ``style_transfer.py``); nothing is extracted to disk, so zip-slip paths cannot escape.
    """
    path = Path(path)
    wanted = {f"{m}.py" for m in MODULES}
    files, listing = {}, set()
    if path.is_file():
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                name = os.path.basename(info.filename)
                if not name or info.is_dir():
                    continue
                listing.add(name)
                if name in wanted and info.file_size <= MAX_FILE_BYTES:
                    with zf.open(info) as f:
                        files[name] = f.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
    elif path.is_dir():
        for entry in path.iterdir():
            listing.add(entry.name)
            if entry.name in wanted and entry.is_file() and not entry.is_symlink():
                if entry.stat().st_size <= MAX_FILE_BYTES:
                    files[entry.name] = entry.read_bytes()
    else:
        raise FileNotFoundError(f"submission not found: {path}")
    return files, sorted(listing)


# -------------------------------------------------------------------------------- references
def _is_solution(path):
    try:
        return SOLUTION_MARKER in Path(path).read_text(encoding="utf-8")
    except OSError:
        return False


class Reference:
    """Expected outputs: from the solution modules when present, else from stored public outputs."""

    def __init__(self, repo_root=REPO_ROOT):
        self.repo_root = Path(repo_root)
        self._modules, self._cache = {}, {}
        self._lock = threading.Lock()
        self._stored = None
        if STORED_EXPECTED.exists():
            self._stored = json.loads(STORED_EXPECTED.read_text())

    def source(self, question):
        module = QUESTIONS[question][1]
        if _is_solution(self.repo_root / f"{module}.py"):
            return "solution"
        return "stored" if self._stored is not None else None

    def _module(self, name):
        if name not in self._modules:
            if str(self.repo_root) not in sys.path:
                sys.path.insert(0, str(self.repo_root))
            spec = importlib.util.spec_from_file_location(f"_eecs598_reference_{name}",
                                                          self.repo_root / f"{name}.py")
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            self._modules[name] = mod
        return self._modules[name]

    def expected(self, test):
        """Decoded expected outputs of ``test`` (or raises LookupError when none is available)."""
        key = test_key(test)
        with self._lock:
            if key in self._cache:
                return codec.decode(self._cache[key])
            source = self.source(test.question)
            if source == "solution":
                mod = self._module(QUESTIONS[test.question][1])
                import numpy as np
                import torch
                random.seed(test.seed)
                np.random.seed(test.seed)
                torch.manual_seed(test.seed)
                try:
                    with torch.random.fork_rng():
                        value = probes.run(test.probe, mod, test.args)
                except Exception as err:
                    raise NoReference(f"grader error: the reference solution failed on this test "
                                      f"({type(err).__name__}: {err}); tell the instructors") from None
                encoded = json.loads(json.dumps(codec.encode(value)))
            elif source == "stored" and key in self._stored:
                encoded = self._stored[key]
            else:
                raise NoReference("no reference available for this test (hidden test without the solutions?)")
            self._cache[key] = encoded
            return codec.decode(encoded)


class NoReference(Exception):
    """No expected outputs for a test (hidden test in the student release, or a reference error)."""


def test_key(test):
    """Stable identity of a test's inputs: probe, arguments and seed."""
    blob = json.dumps([test.probe, test.args, test.seed], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


# -------------------------------------------------------------------------------- comparison
def compare(expected, actual, rtol, atol, tol=None, path="output"):
    """None when ``actual`` matches ``expected``; otherwise a short explanation."""
    import torch
    tol = tol or {}
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            return f"{path}: unexpected structure"
        for k in expected:
            r, a = tol.get(k, (rtol, atol))
            msg = compare(expected[k], actual[k], r, a, tol, f"{path}[{k}]" if path != "output" else k)
            if msg:
                return msg
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            n = len(actual) if isinstance(actual, list) else type(actual).__name__
            return f"{path}: expected {len(expected)} items, got {n}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            msg = compare(e, a, rtol, atol, tol, f"{path}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(expected, torch.Tensor) or isinstance(actual, torch.Tensor):
        if not (isinstance(expected, torch.Tensor) and isinstance(actual, torch.Tensor)):
            e = expected if not isinstance(expected, torch.Tensor) else "a tensor"
            return f"{path}: expected {e}, got {type(actual).__name__ if not isinstance(actual, torch.Tensor) else 'a tensor'}"
        if tuple(expected.shape) != tuple(actual.shape):
            return f"{path}: shape {tuple(actual.shape)}, expected {tuple(expected.shape)}"
        if not expected.is_floating_point():
            if actual.is_floating_point() or not torch.equal(expected.long(), actual.long()):
                return f"{path}: values differ (integer outputs must match exactly)"
            return None
        if not actual.is_floating_point():
            actual = actual.double()
        e, a = expected.double(), actual.double()
        if not torch.isfinite(a).all() and torch.isfinite(e).all():
            return f"{path}: contains NaN or inf"
        err = (a - e).abs()
        bad = err > atol + rtol * e.abs()
        if bad.any():
            i = int(bad.flatten().nonzero()[0])
            idx = tuple(int(v) for v in torch.unravel_index(torch.tensor(i), e.shape)) if e.dim() else ()
            return (f"{path}: values differ: max abs error {float(err.max()):.3g} (e.g. at {idx}: got "
                    f"{float(a.flatten()[i]):.6g}, expected {float(e.flatten()[i]):.6g}; rtol={rtol:g}, atol={atol:g})")
        return None
    if isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        if abs(actual - expected) > atol + rtol * abs(expected):
            return f"{path}: {actual:.6g}, expected {expected:.6g}"
        return None
    if expected != actual or type(expected) is not type(actual):
        return f"{path}: {actual!r}, expected {expected!r}"
    return None


def _static_check(check, source):
    """Checks on the submitted source text (parsed, never run here)."""
    kind, _, fn = check.partition(":")
    if kind == "no_loop":
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return "the file does not parse"
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == fn:
                loops = [n for n in ast.walk(node) if isinstance(n, (ast.For, ast.While, ast.comprehension))]
                if loops:
                    return f"{fn} uses a Python loop (line {loops[0].lineno if hasattr(loops[0], 'lineno') else '?'}); vectorise it"
                return None
        return f"{fn} not found"
    raise ValueError(check)


# ----------------------------------------------------------------------------------- grading
def _test_entry(test, score, output):
    return {"name": f"{test.question} {test.name}" + ("" if not test.hidden else ""),
            "score": round(float(score), 4), "max_score": float(test.points), "output": output,
            "visibility": "after_published" if test.hidden else "visible",
            "tags": [test.question] + (["hidden"] if test.hidden else ["public"])}


QUESTION_BUDGET_S = 150.0    # absolute deadline for all tests of one question (import included)
SUBMISSION_BUDGET_S = 540.0  # ... and for the whole submission: a hostile one stays under 10 minutes
MAX_TIMEOUTS_PER_FUNCTION = 2  # then the remaining tests that use that function are not run (no re-spawn)
MAX_TIMEOUTS = 4             # then no remaining test of the question is run


def _grade_question(sandbox, reference, question, tests, files, stdout_for_public=True, deadline=None):
    """Grade the tests of one question in its own sandboxed process(es); never raises for
    anything the student code does. ``deadline`` (monotonic) bounds the whole question."""
    module = QUESTIONS[question][1]
    fname = f"{module}.py"
    entries = []
    if fname not in files:
        for t in tests:
            entries.append(_test_entry(t, 0, f"MISSING FILE: {fname} is not in the submission."))
        return entries
    deadline = min(deadline or float("inf"), time.monotonic() + QUESTION_BUDGET_S)
    source = files[fname].decode("utf-8", "replace")
    child, stop_reason, timeouts, slow = None, None, 0, {}
    try:
        for test in tests:
            try:
                expected = reference.expected(test)
            except NoReference as err:
                entries.append(_test_entry(test, 0, f"NOT GRADED: {err}"))
                continue
            if stop_reason is None and time.monotonic() >= deadline:
                stop_reason = "NOT RUN: the time budget of this question (or submission) was used up."
            if stop_reason:
                entries.append(_test_entry(test, 0, stop_reason))
                continue
            hung = [fn for fn in test.uses if slow.get(fn, 0) >= MAX_TIMEOUTS_PER_FUNCTION]
            if hung:
                entries.append(_test_entry(test, 0, f"NOT RUN: {hung[0]} timed out {slow[hung[0]]} times."))
                continue
            if child is None or not child.idle():
                if child is not None:
                    child.close()
                child = sandbox.spawn(module, {fname: files[fname]}, deadline=deadline)
                if not child.imported.get("ok"):
                    tail = child.output_tail(800).strip()
                    stop_reason = f"CANNOT IMPORT {fname}: {str(child.imported.get('error'))[:1500]}"
                    entries.append(_test_entry(test, 0, stop_reason + (
                        f"\n--- output ---\n{tail}" if tail and not test.hidden else "")))
                    continue
            entries.append(_test_entry(test, *_run_test(child, test, expected, source, stdout_for_public,
                                                        min(deadline, time.monotonic() + test.timeout))))
            if entries[-1]["output"].startswith("TIMED OUT"):
                timeouts += 1
                slow[test.uses[0]] = slow.get(test.uses[0], 0) + 1
                if timeouts >= MAX_TIMEOUTS:
                    stop_reason = (f"NOT RUN: {timeouts} tests of this question timed out; "
                                   "its remaining tests are not run.")
    finally:
        if child is not None:
            child.close()
    return entries


def _run_test(child, test, expected, source, stdout_for_public, deadline):
    """(score, output) of one test; every failure of the student process or of its reply is a 0."""
    try:
        reply = child.call(test.probe, test.args, test.seed, deadline)
    except ChildTimeout as err:
        return 0, f"TIMED OUT: {err}"
    except ChildDied as err:
        return 0, f"CRASHED: {err}"
    if not reply.get("ok"):
        kind = reply.get("kind")
        label = {"not_implemented": "NOT IMPLEMENTED", "exit": "EXITED", "memory": "OUT OF MEMORY"}.get(kind, "ERROR")
        return 0, f"{label}: {str(reply.get('error'))[:1500]}"
    try:
        actual = codec.decode(reply.get("value"))
        problem = compare(expected, actual, test.rtol, test.atol, {k: tuple(v) for k, v in test.tol.items()})
    except codec.ProtocolError as err:
        return 0, f"ERROR: invalid outputs ({err})"
    except Exception as err:  # anything odd in the outputs (huge numbers, wrong types) fails this test only
        return 0, f"FAILED: the outputs could not be compared ({type(err).__name__}: {str(err)[:300]})"
    if problem is None and test.static:
        problem = _static_check(test.static, source)
    if problem is None:
        return test.points, "PASSED"
    out = f"FAILED: {problem}"
    tail = child.output_tail(600).strip() if stdout_for_public and not test.hidden else ""
    if tail:
        out += f"\n--- your code printed (last lines) ---\n{tail}"
    return 0, out


def grade(submission, sandbox=None, reference=None, questions=None, include_hidden=True, timeout=None,
          budget=SUBMISSION_BUDGET_S, isolation="auto"):
    """Grade ``submission`` (zip or folder). Returns the Gradescope results dict.

    ``sandbox`` and ``reference`` may be shared between submissions (batch mode, tests).
    ``budget``: seconds for the whole submission (absolute deadline); ``timeout``: a shorter
    limit per test (tests of the grader itself).
    """
    from .results import build_results
    start = time.time()
    own_sandbox = sandbox is None
    sandbox = sandbox or Sandbox(isolation=isolation)
    deadline = time.monotonic() + budget  # the student's time starts once the sandbox is up
    reference = reference or Reference()
    try:
        try:
            files, listing = read_submission(submission)
        except Exception as err:  # corrupt zip, CRC error, unsupported compression, ...
            files, listing = {}, []
            read_error = f"could not read the submission: {err}"
        else:
            read_error = None
        tests = all_tests(include_hidden)
        if timeout is not None:
            import dataclasses
            tests = [dataclasses.replace(t, timeout=min(t.timeout, timeout)) for t in tests]
        entries, per_question = [], {}
        for q in (questions or list(QUESTIONS)):
            q_tests = [t for t in tests if t.question == q]
            q_entries = _grade_question(sandbox, reference, q, q_tests, files, deadline=deadline)
            if read_error:
                for e in q_entries:
                    e["output"] = f"{read_error}\n{e['output']}"
            entries += q_entries
            per_question[q] = (sum(e["score"] for e in q_entries), sum(e["max_score"] for e in q_entries))
        entries.append(_files_entry(listing))
        results = build_results(entries, per_question, time.time() - start, sandbox.describe(),
                                {q: reference.source(q) for q in per_question})
        results.setdefault("extra_data", {})["isolation"] = sandbox.isolation_report()
        return results
    finally:
        if own_sandbox:
            sandbox.close()


def _files_entry(listing):
    """0-point note: which files of the submission zip are missing (artifacts are graded by hand)."""
    from eecs598.submit import SUBMISSION_FILES
    missing = [f for f in SUBMISSION_FILES if f not in listing]
    out = ("All submission files are present." if not missing else
           "Missing from the submission (not autograded; the notebooks' results are checked by hand):\n  "
           + "\n  ".join(missing))
    return {"name": "Submission files (information, no points)", "score": 0.0, "max_score": 0.0,
            "output": out, "visibility": "visible", "tags": ["files"]}
