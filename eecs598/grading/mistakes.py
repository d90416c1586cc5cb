"""Classic mistakes, recognised by their outputs: each is a deliberately wrong version of a graded
function, run in the trusted grader on the failing test's very inputs. When the student's output
matches one of them, the test's feedback names the mistake (see ``compare.judge``).

INSTRUCTORS ONLY (like ``hidden.py``): these versions sit close to the solutions, so this file
is never copied into the sandbox nor into the student release. Mistakes that show in the outputs
alone (an optimizer's class or betas, non-zero biases, ``<START>`` in sampled captions) are
recognised in ``compare.explain`` instead.
"""
import json
import random

import torch
import torch.nn as nn

from . import codec, probes


class _LogSoftmax(nn.Module):
    """``model`` followed by log-softmax: the 'correct-class score' of this model is minus the
    cross-entropy loss, so the reference saliency on it is the saliency of the loss."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.log_softmax(self.model(x), dim=1)


def _saliency_of_loss(reference, mean=False):
    def compute_saliency_maps(X, y, model):
        out = reference.compute_saliency_maps(X, y, _LogSoftmax(model))
        return out / len(y) if mean else out
    return compute_saliency_maps


def _saliency_without_abs(X, y, model):
    X.requires_grad_()
    model(X).gather(1, y.view(-1, 1)).sum().backward()
    return X.grad.max(dim=1)[0]


def _class_viz_step(regulariser):
    def class_visualization_step(img, target_y, model, l2_reg=1e-3, learning_rate=25):
        objective = model(img)[0, target_y] - l2_reg * regulariser(img)
        objective.backward()
        img.data += learning_rate * img.grad.data
        img.grad.zero_()
        return img
    return class_visualization_step


# (probe, graded function) -> {description of the mistake: reference module -> wrong function}
MISTAKES = {
    ("saliency", "compute_saliency_maps"): {
        "the saliency map comes from the cross-entropy loss; the assignment asks for the gradient of "
        "the (unnormalised) correct-class score": _saliency_of_loss,
        "the saliency map comes from the (mean) cross-entropy loss; the assignment asks for the gradient "
        "of the (unnormalised) correct-class score": lambda ref: _saliency_of_loss(ref, mean=True),
        "the absolute value is missing: take max over channels of |dScore/dX|": lambda ref: _saliency_without_abs,
    },
    ("class_viz_step", "class_visualization_step"): {
        "the L2 regulariser is not squared: use lambda * ||I||_2^2": lambda ref: _class_viz_step(lambda i: i.norm()),
        "the L2 regulariser has the wrong sign: ascend on s_y(I) - lambda * ||I||_2^2":
            lambda ref: _class_viz_step(lambda i: -i.square().sum()),
        "the L2 regulariser is missing: ascend on s_y(I) - lambda * ||I||_2^2": lambda ref: _class_viz_step(lambda i: 0),
    },
}
_DEFAULT_FN = {"saliency": "compute_saliency_maps", "class_viz_step": "class_visualization_step"}


class _Patched:
    """The reference module with one function replaced."""

    def __init__(self, module, name, fn):
        self._module, self._name, self._fn = module, name, fn

    def __getattr__(self, attr):
        return self._fn if attr == self._name else getattr(self._module, attr)


def outputs(test, reference):
    """{mistake: the output it gives on ``test``'s inputs}, decoded like a student's reply."""
    fn = test.args.get("fn", _DEFAULT_FN.get(test.probe))
    found = {}
    for name, wrong in MISTAKES.get((test.probe, fn), {}).items():
        import numpy as np
        random.seed(test.seed)
        np.random.seed(test.seed)
        torch.manual_seed(test.seed)
        try:
            with torch.random.fork_rng():
                value = probes.run(test.probe, _Patched(reference, fn, wrong(reference)), test.args)
            found[name] = codec.decode(json.loads(json.dumps(codec.encode(value))))
        except Exception:  # noqa: BLE001 -- a mistake that does not apply to these inputs
            continue
    return found
