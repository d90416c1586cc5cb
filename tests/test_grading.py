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
from eecs598.grading.questions import PARTS, PUBLIC, QUESTIONS, all_tests
from eecs598.grading.sandbox import REPO_ROOT, Sandbox

MARKER = "# BEGIN " + "SOLUTION"
MODULES = {q: m for q, (_, m, _) in QUESTIONS.items()}  # Q3X/Q4X share Q3/Q4's modules
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


def expected_losses(question, function, hidden=True):
    return {f"{t.question} {t.name}" for t in all_tests(hidden) if t.question == question and function in t.uses}


def own_tests(question, function, hidden=True):
    return {f"{t.question} {t.name}" for t in all_tests(hidden) if t.question == question and t.uses[0] == function}


PUBLIC_ONLY = False  # include_hidden=False: the isolation tests below need no twins (each costs a time-out)


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
    totals = {q: round(sum(t.points for t in all_tests() if t.question == q), 6) for q in QUESTIONS}
    assert totals == {"Q1": 30, "Q2": 40, "Q3": 15, "Q4": 15, "GAN": 15, "Q3X": 5, "Q4X": 5}
    assert {q: QUESTIONS[q][2] for q in QUESTIONS} == totals
    assert any(t.hidden for t in all_tests()) and any(not t.hidden for t in all_tests())


# functions of FA2020 A4 (reference_spec.md A.3-A.6); the others are this project's extensions
ORIGINAL_FUNCTIONS = {
    "Q3": {"compute_saliency_maps", "make_adversarial_attack", "class_visualization_step"},
    "Q4": {"content_loss", "gram_matrix", "style_loss", "tv_loss"},
}
EXTENSIONS = {"pgd_attack", "smooth_grad", "grad_cam", "guided_gram_matrix", "guided_style_loss"}


def test_original_questions_earn_points_from_original_functions_only():
    for t in all_tests():
        if t.question in ORIGINAL_FUNCTIONS:
            assert set(t.uses) <= ORIGINAL_FUNCTIONS[t.question], t.name
        if set(t.uses) & EXTENSIONS:
            assert t.part == "EXT" and t.question in PARTS["EXT"][1], t.name
        assert t.part == {"GAN": "GAN", "Q3X": "EXT", "Q4X": "EXT"}.get(t.question, "A4")


def test_every_public_test_has_a_hidden_twin_and_public_points_are_at_most_a_fifth():
    tests = all_tests()
    public = [t for t in tests if not t.hidden]
    twinned = {t.twin_of for t in tests if t.hidden}
    assert [t.name for t in public if t.name not in twinned] == []  # 100 % of public tests twinned
    for q in QUESTIONS:
        pub = sum(t.points for t in public if t.question == q)
        assert pub <= 0.2 * QUESTIONS[q][2] + 1e-9, (q, pub)
    for t in tests:
        if t.hidden:  # same function, other inputs: a twin judges the same behaviour
            twin = next(p for p in public if p.name == t.twin_of)
            assert t.question == twin.question and t.uses[0] == twin.uses[0]
            assert (t.args, t.seed) != (twin.args, twin.seed)


def test_hidden_inputs_come_from_a_secret_per_run_seed():
    first, second = all_tests(), all_tests()
    hidden = [(a, b) for a, b in zip(first, second) if a.hidden]
    assert sum(a.args != b.args or a.seed != b.seed for a, b in hidden) == len(hidden)
    assert [a.args for a in first if not a.hidden] == [b.args for b in second if not b.hidden]
    fixed = all_tests(secret=1234)
    assert [t.args for t in fixed] == [t.args for t in all_tests(secret=1234)]
    # the twins' inputs are random specs, so the secret reaches every one of them
    assert all("seed" in json.dumps(t.args) or t.probe in ("param_summary", "optimizer") for t in fixed if t.hidden)


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
    "gram_matrix divides by H*W instead of H*W*C": {"Q4 gram_matrix normalize=False",
                                                    "Q4 gram_matrix normalize=False (hidden)"},
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
    # gates (both ~1; its hidden twin's moderate inputs do not), and normalize=False bypasses a
    # normalisation bug
    insensitive = INSENSITIVE.get(bug, set())
    assert own_tests(question, function) - insensitive <= lost, f"a test of {function} passed despite the bug"
    for name in lost:
        assert by_name(res)[name]["output"].startswith("FAILED"), by_name(res)[name]["output"]


