"""The autograder: full marks for the solutions, exact point losses for buggy submissions, and
correct grades (no hang, no crash, grader untouched) for submissions that misbehave.

Every submission is built in a tmp dir from the repository's solution modules, by appending code
that redefines a function (robust to how the solution is written) or by text substitution.
One sandbox and one reference are shared by the whole file; the solutions are graded once.
"""
import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest
import torch

from eecs598.grading import results as results_mod
from eecs598.grading.grade import Reference, grade
from eecs598.grading.questions import QUESTIONS, all_tests
from eecs598.grading.sandbox import REPO_ROOT, Sandbox

MARKER = "# BEGIN " + "SOLUTION"
MODULES = {q: m for q, (_, m, _) in QUESTIONS.items()}
TIMEOUT = 6.0  # per-test limit used here, so the hanging cases stay quick


def _has_solution(question):
    path = REPO_ROOT / f"{MODULES[question]}.py"
    return path.exists() and MARKER in path.read_text()


def need(*questions):
    missing = [q for q in questions if not _has_solution(q)]
    if missing:
        pytest.skip(f"solution module(s) not in the repository yet: {', '.join(MODULES[q] + '.py' for q in missing)}")


def _repo_digest():
    h = hashlib.sha256()
    for path in sorted(list(REPO_ROOT.glob("*.py")) + list((REPO_ROOT / "eecs598").rglob("*.py"))):
        h.update(str(path).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def digest_before():
    return _repo_digest()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, digest_before):
    with Sandbox(hide=[tmp_path_factory.getbasetemp()]) as box:
        yield box


@pytest.fixture(scope="module")
def reference():
    return Reference()


def make_submission(folder, append=None, replace=None, drop=()):
    """Copy the solution modules into ``folder``; ``append``/``replace``: {module: text / [(old, new)]}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for question, module in MODULES.items():
        if module in drop or not (REPO_ROOT / f"{module}.py").exists():
            continue
        text = (REPO_ROOT / f"{module}.py").read_text()
        for old, new in (replace or {}).get(module, []):
            if old not in text:
                pytest.skip(f"{module}.py no longer contains {old!r}; update this test")
            text = text.replace(old, new)
        if append and module in append:
            text += "\n\n# ---- added by the test ----\n" + append[module]
        (folder / f"{module}.py").write_text(text)
    return folder


def by_name(results):
    return {t["name"]: t for t in results["tests"] if t["max_score"] > 0}


def run(path, sandbox, reference, questions):
    res = grade(path, sandbox, reference, questions)
    results_mod.validate(res)
    return res


def expected_losses(question, function):
    return {f"{t.question} {t.name}" for t in all_tests() if t.question == question and function in t.uses}


def own_tests(question, function):
    return {f"{t.question} {t.name}" for t in all_tests() if t.question == question and t.uses[0] == function}


@pytest.fixture(scope="module")
def solution_results(tmp_path_factory, sandbox, reference):
    present = [q for q in QUESTIONS if _has_solution(q)]
    if not present:
        pytest.skip("no solution module in the repository yet")
    folder = make_submission(tmp_path_factory.mktemp("solutions"))
    return run(folder, sandbox, reference, present), present


# ------------------------------------------------------------------------------ full marks
def test_solutions_score_full_marks(solution_results):
    res, present = solution_results
    per_q = res["extra_data"]["per_question"]
    failed = [f"{t['name']}: {t['output'][:200]}" for t in res["tests"] if t["score"] < t["max_score"]]
    assert not failed, "\n".join(failed)
    for q in present:
        assert per_q[q]["score"] == per_q[q]["max_score"] == QUESTIONS[q][2]


def test_points_per_question_match_the_original():
    totals = {q: sum(t.points for t in all_tests() if t.question == q) for q in QUESTIONS}
    assert totals == {"Q1": 30, "Q2": 40, "Q3": 15, "Q4": 15, "GAN": 15}
    assert any(t.hidden for t in all_tests()) and any(not t.hidden for t in all_tests())


def test_results_json_format(solution_results, tmp_path):
    res, _ = solution_results
    results_mod.validate(res)
    out = results_mod.write_results(res, tmp_path / "results.json")
    loaded = json.loads(out.read_text())
    assert loaded["score"] == sum(t["score"] for t in loaded["tests"])
    for t in loaded["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output", "visibility"}
        assert t["visibility"] in ("visible", "after_published")
    bad = dict(res, tests=[dict(res["tests"][0], score=res["tests"][0]["max_score"] + 1)])
    with pytest.raises(ValueError):
        results_mod.validate(bad)
    with pytest.raises(ValueError):
        results_mod.validate(dict(res, visibility="everyone"))


def test_same_submission_same_score(solution_results, tmp_path, sandbox, reference):
    need("Q3", "Q4")
    res, _ = solution_results
    again = run(make_submission(tmp_path), sandbox, reference, ["Q3", "Q4"])
    first = {n: (t["score"], t["output"]) for n, t in by_name(res).items() if n.split()[0] in ("Q3", "Q4")}
    second = {n: (t["score"], t["output"]) for n, t in by_name(again).items()}
    assert first == second


# ---------------------------------------------------------------------- buggy submissions
BUGS = {
    "wrong LSTM gate order (i and f swapped)": ("Q2", "lstm_step_forward", {"rnn_lstm_attention_captioning": """
