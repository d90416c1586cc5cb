"""The Gradescope autograder zip, end to end: built once, unpacked into a temporary ``/autograder``
root, ``setup.sh`` run (installs skipped: the packages are present), then ``run_autograder`` on a
correct, an empty, a partial and a hostile submission, each ``results.json`` checked against
Gradescope's documented format (https://gradescope-autograders.readthedocs.io/en/latest/specs/,
written out below, independently of ``eecs598.grading.results.validate``).

One zip, one setup and four runs (about 50 s of CPU in all); the correct submission is graded in
full, the others only cost what they hold.
"""
import hashlib
import json
import math
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
import torch

from eecs598.grading import codec
from eecs598.grading.autograder import EXPECTED, build
from eecs598.grading import grade as grade_mod
from eecs598.grading.grade import Reference
from eecs598.grading.questions import QUESTIONS, all_tests, hidden_available
from eecs598.release import strip_regions

REPO_ROOT = Path(__file__).resolve().parents[1]
MARKER = "# BEGIN " + "SOLUTION"
MODULES = sorted({m for _, m, _ in QUESTIONS.values()})
IS_ROOT = os.geteuid() == 0

# ----------------------------------------------------------------- Gradescope's format, from its docs
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
            "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
             "tags", "visibility", "extra_data"}


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def gradescope_problems(text):
    """Problems of a results.json text against the documented format plus what this project
    promises (score on every test, execution_time and stdout_visibility given, no leaderboard)."""
    def no_constants(name):
        raise ValueError(f"{name} is not JSON")
    try:
        doc = json.loads(text, parse_constant=no_constants)
    except ValueError as err:
        return [f"not strict JSON: {err}"]
    if not isinstance(doc, dict):
        return ["top level is not an object"]
    bad = [f"unknown top-level key {k!r}" for k in doc if k not in TOP_KEYS]
    if "leaderboard" in doc:
        bad.append("leaderboard present")
    for key in ("score", "execution_time"):
        if not _number(doc.get(key)) or doc[key] < 0:
            bad.append(f"{key} missing or not a non-negative number")
    for key in ("visibility", "stdout_visibility"):
        if key in doc and doc[key] not in VISIBILITY:
            bad.append(f"{key} {doc[key]!r} not one of {sorted(VISIBILITY)}")
    if "stdout_visibility" not in doc:
        bad.append("stdout_visibility missing")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in doc and doc[key] not in FORMATS:
            bad.append(f"{key} invalid")
    if "output" in doc and not isinstance(doc["output"], str):
        bad.append("output is not a string")
    if "extra_data" in doc and not isinstance(doc["extra_data"], dict):
        bad.append("extra_data is not an object")
    tests = doc.get("tests")
    if not isinstance(tests, list):
        return bad + ["tests missing"]
    for i, t in enumerate(tests):
        if not isinstance(t, dict):
            bad.append(f"tests[{i}] is not an object")
            continue
        bad += [f"tests[{i}]: unknown key {k!r}" for k in t if k not in TEST_KEYS]
        if not isinstance(t.get("name"), str) or not t["name"]:
            bad.append(f"tests[{i}]: name missing")
        for key in ("score", "max_score"):
            if not _number(t.get(key)) or t[key] < 0:
                bad.append(f"tests[{i}]: {key} missing or not a non-negative number")
        if t.get("visibility", "visible") not in VISIBILITY:
            bad.append(f"tests[{i}]: visibility {t.get('visibility')!r}")
        if not isinstance(t.get("output", ""), str):
            bad.append(f"tests[{i}]: output is not a string")
        if "status" in t and t["status"] not in ("passed", "failed"):
            bad.append(f"tests[{i}]: status {t['status']!r}")
        if "tags" in t and not (isinstance(t["tags"], list) and all(isinstance(x, str) for x in t["tags"])):
            bad.append(f"tests[{i}]: tags must be a list of strings")
        if "number" in t and not isinstance(t["number"], str):
            bad.append(f"tests[{i}]: number must be a string")
    if not bad and abs(doc["score"] - sum(t["score"] for t in tests)) > 1e-6:
        bad.append("score is not the sum of the tests' scores")
    return bad


