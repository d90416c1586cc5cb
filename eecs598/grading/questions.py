"""The graded questions: tests, points and tolerances (public tests; hidden ones live in
``hidden.py``, which stays with the instructors).

Every test names a probe (:mod:`eecs598.grading.probes`) with its arguments and the student
functions it exercises (``uses``). The expected outputs are never written here: the grader
computes them with the reference solution (instructor repository) or reads them from
``public_expected.json`` (student release, public tests only).

Points: a public test's ``points`` as written here is the share of its question that the tested
behaviour is worth; :func:`all_tests` gives the public test ``PUBLIC_SHARE`` of it and its hidden
twins the rest, and draws the twins' inputs from a secret seed per grading run. Questions are
grouped into ``PARTS`` (original A4 questions, GAN, this project's extensions).
"""
import hashlib
import secrets
from dataclasses import dataclass, field, replace

from ..assignment import parts, questions

QUESTIONS = questions()  # key -> (title, module, points), from the assignment registry
PARTS = parts()  # key -> (title, questions); see eecs598.assignment.PARTS
PART_OF = {q: part for part, (_, qs) in PARTS.items() for q in qs}

# Public tests carry this share of each tested behaviour's points, their hidden twins the rest:
# replaying the released public outputs can never earn more than 20 % of a question.
PUBLIC_SHARE = 0.2


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

    def __post_init__(self):
        if self.probe == "call" and self.args.get("fn") in DIFFERENTIABLE and not self.args.get("grads"):
            self.args = dict(self.args, grads=DIFFERENTIABLE[self.args["fn"]])

    @property
    def part(self):
        return PART_OF[self.question]


# Functions whose output autograd must carry back to these inputs (True: all floating inputs;
# a list: those positions), because the assignment trains through them: a version built on
# ``.data``, ``.detach()``, ``.item()`` or ``torch.no_grad()`` gives the right numbers but cannot
# learn. Their call tests also compare the gradients.
DIFFERENTIABLE = {
    "three_layer_convnet": [1], "rnn_step_forward": True, "rnn_forward": True,
    "temporal_softmax_loss": [0], "lstm_step_forward": True, "lstm_forward": True,
    "dot_product_attention": True, "attention_forward": True,
}


def lin(lo, hi, *shape, dtype="float64"):
    return {"t": "linspace", "lo": lo, "hi": hi, "shape": list(shape), "dtype": dtype}


def randn(*shape, seed=0, dtype="float64", scale=1.0):
    return {"t": "randn", "shape": list(shape), "seed": seed, "dtype": dtype, "scale": scale}


def randint(high, *shape, seed=0):
    return {"t": "randint", "high": high, "shape": list(shape), "seed": seed}


def call(fn, *inputs, select=None, grads=False, **kwargs):
    return {"fn": fn, "inputs": list(inputs), "kwargs": kwargs, "select": select, "grads": grads}


def module(ctor, input, *ctor_args, **extra):
    return dict({"ctor": ctor, "input": input, "ctor_args": list(ctor_args)}, **extra)


F32 = "float32"
STD = {"std": (0.3, 0.0)}  # random initialisation: the spread must be right within 30 %

# Outcome tolerances: gradient steps within +-1 of the reference (atol 1), the mean step length
# within 5 % (a 1e-5 in the normaliser changes it by far less); sample_noise: the mean and std of
# 10,000 draws, within about 5 standard errors of U(-1, 1)'s 0 and 1/sqrt(3).
ADVERSARIAL = {"steps": (0.0, 1.0), "step_length": (0.05, 0.0)}
NOISE = {"mean": (0.0, 0.04), "std": (0.0, 0.02)}

