"""Grade one submission: run every test's probe on the student's module in the sandbox, compute
the expected outputs with the trusted reference, compare, and build the Gradescope results.

The reference is the repository's own solution module, loaded here from the repository (never
from the submission), or -- where the solutions are gone -- stored outputs: those of the public
tests in the student release (``public_expected.json``), or, in the Gradescope autograder, a
root-only file that also holds the hidden tests, drawn once from a secret seed when the
autograder was built (:mod:`.autograder`).
"""
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
from .compare import compare, judge  # noqa: F401 -- compare: re-exported for older imports
from .questions import QUESTIONS, all_tests
from .sandbox import REPO_ROOT, ChildDied, ChildTimeout, Sandbox
from .static_checks import static_check

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


STORED_FORMAT = "eecs598-expected/2"  # a stored file that also carries the hidden tests


def load_stored(path):
    """``(expected, tests)`` from a stored-outputs file: ``expected`` maps :func:`test_key` to
    encoded outputs; ``tests`` is the list of tests to grade (public and hidden, with points, the
    hidden ones already drawn from the build's secret), or None for a public-only file (the
    release's ``public_expected.json``: a bare ``{key: outputs}`` mapping)."""
    from .specs import Test
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not (isinstance(data, dict) and data.get("format") == STORED_FORMAT):
        return data, None
    tests = [Test(**t) for t in data["tests"]]
    unknown = sorted({t.question for t in tests} - set(QUESTIONS))
    missing = [t.name for t in tests if test_key(t) not in data["expected"]]
    if unknown or missing:
        raise ValueError(f"{path}: tests of unknown questions {unknown} or without outputs {missing[:5]}")
    return data["expected"], tests


class Reference:
    """Expected outputs: from the solution modules when present, else from stored outputs.

    ``stored``: a stored-outputs file (default: the release's ``public_expected.json`` when
    present). One written by :func:`.autograder.build` also fixes the hidden tests
    (:meth:`tests`), so that grading needs neither ``hidden.py`` nor the solutions.
    """

    def __init__(self, repo_root=REPO_ROOT, stored=None):
        self.repo_root = Path(repo_root)
        self._modules, self._cache, self._public_keys = {}, {}, set()
        self._lock = threading.Lock()
        self._stored, self._stored_tests = None, None
        stored = Path(stored) if stored is not None else STORED_EXPECTED
        if stored.exists():
            self._stored, self._stored_tests = load_stored(stored)

    def tests(self, include_hidden=True):
        """The tests to grade: the stored ones when the stored file fixes the hidden tests,
        otherwise :func:`all_tests` (hidden inputs from a fresh secret)."""
        if include_hidden and self._stored_tests is not None:
            return list(self._stored_tests)
        return all_tests(include_hidden)

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
            if test.hidden and len(self._cache) > 4096:  # hidden inputs change every run
                self._cache = {k: v for k, v in self._cache.items() if k in self._public_keys}
            if not test.hidden:
                self._public_keys.add(key)
            self._cache[key] = encoded
            return codec.decode(encoded)

    def mistakes(self, test):
        """{description of a classic mistake: the output it would give on this test} -- computed
        with the reference solution (instructors' repository only; empty in the release)."""
        if self.source(test.question) != "solution":
            return {}
        try:
            from . import mistakes
        except ImportError:
            return {}
        with self._lock:
            mod = self._module(QUESTIONS[test.question][1])
            return mistakes.outputs(test, mod)


class NoReference(Exception):
    """No expected outputs for a test (hidden test in the student release, or a reference error)."""


def test_key(test):
    """Identity of a test's concrete inputs: probe, arguments and seed (for a hidden test these
    hold this run's secret seeds, so its key changes every run)."""
    blob = json.dumps([test.probe, test.args, test.seed], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


# ----------------------------------------------------------------------------------- grading
def _test_entry(test, score, output):
    from .questions import PARTS
    return {"name": f"{test.question} {test.name}",
            "score": round(float(score), 4), "max_score": round(float(test.points), 4), "output": output,
            "visibility": "after_published" if test.hidden else "visible",
            "tags": [test.question, f"part:{test.part}", PARTS[test.part][0],
                     "hidden" if test.hidden else "public"]}


def _mistakes(reference, test, expected, actual):
    """The known mistakes' outputs, only computed when the test fails (they cost reference runs)."""
    try:
        if compare(expected, actual, test.rtol, test.atol, {k: tuple(v) for k, v in test.tol.items()}) is None:
            return None
        return reference.mistakes(test) if hasattr(reference, "mistakes") else None
    except Exception:  # noqa: BLE001 -- feedback only: never let it cost a grade
        return None


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
            entries.append(_test_entry(test, *_run_test(child, reference, test, expected, source, stdout_for_public,
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


def _run_test(child, reference, test, expected, source, stdout_for_public, deadline):
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
        problem = judge(test, expected, actual, _mistakes(reference, test, expected, actual))
    except codec.ProtocolError as err:
        return 0, f"ERROR: invalid outputs ({err})"
    except Exception as err:  # anything odd in the outputs (huge numbers, wrong types) fails this test only
        return 0, f"FAILED: the outputs could not be compared ({type(err).__name__}: {str(err)[:300]})"
    if problem is None and test.static:
        problem = static_check(test.static, source)
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
        tests = reference.tests(include_hidden) if hasattr(reference, "tests") else all_tests(include_hidden)
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