# ------------------------------------------------------- classic mistakes, named in the feedback
SAMPLE_LSTM = "h, c = self.rnn.step_forward(x, h, c)\n"
CAPTION_WRITE = "captions[:, t] = words"
MISTAKES = {  # name: (question, function, append or None, replace or None, words the feedback must hold)
    "saliency from the cross-entropy loss": ("Q3", "compute_saliency_maps", {"network_visualization": """
def compute_saliency_maps(X, y, model):
    X.requires_grad_()
    torch.nn.functional.cross_entropy(model(X), y).backward()
    return X.grad.data.abs().max(dim=1)[0]
"""}, None, "cross-entropy"),
    "saliency without abs": ("Q3", "compute_saliency_maps", BUGS["saliency without abs"][2], None, "absolute value"),
    "class visualization: L2 not squared": ("Q3", "class_visualization_step", {"network_visualization": """
def class_visualization_step(img, target_y, model, l2_reg=1e-3, learning_rate=25):
    (model(img)[0, target_y] - l2_reg * img.norm()).backward()
    img.data += learning_rate * img.grad.data
    img.grad.zero_()
    return img
"""}, None, "not squared"),
    "class visualization: L2 with the wrong sign": ("Q3", "class_visualization_step", {"network_visualization": """
def class_visualization_step(img, target_y, model, **kwargs):
    l2_reg, learning_rate = kwargs.pop("l2_reg", 1e-3), kwargs.pop("learning_rate", 25)
    (model(img)[0, target_y] + l2_reg * (img ** 2).sum()).backward()
    img.data += learning_rate * img.grad.data / img.grad.data.norm()
    img.grad.zero_()
    return img
"""}, None, "wrong sign"),
    "<START> written into the sampled captions": ("Q2", "CaptioningRNN", None, {"rnn_lstm_attention_captioning": [
        (CAPTION_WRITE, "captions[:, t] = words if t else words.new_full(words.shape, self._start)")]}, "<START>"),
    "Adam where SGD was asked": ("Q1", "initialize_three_layer_conv_part3", {"pytorch_autograd_and_nn": """
_graded_part3 = initialize_three_layer_conv_part3
def initialize_three_layer_conv_part3():
    model, _ = _graded_part3()
    return model, optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
"""}, None, "Adam where SGD"),
    "wrong betas": ("GAN", "get_optimizer", {"generative_adversarial_networks": """
def get_optimizer(model):
    return optim.Adam(model.parameters(), lr=1e-3)
"""}, None, "betas"),
    "non-zero biases": ("Q1", "initialize_three_layer_conv_part2", {"pytorch_autograd_and_nn": """
_graded_part2 = initialize_three_layer_conv_part2
def initialize_three_layer_conv_part2(dtype=torch.float, device='cpu'):
    params = _graded_part2(dtype, device)
    with torch.no_grad():
        for p in params:
            if p.dim() == 1:
                p.fill_(0.01)
    return params
"""}, None, "should start at zero"),
    "LSTM sampler never carries the cell state": ("Q2", "CaptioningRNN", None, {"rnn_lstm_attention_captioning": [
        (SAMPLE_LSTM, SAMPLE_LSTM.replace("h, c =", "h, _ ="))]}, None),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_classic_mistakes_lose_their_tests_and_are_named(name, tmp_path, sandbox, reference):
    question, function, append, replace, words = MISTAKES[name]
    need(question)
    res = run(make_submission(tmp_path, append=append, replace=replace), sandbox, reference, [question])
    lost = {n for n, t in by_name(res).items() if t["score"] < t["max_score"]}
    assert lost and lost <= expected_losses(question, function), sorted(lost)
    if function == "CaptioningRNN":  # a sampling bug: the sampling tests (public and hidden twin) fail
        kind = "lstm" if "LSTM" in name else ""
        assert {n for n in lost if "sample" in n and kind in n} == lost and len(lost) >= 2, sorted(lost)
    else:
        only = "optimizer" if "optimizer" in words or "betas" in words or "SGD" in words else ""
        assert {n for n in own_tests(question, function) if only in n} <= lost
    if words:
        for n in lost:
            assert words in by_name(res)[n]["output"], by_name(res)[n]["output"]


# ------------------------------------------------------ valid idioms the grader used to reject
ACCEPTED = {
    "network_visualization": """
def make_adversarial_attack(X, target_y, model, max_iter=100, verbose=True):
    X_adv = X.clone().requires_grad_()
    for _ in range(max_iter):
        scores = model(X_adv)
        if scores.argmax(dim=1).item() == target_y:
            break
        scores[0, target_y].backward()
        g = X_adv.grad.data
        X_adv.data += 1 * g / (g.norm() + 1e-5)      # an epsilon in the normaliser
        X_adv.grad.zero_()
    return X_adv

def class_visualization_step(img, target_y, model, **kwargs):
    l2_reg, learning_rate = kwargs.pop('l2_reg', 1e-3), kwargs.pop('learning_rate', 25)
    score = model(img)[0, target_y] - l2_reg * torch.sum(img * img)
    score.backward()
    img.data += learning_rate * img.grad.data      # raw (unnormalised) gradient step
    img.grad.data.zero_()
    return img
""",
    "generative_adversarial_networks": """
class Flatten(nn.Module):                      # CS231n's: images only
    def forward(self, x):
        N, C, H, W = x.size()
        return x.view(N, -1)

def sample_noise(batch_size, dim):             # editions without seed=
    return torch.empty(batch_size, dim).uniform_(-1, 1)

def discriminator():
    return nn.Sequential(Flatten(), nn.Linear(784, 256), nn.LeakyReLU(0.01), nn.Linear(256, 256),
                         nn.LeakyReLU(0.01), nn.Linear(256, 1))

_graded_dc = build_dc_classifier
def build_dc_classifier():                     # editions without batch_size
    return _graded_dc(128)
""",
    "pytorch_autograd_and_nn": """
_graded_resnet_init = ResNet.__init__
def _init(self, *args, **kwargs):              # the classifier as a 1x1 convolution
    _graded_resnet_init(self, *args, **kwargs)
    self.fc = nn.Conv2d(self.fc.in_features, self.fc.out_features, kernel_size=1)
def _forward(self, x):
    return self.fc(self.cnn(x).mean(dim=(2, 3), keepdim=True)).flatten(1)
ResNet.__init__, ResNet.forward = _init, _forward
""",
}
STOP_AT_END = [(CAPTION_WRITE, CAPTION_WRITE + """
                if (captions[:, :t + 1] == self._end).any(dim=1).all():
                    break  # every caption has ended: stop early (the rest stays <NULL>)""")]


def test_valid_idioms_get_full_marks(tmp_path, sandbox, reference):
    questions = ["Q1", "Q2", "Q3", "GAN"]
    need(*questions)
    res = run(make_submission(tmp_path, append=ACCEPTED, replace={"rnn_lstm_attention_captioning": STOP_AT_END}),
              sandbox, reference, questions)
    failed = [f"{n}: {t['output'][:300]}" for n, t in by_name(res).items() if t["score"] < t["max_score"]]
    assert not failed, "\n".join(failed)


# ------------------------------------------------------------------------------ no replay
def _shapes(value):
    if isinstance(value, torch.Tensor):
        return ["T"] + list(value.shape)
    if isinstance(value, (list, tuple)):
        return [_shapes(v) for v in value]
    return value if isinstance(value, (int, float, str)) else None


REPLAY = """
import inspect as _inspect
import json as _json
from eecs598.grading import codec as _codec
_TABLE = _json.loads(TABLE)
_shapes = SHAPES

def _replayer(fn):
    def replay(*args, **kwargs):
        rows = _TABLE[fn]
        key = _json.loads(_json.dumps(_shapes(list(args))))
        sig, select, out = next((r for r in rows if r[0] == key), rows[0])
        value = _codec.decode(out)
        if select is None:
            return value
        full = [None] * (max(select) + 1)
        for i, s in enumerate(select):
            full[s] = value[i]
        return tuple(full)
    return replay

for _fn in _TABLE:
    globals()[_fn] = _replayer(_fn)
"""


def test_replaying_the_released_outputs_earns_at_most_a_fifth(tmp_path, sandbox, reference):
    """A stub that answers every public "call" test with its released output (looked up by the
    input shapes, as public_expected.json allows) gets those public points and nothing else."""
    import inspect

    from eecs598.grading import codec, probes
    present = [q for q in QUESTIONS if _has_solution(q)]
    if not present:
        pytest.skip("no solution module in the repository yet")
    tables = {}
    for t in PUBLIC:
        if t.probe != "call" or t.question not in present:
            continue
        out = reference.expected(t)["out"]
        sig = json.loads(json.dumps(_shapes([probes.make(x) for x in t.args["inputs"]])))
        tables.setdefault(MODULES[t.question], {}).setdefault(t.args["fn"], []).append(
            [sig, t.args["select"], codec.encode(out)])
    folder = tmp_path / "replay"
    folder.mkdir()
    helper = inspect.getsource(_shapes).replace("def _shapes", "def _shape_of").replace("_shapes(", "_shape_of(")
    for module, table in tables.items():
        code = REPLAY.replace("TABLE)", repr(json.dumps(table)) + ")").replace("SHAPES", "_shape_of")
        (folder / f"{module}.py").write_text("import torch\n" + helper + code)
    res = run(folder, sandbox, reference, present)
    for q in present:
        got = res["extra_data"]["per_question"][q]
        assert got["score"] <= 0.2 * QUESTIONS[q][2] + 1e-6, (q, got)
        assert got["public_max"] <= 0.2 * QUESTIONS[q][2] + 1e-6
    # the replay itself works: public points earned (not on Q2 and Q4, whose public "call" tests
    # all compare the gradient too, which a replayed constant does not have)
    for q in {"GAN"} & set(present):
        assert res["extra_data"]["per_question"][q]["score"] > 0, q
    assert all(t["score"] == 0 for t in res["tests"] if "hidden" in t.get("tags", []))


# ------------------------------------------------------------------------- comparisons
def test_non_finite_values_fail_scalars_too():
    from eecs598.grading.compare import compare
    nan, inf = float("nan"), float("inf")
    assert compare(1.0, 1.0, 0, 0) is None
    assert "NaN" in compare(1.0, nan, 1e-5, 1e-6) and "NaN" in compare(1.0, inf, 1e-5, 1e3)
    assert compare({"loss": 2.0}, {"loss": nan}, 1.0, 1e9) is not None
    assert compare(torch.ones(3), torch.tensor([1.0, nan, 1.0]), 1.0, 1e9) is not None
    assert compare(torch.tensor([1.0, inf]), torch.tensor([1.0, inf]), 1e-5, 1e-6) is None
    assert compare(nan, nan, 1e-5, 1e-6) is None and compare(inf, -inf, 1e-5, 1e-6) is not None


def test_numbers_compare_as_numbers():
    from eecs598.grading.compare import compare
    assert compare({"momentum": 0, "lr": 0.01}, {"momentum": 0.0, "lr": 0.01}, 1e-5, 1e-8) is None
    assert compare(0, 0.5, 1e-5, 1e-8) is not None and compare(True, 1, 0, 0) is not None
    assert compare(0, float("nan"), 1e-5, 1e-8) is not None


def test_a_comparison_error_fails_the_test_instead_of_crashing():
    from eecs598.grading.compare import judge

    class Weird:
        def __eq__(self, other):
            raise RuntimeError("boom")

        def __ne__(self, other):
            raise RuntimeError("boom")

    test = PUBLIC[0]
    msg = judge(test, {"out": 1}, {"out": Weird()})
    assert msg and "could not be compared" in msg
    assert judge(test, {"out": torch.ones(2)}, {"out": torch.ones(2)}) is None


def test_equivalent_layers_get_equal_weights():
    """fill_params depends on a parameter's role and (out, fan_in): a 1x1 convolution used as a
    linear layer computes exactly what the linear layer computes."""
    from eecs598.grading.probes import fill_params
    linear, conv = fill_params(torch.nn.Linear(7, 5)), fill_params(torch.nn.Conv2d(7, 5, kernel_size=1))
    x = torch.randn(3, 7)
    assert torch.allclose(linear(x), conv(x[:, :, None, None]).flatten(1), atol=1e-6)
    other = fill_params(torch.nn.Linear(5, 7))
    assert not torch.equal(other.weight.t(), linear.weight)  # another layer gets other values


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
    res = grade(folder, sandbox, reference, ["Q4"], include_hidden=PUBLIC_ONLY, timeout=TIMEOUT)
    lost = {n for n, t in by_name(res).items() if t["score"] < t["max_score"]}
    assert lost == own_tests("Q4", "tv_loss", PUBLIC_ONLY)
    # after two time-outs of a function its remaining tests are not run (no re-spawn for them)
    assert all(by_name(res)[n]["output"].startswith(("TIMED OUT", "NOT RUN")) for n in lost)


def test_unbounded_memory(tmp_path, sandbox, reference):
    need("Q4")
    hog = ("def gram_matrix(features, normalize=True):\n    hog = []\n    while True:\n"
           "        hog.append(bytearray(256 * 2 ** 20))\n")
    res = grade(make_submission(tmp_path, append={"style_transfer": hog}), sandbox, reference, ["Q4"],
                include_hidden=PUBLIC_ONLY)
    lost = {n for n, t in by_name(res).items() if t["score"] < t["max_score"]}
    assert own_tests("Q4", "gram_matrix", PUBLIC_ONLY) <= lost <= expected_losses("Q4", "gram_matrix", PUBLIC_ONLY)
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
if _os.fork() == 0:          # escape the process group: new session (refused now), then a grandchild
    try:
        _os.setsid()
    except OSError:
        pass
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
                    ["GAN"], include_hidden=PUBLIC_ONLY, timeout=TIMEOUT)
    lost = {n for n, t in by_name(res).items() if t["score"] < t["max_score"]}
    assert lost == own_tests("GAN", "generator_loss", PUBLIC_ONLY)
