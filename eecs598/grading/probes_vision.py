"""Probes of the network visualization notebook (Q3, Q3X) on a small seeded CNN."""
import torch
import torch.nn as nn

from .probing import get, make, need, plain, probe


class TinyNet(nn.Module):
    """A small CNN (seeded, not trained) standing in for SqueezeNet: same (N, 3, H, W) -> (N, M)."""

    def __init__(self, seed=0, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(64, num_classes))
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in self.parameters():
                fan_in = p[0].numel() if p.dim() > 1 else p.numel()
                p.copy_(torch.randn(p.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x):
        return self.classifier(self.features(x))


def _images(N, size, seed):
    return make({"t": "randn", "shape": [N, 3, size, size], "seed": seed, "dtype": "float32"})


@probe
def saliency(mod, N=3, size=16, seed=0, fn="compute_saliency_maps", extra=None):
    model = TinyNet(seed)
    X = _images(N, size, seed + 1)
    y = torch.arange(N) % 10
    out = need(get(mod, fn)(X, y, model, **(extra or {})), fn)
    return {"out": plain(out, fn)}


class _CountingModel(nn.Module):
    """Wraps a model and counts the backward passes that reach its input: one per ascent step,
    however the student writes the loop (extra forward passes for checks are not counted)."""

    def __init__(self, model):
        super().__init__()
        self.model, self.backward_passes = model, 0

    def _count(self, grad):
        self.backward_passes += 1
        return grad

    def forward(self, x):
        if x.requires_grad and torch.is_grad_enabled():  # (a check under no_grad builds no graph)
            x = x.view_as(x)   # a fresh graph node per call: the hook fires once per backward through it
            x.register_hook(self._count)
        return self.model(x)


@probe
def adversarial(mod, shift, size=16, seed=0, max_iter=100):
    """The outcome of the attack, not its trajectory: was the model fooled, after how many
    gradient steps, and how large is the perturbation (L2 norm, per step). Target: the class ``shift`` places
    after the model's current prediction (never already it)."""
    model = TinyNet(seed)
    X = _images(1, size, seed + 1)
    target = (int(model(X).argmax(1)[0]) + shift) % 10
    counting = _CountingModel(model)
    X_adv = need(get(mod, "make_adversarial_attack")(X.clone(), target, counting, max_iter=max_iter,
                                                       verbose=False), "make_adversarial_attack")
    if not isinstance(X_adv, torch.Tensor) or X_adv.shape != X.shape:
        raise TypeError(f"make_adversarial_attack should return a tensor of shape {tuple(X.shape)}")
    X_adv = X_adv.detach().to(X.dtype)
    with torch.no_grad():
        fooled = int(model(X_adv).argmax(1)[0]) == target
    steps = counting.backward_passes
    # the mean step length, not the total perturbation: one step more or less (allowed) would
    # change the total by a whole step, the mean barely
    return {"fooled": fooled, "steps": float(steps),
            "step_length": float((X_adv - X).double().norm()) / max(1, steps)}


@probe
def class_viz_step(mod, target, size=16, seed=0, kwargs=None):
    """The direction of the ascent step (unit vector), not its length: the original TODO leaves
    open whether the gradient is normalised, so any positive step along the reference direction
    is right (a 1e-5 in a normaliser changes nothing either)."""
    model = TinyNet(seed)
    img = _images(1, size, seed + 1).requires_grad_()
    before = img.detach().clone()
    out = need(get(mod, "class_visualization_step")(img, target, model, **(kwargs or {})),
                "class_visualization_step")
    out = out if isinstance(out, torch.Tensor) else img
    step = (out.detach() - before).double()
    norm = float(step.norm())
    return {"direction": step / norm if norm > 0 else step, "moved": norm > 0,
            "grad_zeroed": img.grad is None or bool((img.grad == 0).all())}


@probe
def pgd(mod, N=2, size=16, seed=0, targeted=False, steps=5):
    model = TinyNet(seed)
    X = make({"t": "rand", "shape": [N, 3, size, size], "seed": seed + 1, "dtype": "float32"})
    y = (torch.arange(N) + 3) % 10
    out = need(get(mod, "pgd_attack")(X, y, model, eps=8 / 255, alpha=2 / 255, steps=steps,
                                        targeted=targeted), "pgd_attack")
    return {"out": plain(out, "pgd_attack")}


@probe
def grad_cam(mod, N=2, size=16, seed=0):
    model = TinyNet(seed)
    X = _images(N, size, seed + 1)
    y = torch.arange(N) % 10
    out = need(get(mod, "grad_cam")(X, y, model, model.features), "grad_cam")
    return {"out": plain(out, "grad_cam")}