_graded_lstm_step = lstm_step_forward
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b, attn=None, Wattn=None):
    H = prev_h.shape[1]
    perm = torch.cat([torch.arange(H, 2 * H), torch.arange(0, H), torch.arange(2 * H, 4 * H)])
    return _graded_lstm_step(x, prev_h, prev_c, Wx[:, perm], Wh[:, perm], b[perm], attn,
                             None if Wattn is None else Wattn[:, perm])
"""}),
    "missing tanh in rnn_step_forward": ("Q2", "rnn_step_forward", {"rnn_lstm_attention_captioning": """
_graded_rnn_step = rnn_step_forward
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    _, cache = _graded_rnn_step(x, prev_h, Wx, Wh, b)
    return x.mm(Wx) + prev_h.mm(Wh) + b, cache
"""}),
    "off-by-one in time in rnn_forward": ("Q2", "rnn_forward", {"rnn_lstm_attention_captioning": """
_graded_rnn_forward = rnn_forward
def rnn_forward(x, h0, Wx, Wh, b):
    h, cache = _graded_rnn_forward(x, h0, Wx, Wh, b)
    return torch.cat([h0.unsqueeze(1), h[:, :-1]], dim=1), cache   # stores h_{t-1} at time t
"""}),
    "gram_matrix divides by H*W instead of H*W*C": ("Q4", "gram_matrix", {"style_transfer": """
_graded_gram = gram_matrix
def gram_matrix(features, normalize=True):
    G = _graded_gram(features, normalize)
    return G * features.shape[1] if normalize else G
"""}),
    "saliency without abs": ("Q3", "compute_saliency_maps", {"network_visualization": """
_graded_saliency = compute_saliency_maps
def compute_saliency_maps(X, y, model):
    _graded_saliency(X, y, model)
    return X.grad.data.max(dim=1)[0]
"""}),
    "discriminator_loss with swapped labels": ("GAN", "discriminator_loss", {"generative_adversarial_networks": """
_graded_d_loss = discriminator_loss
def discriminator_loss(logits_real, logits_fake):
    return _graded_d_loss(logits_fake, logits_real)
"""}),
    "ResidualBlock without its shortcut": ("Q1", "ResidualBlock", {"pytorch_autograd_and_nn": """
def _no_shortcut(self, x):
    return self.block(x)