def test_the_format_check_catches_what_gradescope_would_reject():
    good = {"score": 1.0, "execution_time": 3, "stdout_visibility": "hidden",
            "tests": [{"name": "a", "score": 1.0, "max_score": 2.0, "output": "", "visibility": "visible"}]}
    assert gradescope_problems(json.dumps(good)) == []
    broken = [dict(good, leaderboard=[{"name": "x", "value": 1}]), dict(good, score=float("nan")),
              {k: v for k, v in good.items() if k != "execution_time"}, dict(good, max_score=2),
              {k: v for k, v in good.items() if k != "stdout_visibility"}, dict(good, visibility="soon"),
              dict(good, tests=[{"name": "a", "score": 1.0, "max_score": 2.0, "visibility": "later"}]),
              dict(good, tests=[{"name": "a", "score": 1.0}]), dict(good, score=2.0)]
    for doc in broken:
        assert gradescope_problems(json.dumps(doc, allow_nan=True)), doc


# ------------------------------------------------------------------------------- the shared zip
def _has_solutions():
    return hidden_available() and all(MARKER in (REPO_ROOT / f"{m}.py").read_text() for m in MODULES)


pytestmark = pytest.mark.skipif(not _has_solutions(), reason="needs the solutions and hidden tests")


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("autograder") / "autograder.zip"
    build(out, verbose=False)
    return out


def _digest(folder):
    h = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return h.hexdigest()


def _env(root, **extra):
    env = dict(os.environ, EECS598_AUTOGRADER_ROOT=str(root), EECS598_PYTHON=sys.executable,
               EECS598_INSTALL="auto", EECS598_SANDBOX_USER="")  # no user added to this machine
    env.pop("EECS598_ISOLATION", None)
    env.update(extra)
    return env


def _solution(module):
    return (REPO_ROOT / f"{module}.py").read_text()


def _stub(module):
    return strip_regions(_solution(module), module)[0]


HOSTILE_STYLE = '''
# ---- hostile: look for the expected values and the grader's files; report what it saw ----
import os as _os
def _look(path):
    try:
        if _os.path.isdir(path):
            return "LISTED " + ",".join(_os.listdir(path))
        with open(path, "rb") as _f:
            return "READ " + repr(_f.read(60))
    except OSError as _e:
        return "DENIED " + type(_e).__name__
_SEEN = " | ".join(_look(p) for p in {paths!r})
def tv_loss(img, tv_weight):
    raise RuntimeError("SNOOP " + _SEEN)
'''

HOSTILE_GAN = '''
# ---- hostile: forge results.json (now and from a lingering child), print it, kill the parent, exit ----
import json as _json, os as _os, signal as _signal, sys as _sys, time as _time
_FAKE = _json.dumps({{"score": 999, "tests": [{{"name": "FORGED", "score": 999, "max_score": 999}}]}})
print(_FAKE, flush=True)
def _forge():
    for _p in ({results!r}, {results!r} + ".new", {source!r} + "/FORGED"):
        try:
            with open(_p, "w") as _f:
                _f.write(_FAKE)
        except OSError:
            pass
_forge()
try:
    _os.kill(_os.getppid(), _signal.SIGKILL)
except OSError:
    pass
if _os.fork() == 0:
    for _ in range(60):
        _forge()
        _time.sleep(0.05)
    _os._exit(0)
def discriminator_loss(logits_real, logits_fake):
    print(_FAKE, flush=True)
    _os._exit(0)
def generator_loss(logits_fake):
    _sys.exit(0)
'''