PUBLIC = [
    # ------------------------------------------------------------------ Q1 (30)
    Test("three_layer_convnet", "Q1", 5, "call",
         call("three_layer_convnet", randn(2, 3, 32, 32, seed=1),
              [randn(6, 3, 5, 5, seed=2, scale=0.1), randn(6, seed=3), randn(9, 6, 3, 3, seed=4, scale=0.1),
               randn(9, seed=5), randn(10, 9 * 32 * 32, seed=6, scale=0.01), randn(10, seed=7)]),
         ["three_layer_convnet"]),
    Test("initialize_three_layer_conv_part2", "Q1", 2, "param_summary",
         {"ctor": "initialize_three_layer_conv_part2", "is_list": True},
         ["initialize_three_layer_conv_part2"], tol=STD),
    Test("ThreeLayerConvNet forward", "Q1", 4, "module",
         module("ThreeLayerConvNet", randn(2, 3, 32, 32, seed=1, dtype=F32), 3, 12, 8, 10),
         ["ThreeLayerConvNet"], rtol=1e-4, atol=1e-4),
    Test("ThreeLayerConvNet init", "Q1", 1, "param_summary", {"ctor": "ThreeLayerConvNet",
         "ctor_args": [3, 12, 8, 10]}, ["ThreeLayerConvNet"], tol=STD),
    Test("initialize_three_layer_conv_part3 model", "Q1", 1, "module",
         module("initialize_three_layer_conv_part3", randn(2, 3, 32, 32, seed=2, dtype=F32), pick=0),
         ["initialize_three_layer_conv_part3", "ThreeLayerConvNet"], rtol=1e-4, atol=1e-4),
    Test("initialize_three_layer_conv_part3 optimizer", "Q1", 1, "optimizer",
         {"fn": "initialize_three_layer_conv_part3"}, ["initialize_three_layer_conv_part3"]),
    Test("initialize_three_layer_conv_part4 model", "Q1", 1, "module",
         module("initialize_three_layer_conv_part4", randn(2, 3, 32, 32, seed=3, dtype=F32), pick=0),
         ["initialize_three_layer_conv_part4"], rtol=1e-4, atol=1e-4),
    Test("initialize_three_layer_conv_part4 optimizer", "Q1", 1, "optimizer",
         {"fn": "initialize_three_layer_conv_part4"}, ["initialize_three_layer_conv_part4"]),
    Test("PlainBlock", "Q1", 3, "module", module("PlainBlock", randn(2, 3, 5, 6, seed=4, dtype=F32), 3, 10),
         ["PlainBlock"], rtol=1e-4, atol=1e-4),
    Test("ResidualBlock", "Q1", 3, "module",
         module("ResidualBlock", randn(2, 3, 5, 6, seed=5, dtype=F32), 3, 10),
         ["ResidualBlock", "PlainBlock"], rtol=1e-4, atol=1e-4),
    Test("ResidualBlock downsample", "Q1", 1, "module",
         module("ResidualBlock", randn(2, 3, 5, 6, seed=6, dtype=F32), 3, 10, True),
         ["ResidualBlock", "PlainBlock"], rtol=1e-4, atol=1e-4),
    Test("ResNet", "Q1", 4, "module",
         module("ResNet", randn(2, 3, 16, 16, seed=7, dtype=F32), [[8, 8, 1, False], [8, 16, 1, True]]),
         ["ResNet", "ResidualBlock", "PlainBlock"], rtol=1e-4, atol=1e-4),
    Test("ResidualBottleneckBlock", "Q1", 3, "module",
         module("ResidualBottleneckBlock", randn(2, 8, 6, 6, seed=8, dtype=F32), 8, 16),
         ["ResidualBottleneckBlock"], rtol=1e-4, atol=1e-4),
    # ------------------------------------------------------------------ Q2 (40)
    Test("rnn_step_forward", "Q2", 4, "call",
         call("rnn_step_forward", lin(-0.4, 0.7, 3, 10), lin(-0.2, 0.5, 3, 4), lin(-0.1, 0.9, 10, 4),
              lin(-0.3, 0.7, 4, 4), lin(-0.2, 0.4, 4), select=[0]), ["rnn_step_forward"], atol=1e-8),
    Test("rnn_step_backward", "Q2", 4, "rnn_step_backward", {"N": 4, "D": 5, "H": 6, "seed": 0},
         ["rnn_step_backward", "rnn_step_forward"], atol=1e-8),
    Test("rnn_forward", "Q2", 4, "call",
         call("rnn_forward", lin(-0.1, 0.3, 2, 3, 4), lin(-0.3, 0.1, 2, 5), lin(-0.2, 0.4, 4, 5),
              lin(-0.4, 0.1, 5, 5), lin(-0.7, 0.1, 5), select=[0]), ["rnn_forward", "rnn_step_forward"], atol=1e-8),
    Test("rnn_backward", "Q2", 4, "rnn_backward", {"N": 2, "T": 10, "D": 3, "H": 5, "seed": 0},
         ["rnn_backward", "rnn_step_backward", "rnn_forward", "rnn_step_forward"], atol=1e-8),
    Test("WordEmbedding", "Q2", 2, "module",
         module("WordEmbedding", {"t": "tensor", "values": [[0, 3, 1, 2], [2, 1, 0, 3]], "dtype": "int64"}, 5, 3),
         ["WordEmbedding"], atol=1e-7),
    Test("temporal_softmax_loss", "Q2", 3, "call",
         call("temporal_softmax_loss", randn(20, 5, 10, seed=1), randint(10, 20, 5, seed=2), ignore_index=0),
         ["temporal_softmax_loss"]),
    Test("CaptioningRNN rnn loss", "Q2", 2, "captioning", {"cell_type": "rnn", "N": 3, "T": 5, "H": 8, "W": 6},
         ["CaptioningRNN", "rnn_forward", "rnn_step_forward", "WordEmbedding", "temporal_softmax_loss"]),
    Test("CaptioningRNN lstm loss", "Q2", 2, "captioning", {"cell_type": "lstm", "N": 3, "T": 5, "H": 8, "W": 6},
         ["CaptioningRNN", "lstm_forward", "lstm_step_forward", "WordEmbedding", "temporal_softmax_loss"]),
    Test("CaptioningRNN attention loss", "Q2", 2, "captioning",
         {"cell_type": "attention", "N": 3, "T": 5, "H": 8, "W": 6},
         ["CaptioningRNN", "attention_forward", "dot_product_attention", "lstm_step_forward", "WordEmbedding",
          "temporal_softmax_loss"]),
    Test("CaptioningRNN rnn sample", "Q2", 1, "captioning",
         {"cell_type": "rnn", "N": 4, "T": 5, "H": 8, "W": 6, "mode": "sample"},
         ["CaptioningRNN", "rnn_step_forward", "WordEmbedding"]),
    Test("CaptioningRNN lstm sample", "Q2", 1, "captioning",
         {"cell_type": "lstm", "N": 4, "T": 5, "H": 8, "W": 6, "mode": "sample"},
         ["CaptioningRNN", "lstm_step_forward", "WordEmbedding"]),
    Test("CaptioningRNN attention sample", "Q2", 1, "captioning",
         {"cell_type": "attention", "N": 4, "T": 5, "H": 8, "W": 6, "mode": "sample"},
         ["CaptioningRNN", "dot_product_attention", "lstm_step_forward", "WordEmbedding"]),
    Test("lstm_step_forward", "Q2", 3, "call",
         call("lstm_step_forward", lin(-0.4, 1.2, 3, 4), lin(-0.3, 0.7, 3, 5), lin(-0.4, 0.9, 3, 5),
              lin(-2.1, 1.3, 4, 20), lin(-0.7, 2.2, 5, 20), lin(0.3, 0.7, 20), select=[0, 1]),
         ["lstm_step_forward"], atol=1e-8),
    Test("lstm_forward", "Q2", 2, "call",
         call("lstm_forward", lin(-0.4, 0.6, 2, 3, 5), lin(-0.4, 0.8, 2, 4), lin(-0.2, 0.9, 5, 16),
              lin(-0.3, 0.6, 4, 16), lin(0.2, 0.7, 16)), ["lstm_forward", "lstm_step_forward"], atol=1e-8),
    Test("dot_product_attention", "Q2", 2, "call",
         call("dot_product_attention", lin(-0.4, 0.6, 2, 5), lin(-0.4, 1.8, 2, 5, 4, 4), select=[0, 1]),
         ["dot_product_attention"], atol=1e-8),
    Test("lstm_step_forward with attention", "Q2", 1, "call",
         call("lstm_step_forward", lin(-0.4, 1.2, 3, 4), lin(-0.3, 0.7, 3, 5), lin(-0.4, 0.9, 3, 5),
              lin(-2.1, 1.3, 4, 20), lin(-0.7, 2.2, 5, 20), lin(0.3, 0.7, 20), lin(0.6, 1.8, 3, 5),
              lin(1.3, 4.2, 5, 20), select=[0, 1]), ["lstm_step_forward"], atol=1e-8),
    Test("attention_forward", "Q2", 2, "call",
         call("attention_forward", lin(-0.4, 0.6, 2, 3, 5), lin(-0.4, 1.8, 2, 4, 4, 4), lin(-0.2, 0.9, 5, 16),
              lin(-0.3, 0.6, 4, 16), lin(1.3, 4.2, 4, 16), lin(0.2, 0.7, 16)),
         ["attention_forward", "dot_product_attention", "lstm_step_forward"], atol=1e-8),
    # ------------------------------------------------------------------ Q3 (15)
    Test("compute_saliency_maps", "Q3", 6, "saliency", {"N": 3, "size": 16, "seed": 0},
         ["compute_saliency_maps"]),
    # judged by its outcome (fooled, gradient steps within +-1, step length within 5 %), not its path
    Test("make_adversarial_attack", "Q3", 5, "adversarial", {"shift": 3, "seed": 0},
         ["make_adversarial_attack"], tol=ADVERSARIAL),
    # judged by the direction of the step only (the original leaves its length open)
    Test("class_visualization_step", "Q3", 4, "class_viz_step",
         {"target": 3, "seed": 0, "kwargs": {"l2_reg": 0.05, "learning_rate": 3.0}},
         ["class_visualization_step"], rtol=1e-3, atol=2e-5),
    # ------------------------------------------------------------------ Q3X (5): extensions
    Test("pgd_attack", "Q3X", 2, "pgd", {"seed": 0}, ["pgd_attack"], atol=1e-5),
    Test("smooth_grad (stdev 0 equals saliency)", "Q3X", 1.5, "saliency",
         {"fn": "smooth_grad", "N": 2, "seed": 2, "extra": {"num_samples": 3, "stdev": 0.0}},
         ["smooth_grad"]),
    Test("grad_cam", "Q3X", 1.5, "grad_cam", {"seed": 0}, ["grad_cam"]),
    # ------------------------------------------------------------------ Q4 (15)
    Test("content_loss", "Q4", 2, "call",
         call("content_loss", 6e-2, randn(1, 8, 6, 7, seed=1), randn(1, 8, 6, 7, seed=2), grads=[1]), ["content_loss"]),
    Test("gram_matrix", "Q4", 4, "call", call("gram_matrix", randn(1, 16, 6, 5, seed=3), grads=True), ["gram_matrix"]),
    Test("gram_matrix normalize=False", "Q4", 1, "call",
         call("gram_matrix", randn(1, 4, 3, 5, seed=4), normalize=False, grads=True), ["gram_matrix"]),
    Test("style_loss", "Q4", 4, "call",
         call("style_loss", [randn(1, 3, 8, 8, seed=5), randn(1, 4, 6, 6, seed=6), randn(1, 6, 4, 4, seed=7)],
              [0, 2], [randn(1, 3, 3, seed=8, scale=0.1), randn(1, 6, 6, seed=9, scale=0.1)], [300.0, 2.0], grads=[0]),
         ["style_loss", "gram_matrix"]),
    Test("tv_loss", "Q4", 3, "call", call("tv_loss", randn(1, 3, 8, 8, seed=10), 2e-2, grads=[0]), ["tv_loss"]),
    Test("tv_loss has no Python loop", "Q4", 1, "call", call("tv_loss", randn(1, 3, 5, 9, seed=11), 0.5),
         ["tv_loss"], static="no_loop:tv_loss"),
    # ------------------------------------------------------------------ Q4X (5): extensions
    Test("guided_gram_matrix", "Q4X", 2.5, "call",
         call("guided_gram_matrix", randn(1, 2, 4, 5, 6, seed=12), {"t": "rand", "shape": [1, 2, 5, 6], "seed": 13}),
         ["guided_gram_matrix"]),
    Test("guided_style_loss", "Q4X", 2.5, "call",
         call("guided_style_loss", [randn(1, 3, 5, 6, seed=14), randn(1, 4, 5, 6, seed=15)], [1],
              [randn(1, 2, 4, 4, seed=16, scale=0.1)], [10.0],
              [{"t": "rand", "shape": [1, 2, 5, 6], "seed": 17}, {"t": "rand", "shape": [1, 2, 5, 6], "seed": 18}]),
         ["guided_style_loss", "guided_gram_matrix"]),
    # ------------------------------------------------------------------ GAN (15)
    Test("sample_noise", "GAN", 2, "noise", {"batch_size": 200, "dim": 50, "seed": 231}, ["sample_noise"],
         seed=231,
         tol=NOISE),
    Test("discriminator", "GAN", 2, "gan_net", {"ctor": "discriminator", "in_shape": [4, 1, 28, 28]},
         ["discriminator"], rtol=1e-4, atol=1e-4),
    Test("generator", "GAN", 2, "gan_net", {"ctor": "generator", "ctor_args": [4], "in_shape": [3, 4]},
         ["generator"], rtol=1e-4, atol=1e-4),
    Test("discriminator_loss", "GAN", 2, "call",
         call("discriminator_loss", randn(10, 1, seed=1), randn(10, 1, seed=2)), ["discriminator_loss"]),
    Test("generator_loss", "GAN", 1, "call", call("generator_loss", randn(10, 1, seed=3)), ["generator_loss"]),
    Test("get_optimizer", "GAN", 1, "optimizer", {"fn": "get_optimizer", "model_ctor": True}, ["get_optimizer"]),
    Test("ls_discriminator_loss", "GAN", 1, "call",
         call("ls_discriminator_loss", randn(10, 1, seed=4), randn(10, 1, seed=5)), ["ls_discriminator_loss"]),
    Test("ls_generator_loss", "GAN", 1, "call", call("ls_generator_loss", randn(10, 1, seed=6)),
         ["ls_generator_loss"]),
    Test("build_dc_classifier", "GAN", 2, "gan_net", {"ctor": "build_dc_classifier", "in_shape": [4, 1, 28, 28]},
         ["build_dc_classifier"], rtol=1e-4, atol=1e-4),
    Test("build_dc_generator", "GAN", 1, "gan_net",
         {"ctor": "build_dc_generator", "ctor_args": [4], "in_shape": [3, 4]},
         ["build_dc_generator"], rtol=1e-4, atol=1e-4),
]


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
    question) between it (PUBLIC_SHARE) and its hidden twins (the rest, shared equally)."""
    twins = {}
    for t in hidden:
        twins.setdefault(t.twin_of, []).append(t)
    out = []
    for t in public:
        share = t.points if not hidden else round(PUBLIC_SHARE * t.points, 6)
        out.append(replace(t, points=share))
        for h in twins.get(t.name, []):
            out.append(replace(h, points=round((1 - PUBLIC_SHARE) * t.points / len(twins[t.name]), 6)))
    return out


def all_tests(include_hidden=True, secret=None):
    """Public tests, plus the hidden ones when ``hidden.py`` is present (instructor copy).

    Hidden tests get their inputs from ``secret`` (a fresh random one per call unless given).
    Without ``hidden.py`` (the student release) the public tests carry their full points.
    """
    hidden = []
    if include_hidden:
        try:
            from .hidden import HIDDEN as hidden
        except ImportError:
            hidden = []
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
    import importlib.util
    return importlib.util.find_spec(f"{__package__}.hidden") is not None