ResidualBlock.forward = _no_shortcut
"""}),
}


INSENSITIVE = {
    "wrong LSTM gate order (i and f swapped)": {"Q2 lstm_step_forward with attention"},
    "gram_matrix divides by H*W instead of H*W*C": {"Q4 gram_matrix normalize=False"},
}


@pytest.mark.parametrize("bug", list(BUGS))
def test_buggy_submission_loses_exactly_the_buggy_part(bug, tmp_path, sandbox, reference):
    question, function, append = BUGS[bug]
    need(question)
    res = run(make_submission(tmp_path, append=append), sandbox, reference, [question])
    lost = {n for n, t in by_name(res).items() if t["score"] < t["max_score"]}
    allowed = expected_losses(question, function)
    assert lost <= allowed, f"lost points outside {function}: {sorted(lost - allowed)}"
    # tests on which the bug cannot show: the spec's attention-step inputs saturate the i and f
    # gates (both ~1), and normalize=False bypasses a normalisation bug
    insensitive = INSENSITIVE.get(bug, set())
    assert own_tests(question, function) - insensitive <= lost, f"a test of {function} passed despite the bug"
    for name in lost:
        assert by_name(res)[name]["output"].startswith("FAILED"), by_name(res)[name]["output"]


# ------------------------------------------------------------------ misbehaving submissions
def _score(res, question):
    return res["extra_data"]["per_question"][question]["score"]


def test_syntax_error(tmp_path, sandbox, reference):
    need("Q4", "GAN")
    folder = make_submission(tmp_path, append={"style_transfer": "def broken(:\n    pass\n"})
    res = run(folder, sandbox, reference, ["Q4", "GAN"])
    assert _score(res, "Q4") == 0 and _score(res, "GAN") == 15
    assert all("SyntaxError" in t["output"] for n, t in by_name(res).items() if n.startswith("Q4"))


def test_raise_at_import(tmp_path, sandbox, reference):
    need("Q4", "GAN")
    folder = make_submission(tmp_path, append={"style_transfer": "raise RuntimeError('boom at import')\n"})
    res = run(folder, sandbox, reference, ["Q4", "GAN"])
    assert _score(res, "Q4") == 0 and _score(res, "GAN") == 15
    assert all("boom at import" in t["output"] for n, t in by_name(res).items() if n.startswith("Q4"))


def test_infinite_loop_costs_only_that_function(tmp_path, sandbox, reference):
    need("Q4")
    folder = make_submission(tmp_path, append={"style_transfer": "def tv_loss(img, tv_weight):\n    while True:\n        pass\n"})
    res = grade(folder, sandbox, reference, ["Q4"], timeout=TIMEOUT)
    lost = {n for n, t in by_name(res).items() if t["score"] < t["max_score"]}
    assert lost == own_tests("Q4", "tv_loss")
    # after two time-outs of a function its remaining tests are not run (no re-spawn for them)
    assert all(by_name(res)[n]["output"].startswith(("TIMED OUT", "NOT RUN")) for n in lost)


def test_unbounded_memory(tmp_path, sandbox, reference):
    need("Q4")
    hog = ("def gram_matrix(features, normalize=True):\n    hog = []\n    while True:\n"
           "        hog.append(bytearray(256 * 2 ** 20))\n")
    res = run(make_submission(tmp_path, append={"style_transfer": hog}), sandbox, reference, ["Q4"])
    lost = {n for n, t in by_name(res).items() if t["score"] < t["max_score"]}
    assert own_tests("Q4", "gram_matrix") <= lost <= expected_losses("Q4", "gram_matrix")
    assert all("OUT OF MEMORY" in by_name(res)[n]["output"] or "CRASHED" in by_name(res)[n]["output"] for n in lost)


def test_sys_exit_and_os_exit(tmp_path, sandbox, reference):
    need("Q4")
    code = ("import os as _os, sys as _sys\n"
            "def content_loss(content_weight, content_current, content_original):\n    _sys.exit(0)\n"
            "def tv_loss(img, tv_weight):\n    _os._exit(0)\n")
    res = run(make_submission(tmp_path, append={"style_transfer": code}), sandbox, reference, ["Q4"])
    lost = {n for n, t in by_name(res).items() if t["score"] < t["max_score"]}
    assert lost == own_tests("Q4", "content_loss") | own_tests("Q4", "tv_loss")
    outs = by_name(res)
    assert all(outs[n]["output"].startswith("EXITED") for n in own_tests("Q4", "content_loss"))
    assert all(outs[n]["output"].startswith("CRASHED") for n in own_tests("Q4", "tv_loss"))


def test_sys_exit_at_import(tmp_path, sandbox, reference):
    need("GAN")
    res = run(make_submission(tmp_path, append={"generative_adversarial_networks": "import sys\nsys.exit(0)\n"}),
              sandbox, reference, ["GAN"])
    assert _score(res, "GAN") == 0
    assert all("sys.exit" in t["output"] for t in by_name(res).values())


def test_monkeypatching_torch_does_not_help(tmp_path, sandbox, reference):
    need("Q4")
    code = """