@pytest.fixture(scope="module")
def gradescope(autograder_zip):
    """Unpack into a fresh root (as Gradescope does), run setup.sh once, then run_autograder on the
    four submissions in turn; yields {name: (results text, run output)} and the root's facts."""
    root = Path(tempfile.mkdtemp(prefix="eecs598-gradescope-"))
    os.chmod(root, 0o755)  # like /autograder: only the autograder's own permissions keep secrets
    try:
        source = root / "source"
        with zipfile.ZipFile(autograder_zip) as zf:
            zf.extractall(source)
        shutil.copy(source / "run_autograder", root / "run_autograder")
        os.chmod(root / "run_autograder", 0o755)
        t0 = time.monotonic()
        setup = subprocess.run(["bash", str(source / "setup.sh")], env=_env(root), capture_output=True,
                               text=True, timeout=300)
        seconds = {"setup": time.monotonic() - t0}
        assert setup.returncode == 0, setup.stdout + setup.stderr
        facts = {"setup": setup.stdout + setup.stderr, "root": root,
                 "modes": {p.relative_to(root).as_posix(): stat.S_IMODE(p.stat().st_mode)
                           for p in [source, source / EXPECTED, source / "repo"]},
                 "readable_by_nobody": _readable_by_nobody(source / EXPECTED),
                 "source_digest": _digest(source)}
        results_path = root / "results" / "results.json"
        partial_zip = root / "partial.zip"
        with zipfile.ZipFile(partial_zip, "w") as zf:  # a student who zipped a folder
            zf.writestr("my_a4/network_visualization.py", _solution("network_visualization"))
            zf.writestr("my_a4/style_transfer.py", _stub("style_transfer"))
        submissions = {
            "correct": {f"{m}.py": _solution(m) for m in MODULES},
            "empty": {},
            "partial": {"student_A4.zip": partial_zip.read_bytes()},
            "hostile": {
                "style_transfer.py": _solution("style_transfer") + HOSTILE_STYLE.format(
                    paths=[str(source / EXPECTED), str(source), str(source / "repo/eecs598/grading/grade.py")]),
                "generative_adversarial_networks.py": _solution("generative_adversarial_networks")
                + HOSTILE_GAN.format(results=str(results_path), source=str(source))},
        }
        runs = {}
        for name, files in submissions.items():
            sub = root / "submission"
            shutil.rmtree(sub, ignore_errors=True)
            sub.mkdir()
            for fname, data in files.items():
                (sub / fname).write_bytes(data if isinstance(data, bytes) else data.encode())
            results_path.unlink(missing_ok=True)
            # Gradescope's containers rarely allow namespaces: the hostile one runs in weak mode
            extra = {"EECS598_ISOLATION": "weak"} if name == "hostile" else {}
            t0 = time.monotonic()
            proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=_env(root, **extra),
                                  capture_output=True, text=True, timeout=600)
            seconds[name] = time.monotonic() - t0
            runs[name] = (results_path.read_text(), proc.stdout + proc.stderr)
        print("seconds:", {k: round(v, 1) for k, v in seconds.items()}, file=sys.stderr)
        facts["results_dir"] = sorted(os.listdir(root / "results"))
        facts["source_digest_after"] = _digest(source)
        yield runs, facts
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _readable_by_nobody(path):
    if not IS_ROOT:
        return None
    probe = subprocess.run(["cat", str(path)], user=65534, group=65534, extra_groups=[], capture_output=True)
    return probe.returncode == 0


def _results(runs, name):
    text, log = runs[name]
    problems = gradescope_problems(text)
    assert not problems, f"{name}: {problems}\n{log[-3000:]}"
    return json.loads(text)


def _by_question(results):
    out = {}
    for t in results["tests"]:
        q = (t.get("tags") or [None])[0]
        if q in QUESTIONS:
            s, m = out.get(q, (0.0, 0.0))
            out[q] = (s + t["score"], m + t["max_score"])
    return out