import numpy as _np
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda self, other: True
_np.allclose = lambda *a, **k: True
def gram_matrix(features, normalize=True):
    N, C = features.shape[:2]
    return torch.zeros(N, C, C, dtype=features.dtype)
"""
    res = run(make_submission(tmp_path, append={"style_transfer": code}), sandbox, reference, ["Q4"])
    lost = {n for n, t in by_name(res).items() if t["score"] < t["max_score"]}
    assert own_tests("Q4", "gram_matrix") <= lost <= expected_losses("Q4", "gram_matrix")
    assert not torch.allclose(torch.zeros(1), torch.ones(1))  # the grader's torch is untouched


def test_fake_results_and_forged_messages(tmp_path, sandbox, reference):
    need("Q4", "GAN")
    out = tmp_path / "out" / "results.json"
    out.parent.mkdir()
    fake = json.dumps({"score": 115, "tests": [{"name": "all", "score": 115, "max_score": 115}]})
    code = f"""
import json as _json, os as _os
print({fake!r})
for _p in ["results.json", "../results.json", {str(out)!r}, "/autograder/results/results.json"]:
    try:
        with open(_p, "w") as _f:
            _f.write({fake!r})
    except OSError:
        pass
def tv_loss(img, tv_weight):
    print({fake!r})
    return img.sum() * 0
"""
    res = run(make_submission(tmp_path / "sub", append={"style_transfer": code}), sandbox, reference, ["Q4", "GAN"])
    results_mod.write_results(res, out)
    written = json.loads(out.read_text())
    assert written["score"] == res["score"] == 15 + 15 - sum(
        t.points for t in all_tests() if t.question == "Q4" and t.uses[0] == "tv_loss")
    # forged frames written straight onto every open descriptor, at import: that question's
    # replies become garbage and it scores 0 -- nothing more, nothing less
    forge = ("import os as _os, struct as _st\n_msg = b'{\"type\": \"imported\", \"ok\": true}'\n"
             "for _fd in range(3, 64):\n    try:\n        _os.write(_fd, _st.pack('!I', len(_msg)) + _msg)\n"
             "    except OSError:\n        pass\n")
    res2 = run(make_submission(tmp_path / "sub2", append={"generative_adversarial_networks": forge}),
               sandbox, reference, ["GAN", "Q4"])
    assert _score(res2, "Q4") == 15
    assert _score(res2, "GAN") <= 15


def test_deleting_and_editing_files_around_it(tmp_path, sandbox, reference, digest_before):
    need("Q4")
    if sandbox.report.get("uid") == os.geteuid():
        # without root the child runs as this user and COULD delete the repository: never try it
        pytest.skip("write protection needs the unprivileged sandbox uid (grade as root)")
    sub = tmp_path / "sub"
    targets = [str(REPO_ROOT / "style_transfer.py"), str(REPO_ROOT / "eecs598" / "grading" / "hidden.py"),
               str(REPO_ROOT / "eecs598" / "grading" / "grade.py"), str(sub / "style_transfer.py")]
    code = f"""
import os as _os, shutil as _sh
import eecs598 as _pkg
for _p in {targets!r} + [_os.path.join(_os.path.dirname(_pkg.__file__), "grading", "probes.py")]:
    try:
        _os.remove(_p)
    except OSError:
        pass
    try:
        with open(_p, "w") as _f:
            _f.write("hacked")
    except OSError:
        pass
for _d in [_os.getcwd(), {str(REPO_ROOT)!r}, {str(sub)!r}]:
    _sh.rmtree(_d, ignore_errors=True)
"""
    folder = make_submission(sub, append={"style_transfer": code})
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    res = run(folder, sandbox, reference, ["Q4", "GAN"])
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert _repo_digest() == digest_before
    assert res["score"] == 30  # its own (correct) functions still earn their points


def test_cannot_read_solutions_or_hidden_tests(tmp_path, sandbox, reference):
    need("Q4")
    if not sandbox.report.get("hidden"):
        pytest.skip("the repository can be hidden only when grading as root (mount namespace)")
    code = f"""
def gram_matrix(features, normalize=True):
    for _p in [{str(REPO_ROOT / 'style_transfer.py')!r}, {str(REPO_ROOT / 'eecs598' / 'grading' / 'hidden.py')!r}]:
        try:
            open(_p).read()
            return features.new_zeros(1)   # readable: would be a leak
        except OSError:
            pass
    return None