# ----------------------------------------------------------------------------------- the zip
def test_zip_holds_the_scripts_and_no_solution(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        names = zf.namelist()
        texts = {n: zf.read(n).decode("utf-8") for n in names}
    assert {"setup.sh", "run_autograder", "requirements.txt", EXPECTED} <= set(names)
    assert not any(n.endswith(("hidden.py", "mistakes.py")) for n in names)
    assert not any(n == f"repo/{m}.py" for n in names for m in MODULES)  # the grader needs no student module
    # every distinctive line of the solution regions is absent from the grader's files
    secret_lines = set()
    for m in MODULES:
        stub, removed = strip_regions(_solution(m), m)
        kept = {l.strip() for l in stub.splitlines()}
        secret_lines |= {l.strip() for l in removed if len(l.strip()) >= 25 and l.strip() not in kept}
    assert len(secret_lines) > 50
    for name, text in texts.items():
        if name == EXPECTED:
            continue
        lines = {l.strip() for l in text.splitlines()}
        assert MARKER not in lines, name
        assert not lines & secret_lines, (name, sorted(lines & secret_lines)[:3])
    # the grading requirements keep the repository's pins
    pins = {l.strip() for l in (REPO_ROOT / "requirements.txt").read_text().splitlines()}
    assert set(texts["requirements.txt"].split()) <= pins and "torch==" in texts["requirements.txt"]


def test_expected_values_cover_public_and_hidden_tests_from_the_build_secret(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as zf:
        stored = json.loads(zf.read(EXPECTED))
    secret = stored["secret"]
    assert isinstance(secret, int)
    fresh = all_tests(include_hidden=True, secret=secret)
    assert [(t.name, t.args, t.seed, t.points) for t in fresh] == \
        [(t["name"], t["args"], t["seed"], t["points"]) for t in stored["tests"]]
    assert fresh != all_tests(include_hidden=True, secret=secret + 1)  # hidden inputs follow the secret
    assert sum(t["hidden"] for t in stored["tests"]) > 40
    assert abs(sum(t["points"] for t in stored["tests"]) - sum(p for _, _, p in QUESTIONS.values())) < 1e-6
    # without solutions or hidden.py, Reference takes tests and outputs from the stored file
    path = tmp_path / "expected.json"
    path.write_text(json.dumps(stored))
    ref, solution = Reference(tmp_path, stored=path), Reference()
    tests = ref.tests()
    assert [grade_mod.test_key(t) for t in tests] == [grade_mod.test_key(t) for t in fresh]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the build and the grader compute: bit for bit
    try:
        for t in [t for t in tests if t.hidden][:5]:
            assert ref.source(t.question) == "stored"
            assert codec.encode(ref.expected(t)) == codec.encode(solution.expected(t))
    finally:
        torch.set_num_threads(threads)


# -------------------------------------------------------------------------------- Gradescope
def test_setup_makes_the_expected_values_root_only(gradescope):
    runs, facts = gradescope
    assert "nothing installed" in facts["setup"], facts["setup"]  # packages present: installs skipped
    if not IS_ROOT:
        pytest.skip("permissions can only be set by root (Gradescope runs setup.sh as root)")
    assert facts["modes"]["source"] == 0o700 and facts["modes"][f"source/{EXPECTED}"] == 0o600
    assert facts["readable_by_nobody"] is False
    assert "root-only" in facts["setup"]


def test_correct_submission_scores_full_marks(gradescope):
    runs, facts = gradescope
    res = _results(runs, "correct")
    graded = [t for t in res["tests"] if t["max_score"] > 0]
    total = sum(p for _, _, p in QUESTIONS.values())
    assert abs(res["score"] - total) < 1e-6, [t["name"] + ": " + t["output"][:200] for t in graded
                                              if t["score"] < t["max_score"]][:5]
    assert all(t["score"] == t["max_score"] for t in graded)
    assert {t["visibility"] for t in graded if "(hidden)" in t["name"]} == {"after_published"}
    assert {t["visibility"] for t in graded if "(hidden)" not in t["name"]} == {"visible"}
    assert res["stdout_visibility"] == "hidden"
    level = res["extra_data"]["isolation"]["level"]
    assert ("Isolation: WEAK" in res["output"]) == (level == "weak")


def test_empty_submission_scores_zero(gradescope):
    runs, facts = gradescope
    res = _results(runs, "empty")
    assert res["score"] == 0
    assert all(t["output"].startswith("MISSING FILE") for t in res["tests"] if t["max_score"] > 0)


def test_partial_submission_earns_exactly_its_questions(gradescope):
    runs, facts = gradescope
    full, part = _by_question(_results(runs, "correct")), _by_question(_results(runs, "partial"))
    for q, (score, max_score) in part.items():
        assert max_score == full[q][1]
        if q in ("Q3", "Q3X"):  # network_visualization.py: the solution
            assert score == full[q][0] == max_score
        else:  # style_transfer.py: the released stubs; the other modules: missing
            assert score == 0, q
    stub_outputs = [t["output"] for t in _results(runs, "partial")["tests"]
                    if t["max_score"] > 0 and t["tags"][0] == "Q4"]
    assert not any(o.startswith("MISSING FILE") for o in stub_outputs)  # the zip's module was found


def test_hostile_submission_cannot_read_secrets_or_forge_its_score(gradescope):
    runs, facts = gradescope
    res = _results(runs, "hostile")
    text, log = runs["hostile"]
    assert "FORGED" not in text
    # exactly the tests of the replaced functions are lost: grading went on after the exits
    lost = {"tv_loss", "discriminator_loss", "generator_loss"}
    graded = [q for q, (_, m, _) in QUESTIONS.items() if m in ("style_transfer", "generative_adversarial_networks")]
    keep = sum(t.points for t in all_tests(secret=0) if t.question in graded and not lost & set(t.uses))
    assert abs(res["score"] - keep) < 1e-6, [(t["name"], t["output"][:150]) for t in res["tests"]
                                             if t["score"] < t["max_score"]]
    tests = {t["name"]: t for t in res["tests"]}
    exits = [t for n, t in tests.items() if n.startswith(("GAN discriminator_loss", "GAN generator_loss"))]
    assert exits and all(t["score"] == 0 and t["output"].startswith(("EXITED", "CRASHED")) for t in exits)
    assert res["extra_data"]["isolation"]["level"] == "weak" and "Isolation: WEAK" in res["output"]
    snoops = [t["output"] for n, t in tests.items() if n.startswith("Q4 tv_loss")]
    assert snoops and all("SNOOP" in o for o in snoops)
    if not IS_ROOT:
        pytest.skip("without root the sandbox runs as the grader's own user, who can read the files")
    assert facts["results_dir"] == ["results.json"]  # nothing else was written beside it
    assert facts["source_digest_after"] == facts["source_digest"]
    for out in snoops:
        assert out.count("DENIED") == 3 and "READ " not in out and "LISTED " not in out, out
    assert res["extra_data"]["isolation"]["expected_values_readable_by_others"] is False


# ------------------------------------------------------------------------------ cheap unit checks
def test_submission_is_found_where_students_put_it(tmp_path):
    from eecs598.grading.autograder import locate_submission
    flat, nested, zipped, none = (tmp_path / n for n in ("flat", "nested", "zipped", "none"))
    (flat / "x").mkdir(parents=True)
    (flat / "style_transfer.py").write_text("")
    (nested / "a" / "my_a4").mkdir(parents=True)
    (nested / "a" / "my_a4" / "style_transfer.py").write_text("")
    zipped.mkdir()
    with zipfile.ZipFile(zipped / "me_A4.zip", "w") as zf:
        zf.writestr("style_transfer.py", "")
    none.mkdir()
    (none / "notes.txt").write_text("")
    assert locate_submission(flat) == flat
    assert locate_submission(nested) == nested / "a" / "my_a4"
    assert locate_submission(zipped) == zipped / "me_A4.zip"
    assert locate_submission(none) == none


def test_a_broken_autograder_still_writes_a_valid_results_json(tmp_path):
    from eecs598.grading.autograder import run
    root = tmp_path / "autograder"
    (root / "source" / "secret").mkdir(parents=True)
    (root / "source" / EXPECTED).write_text("{not json")
    (root / "submission").mkdir()
    run(root, verbose=False)
    text = (root / "results" / "results.json").read_text()
    assert gradescope_problems(text) == []
    doc = json.loads(text)
    assert doc["score"] == 0 and "JSONDecodeError" in doc["tests"][0]["output"]