"""
    res = run(make_submission(tmp_path, append={"style_transfer": code}), sandbox, reference, ["Q4"])
    outs = by_name(res)
    assert all(outs[n]["output"].startswith("NOT IMPLEMENTED") for n in own_tests("Q4", "gram_matrix"))


def test_missing_files(tmp_path, sandbox, reference):
    need("Q4", "GAN")
    folder = make_submission(tmp_path / "sub", drop=("style_transfer",))
    zpath = tmp_path / "someone_12345678_A4.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in folder.iterdir():
            zf.write(p, p.name)
        zf.writestr("../../evil.py", "print('zip slip')")
    for sub in (folder, zpath):
        res = run(sub, sandbox, reference, ["Q4", "GAN"])
        assert _score(res, "Q4") == 0 and _score(res, "GAN") == 15
        assert all(t["output"].startswith("MISSING FILE") for n, t in by_name(res).items() if n.startswith("Q4"))
        files = [t for t in res["tests"] if t["max_score"] == 0][0]
        assert "style_transfer.py" in files["output"]
    assert not (tmp_path.parent / "evil.py").exists()


def test_cli_grade_and_batch(tmp_path, sandbox, reference, capsys):
    need("GAN")
    from eecs598.__main__ import main
    good = make_submission(tmp_path / "batch" / "alice", drop=[m for q, m in MODULES.items() if q != "GAN"])
    make_submission(tmp_path / "batch" / "bob", drop=[m for q, m in MODULES.items() if q != "GAN"],
                    append={"generative_adversarial_networks": "raise SystemExit(3)\n"})
    assert main(["grade", str(good), "--questions", "GAN", "--out", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 15
    assert main(["grade", str(tmp_path / "batch"), "--questions", "GAN", "--jobs", "2",
                 "--out-dir", str(tmp_path / "graded")]) == 0
    rows = (tmp_path / "graded" / "scores.csv").read_text().splitlines()
    assert rows[0].startswith("submission,total")
    scores = {r.split(",")[0]: float(r.split(",")[1]) for r in rows[1:]}
    assert scores == {"alice": 15.0, "bob": 0.0}
    assert "TOTAL" in capsys.readouterr().out


def test_zz_grader_state_untouched(digest_before):
    assert _repo_digest() == digest_before
    assert not torch.allclose(torch.zeros(1), torch.ones(1))


def _sleepers(tag):
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if tag.encode() in f.read():
                    found.append(int(entry))
        except (OSError, ValueError):
            pass
    return found


def test_daemonised_leftovers_are_killed(tmp_path, reference):
    need("GAN")
    tag = "%d.%d" % (os.getpid(), 4321)  # unique sleep duration, to find the process again
    code = f"""
import os as _os
if _os.fork() == 0:          # escape the process group: new session, then a grandchild
    _os.setsid()
    if _os.fork() == 0:
        _os.execvp("sleep", ["sleep", {tag!r}])
    _os._exit(0)
"""
    with Sandbox() as box:
        res = run(make_submission(tmp_path, append={"generative_adversarial_networks": code}), box, reference, ["GAN"])
        assert _score(res, "GAN") == 15
        import time
        give_up = time.time() + 3
        while _sleepers(tag) and time.time() < give_up:  # ended with its question, in the background
            time.sleep(0.05)
        assert _sleepers(tag) == [], "the question's processes all end with it"
    assert _sleepers(tag) == []


def test_without_isolation_limits_still_hold(tmp_path, reference):
    """Grading as an ordinary user (no namespaces, no uid drop): a student's own process per
    question, time/memory limits and the private channel still work."""
    need("GAN")
    code = "def generator_loss(logits_fake):\n    while True:\n        pass\n"
    with Sandbox(isolate=False) as box:
        assert "NOT hidden" in box.describe()
        res = grade(make_submission(tmp_path, append={"generative_adversarial_networks": code}), box, reference,
                    ["GAN"], timeout=TIMEOUT)
    lost = {n for n, t in by_name(res).items() if t["score"] < t["max_score"]}
    assert lost == own_tests("GAN", "generator_loss")
