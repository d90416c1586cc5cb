"""How the grader calls student functions: each probe builds its inputs from a small spec,
calls the student's code and returns plain outputs (tensors, numbers) to compare.

The same probe runs twice: in the sandboxed child on the student's module, and in the grader on
the trusted reference module (or its outputs are stored, for the public tests of the release).
Probes hold no expected values and no solution code; they ship with the release.
"""
import contextlib
import math

import torch
import torch.nn as nn

_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.long, "long": torch.long}


class NotImplementedYet(Exception):
    """A student function returned None: its ``pass`` stub is still in place."""


# ------------------------------------------------------------------------------ input builders
def make(spec):
    """Build an input from its spec (dicts with key "t"); lists and literals pass through."""
    if isinstance(spec, list):
        return [make(s) for s in spec]
    if not isinstance(spec, dict) or "t" not in spec:
        return spec
    kind = spec["t"]
    dtype = _DTYPES[spec.get("dtype", "float64")]
    shape = tuple(spec.get("shape", ()))
    gen = torch.Generator().manual_seed(int(spec.get("seed", 0)))
    if kind == "linspace":
        n = math.prod(shape)
        return torch.linspace(spec["lo"], spec["hi"], steps=n, dtype=torch.float64).reshape(shape).to(dtype)
    if kind == "randn":
        return (spec.get("scale", 1.0) * torch.randn(shape, generator=gen, dtype=torch.float64)).to(dtype)
    if kind == "rand":
        return torch.rand(shape, generator=gen, dtype=torch.float64).to(dtype)
    if kind == "randint":
        return torch.randint(spec.get("low", 0), spec["high"], shape, generator=gen)
    if kind == "tensor":
        return torch.tensor(spec["values"], dtype=dtype)
    if kind == "dtype":
        return _DTYPES[spec["name"]]
    if kind == "tuple":
        return tuple(make(s) for s in spec["items"])
    raise ValueError(f"unknown input kind {kind!r}")


def fill_params(model, seed=0, gain=1.5):
    """Set every parameter to values that depend only on its *role* (weight matrix or vector),
    its (out, fan_in) shape and ``seed``, so a student model and the reference get the same
    weights whatever their attribute names or order -- and mathematically equivalent layers get
    equal values: a 1x1 ``Conv2d`` weight (O, I, 1, 1) is filled exactly like a ``Linear``
    weight (O, I), so a 1x1 convolution used as a linear layer computes the same function.
    The values are uniform random (std gain / sqrt(fan_in)): varied enough that, e.g., sampled
    captions differ across images and over time, and an LSTM's gates stay away from saturation."""
    with torch.no_grad():
        for p in model.parameters():
            n = p.numel()
            rows = p.shape[0] if p.dim() > 1 else 1
            fan_in = max(1, n // max(1, rows)) if p.dim() > 1 else max(1, n)
            key = (int(seed) * 1000003 + (p.dim() > 1) * 7919 + rows * 104729 + n // max(1, rows)) % (2 ** 62)
            gen = torch.Generator().manual_seed(key)
            # uniform, float32 draws: several times faster than Gaussian doubles on the big GAN
            # layers (6M weights); same spread
            values = torch.rand(n, generator=gen, dtype=torch.float32) * 2 - 1
            p.copy_((values * (gain * math.sqrt(3.0 / fan_in))).reshape(p.shape).to(p.dtype))
    return model


def _need(value, what):
    if value is None:
        raise NotImplementedYet(f"not implemented yet: {what} returned None (its `pass` stub is still there)")
    if isinstance(value, (tuple, list)) and value and all(v is None for v in value):
        raise NotImplementedYet(f"not implemented yet: {what} returned only None values (its `pass` stub is still there)")
    return value


def _plain(value, what):
    """Tensor / number / tuple of them -> something the codec can send."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, (tuple, list)):
        return [_plain(v, what) for v in value]
    raise TypeError(f"{what} returned a {type(value).__name__}, expected a tensor")


def _get(mod, name):
    obj = mod
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise NotImplementedYet(f"{name} is missing from the submitted module")
    return obj


# ------------------------------------------------------------------------------------ probes
PROBES = {}


def probe(fn):
    PROBES[fn.__name__] = fn
    return fn


def run(name, module, args):
    if name not in PROBES:
        raise ValueError(f"unknown probe {name!r}")
    return PROBES[name](module, **args)


@probe
def call(mod, fn, inputs=(), kwargs=None, select=None, grads=False):
    """``fn(*inputs, **kwargs)``; ``select`` picks outputs of a tuple; ``grads`` (True: every
    floating input; a list: the inputs at those positions, a list of tensors counting as its
    tensors) adds the gradient of sum(out * fixed weights) w.r.t. them: is the function
    differentiable where the assignment needs it (a loss built on ``.data`` or ``.detach()`` of
    the image's features computes the right number but never moves the image)?"""
    args = [make(s) for s in inputs]
    kw = {k: make(v) for k, v in (kwargs or {}).items()}
    wrt = []
    if grads:
        for i, a in enumerate(args):
            if grads is not True and i not in grads:
                continue
            for t in (a if isinstance(a, (list, tuple)) else [a]):
                if isinstance(t, torch.Tensor) and t.is_floating_point():
                    wrt.append(t.requires_grad_(True))
    out = _need(_get(mod, fn)(*args, **kw), fn)
    if select is not None:
        if not isinstance(out, (tuple, list)):
            raise TypeError(f"{fn} should return a tuple, got {type(out).__name__}")
        out = [_need(out[i], f"{fn} (output {i})") for i in select]
    result = {"out": _plain(out, fn)}
    if grads:
        first = out[0] if isinstance(out, (list, tuple)) else out
        if not (isinstance(first, torch.Tensor) and first.requires_grad):
            raise ValueError(f"no gradient flows from {fn}'s output back to its input: was .data, "
                             f".detach() or .item() used on it? (the optimiser needs that gradient)")
        # weights 1 + sin: never zero, so a scalar loss's gradient is compared too
        w = 1 + torch.sin(torch.arange(first.numel(), dtype=first.dtype)).reshape(first.shape)
        g = torch.autograd.grad((first * w).sum(), wrt, allow_unused=True)
        result["grads"] = _plain([x if x is not None else torch.zeros_like(t) for x, t in zip(g, wrt)], fn)
    return result


@probe
def rnn_step_backward(mod, N, D, H, seed):
    g = {"t": "randn", "seed": seed}
    x, h, Wx, Wh, b, dnext = (make(dict(g, shape=s, seed=seed + i)) for i, s in
                              enumerate([(N, D), (N, H), (D, H), (H, H), (H,), (N, H)]))
    _, cache = _need(_get(mod, "rnn_step_forward")(x, h, Wx, Wh, b), "rnn_step_forward")
    out = _need(_get(mod, "rnn_step_backward")(dnext, cache), "rnn_step_backward")
    return {"grads": _plain(list(out), "rnn_step_backward")}


@probe
def rnn_backward(mod, N, T, D, H, seed):
    x, h0, Wx, Wh, b, dout = (make({"t": "randn", "seed": seed + i, "shape": s}) for i, s in
                              enumerate([(N, T, D), (N, H), (D, H), (H, H), (H,), (N, T, H)]))
    _, cache = _need(_get(mod, "rnn_forward")(x, h0, Wx, Wh, b), "rnn_forward")
    out = _need(_get(mod, "rnn_backward")(dout, cache), "rnn_backward")
    return {"grads": _plain(list(out), "rnn_backward")}


def _build(mod, ctor, ctor_args=(), ctor_kwargs=None, pick=None):
    obj = _need(_get(mod, ctor)(*[make(a) for a in ctor_args],
                                **{k: make(v) for k, v in (ctor_kwargs or {}).items()}), ctor)
    if pick is not None:
        obj = _need(obj[pick], f"{ctor}()[{pick}]")
    if not isinstance(obj, nn.Module):
        raise TypeError(f"{ctor} should give an nn.Module, got {type(obj).__name__}")
    return obj


@probe
def module(mod, ctor, input, ctor_args=(), ctor_kwargs=None, pick=None, train=True, fill=True,
           method="forward", extra_inputs=()):
    """Build a module (class or factory), give it shape-determined weights, run it on ``input``."""
    model = _build(mod, ctor, ctor_args, ctor_kwargs, pick)
    if fill:
        fill_params(model)
    model.train(train)
    x = make(input)
    if isinstance(x, torch.Tensor) and x.is_floating_point():
        x = x.to(next(model.parameters()).dtype) if any(True for _ in model.parameters()) else x
    with _biases_before_batchnorm(model, train) as redundant:
        out = _need(getattr(model, method)(x, *[make(e) for e in extra_inputs]), f"{ctor}.{method}")
    params = [p for p in model.parameters() if not any(p is b for b in redundant)]
    return {"out": _plain(out, ctor),
            "num_params": sum(p.numel() for p in params),
            "param_shapes": sorted(_role_shape(p) for p in params)}


@contextlib.contextmanager
def _biases_before_batchnorm(model, train):
    """Collects (during one forward pass) the biases of layers whose output goes straight into a
    BatchNorm. In training mode the norm subtracts each channel's batch mean, so such a bias
    changes nothing: ``bias=False`` there (as torchvision's ResNets write it) is the same
    function, and the parameter count and shapes leave those biases out on both sides."""
    redundant, last_producer, handles = [], {}, []

    def produced(layer, inputs, output):
        if isinstance(output, torch.Tensor):  # an in-place ReLU re-produces the same tensor
            last_producer[id(output)] = (output, output._version, layer)

    def consumed(layer, inputs):
        source = last_producer.get(id(inputs[0])) if inputs and isinstance(inputs[0], torch.Tensor) else None
        if source is None or source[0] is not inputs[0] or source[1] != inputs[0]._version:
            return  # not a layer's output, or changed in place since (``out += shortcut``)
        if isinstance(source[2], (nn.Linear, nn.modules.conv._ConvNd)) and source[2].bias is not None:
            redundant.append(source[2].bias)

    if train:
        for layer in model.modules():
            if not list(layer.children()):
                handles.append(layer.register_forward_hook(produced))
            if isinstance(layer, nn.modules.batchnorm._BatchNorm):
                handles.append(layer.register_forward_pre_hook(consumed))
    try:
        yield redundant
    finally:
        for h in handles:
            h.remove()


def _role_shape(p):
    """A parameter's shape without trailing 1s: a 1x1 convolution's (O, I, 1, 1) weight has the
    shape of the equivalent linear layer's (O, I)."""
    shape = list(p.shape)
    while len(shape) > 2 and shape[-1] == 1:
        shape.pop()
    return shape


@probe
def param_summary(mod, ctor, ctor_args=(), ctor_kwargs=None, pick=None, is_list=False):
    """Shapes, dtypes, requires_grad, zero-ness and spread of freshly initialised parameters."""
    if is_list:
        params = _need(_get(mod, ctor)(*[make(a) for a in ctor_args],
                                       **{k: make(v) for k, v in (ctor_kwargs or {}).items()}), ctor)
        if not isinstance(params, (list, tuple)) or any(p is None for p in params):
            raise NotImplementedYet(f"not implemented yet: {ctor} should return a list of tensors")
    else:
        params = list(_build(mod, ctor, ctor_args, ctor_kwargs, pick).parameters())
        if not params:
            raise NotImplementedYet(f"not implemented yet: {ctor} creates no parameters")
    rows = []
    for p in params:
        rows.append({"shape": list(p.shape), "dtype": str(p.dtype), "requires_grad": bool(p.requires_grad),
                     "all_zero": bool((p == 0).all()), "std": float(p.detach().double().std()) if p.numel() > 1 else 0.0})
    rows.sort(key=lambda r: (len(r["shape"]), r["shape"], r["all_zero"]))
    return {"params": rows}


@probe
def optimizer(mod, fn, model_ctor=None, fn_args=()):
    """The optimizer's class and hyperparameters (and that it holds every model parameter)."""
    if model_ctor:  # fn(model) -> optimizer
        model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        opt = _need(_get(mod, fn)(model), fn)
    else:           # fn() -> (model, optimizer)
        pair = _need(_get(mod, fn)(*fn_args), fn)
        model, opt = pair
        _need(model, f"{fn} (model)")
        _need(opt, f"{fn} (optimizer)")
    if not isinstance(opt, torch.optim.Optimizer):
        raise TypeError(f"{fn} should give a torch.optim optimizer, got {type(opt).__name__}")
    group = opt.param_groups[0]
    hyper = {k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()
             if k in ("lr", "momentum", "weight_decay", "nesterov", "betas", "dampening")}
    held = {id(p) for g in opt.param_groups for p in g["params"]}
    return {"class": type(opt).__name__, "hyper": hyper,
            "holds_all_params": all(id(p) in held for p in model.parameters())}


# ---------------------------------------------------------------------------- captioning (Q2)
class _FakeFeatureExtractor:
    """Stands in for the MobileNetV2 FeatureExtractor (provided code, not graded): a fixed
    projection of 4x4-pooled pixels, so no pretrained weights are needed inside the sandbox."""

    def __init__(self, pooling=False, verbose=False, device="cpu", dtype=torch.float32, **kwargs):
        self.pooling, self.dtype = pooling, dtype
        gen = torch.Generator().manual_seed(598)
        self.proj = torch.randn(1280, 3, generator=gen, dtype=torch.float64) * 0.5

    def extract_mobilenet_feature(self, img, verbose=False):
        x = img.to(torch.float64) / 127.5 - 1.0                             # in [-1, 1]
        x = nn.functional.adaptive_avg_pool2d(x, 4)                         # (N, 3, 4, 4)
        feat = 4.0 * torch.einsum("kc,nchw->nkhw", self.proj, x)             # (N, 1280, 4, 4)
        if self.pooling:
            feat = feat.mean(dim=(2, 3))
        return feat.to(self.dtype)


_END, _START = 2, 1


def _images_for_captions(N, gen):
    """Low-frequency uint8 images (random 4x4 colour blocks, upsampled): every image gets clearly
    different features, so captions differ across images and a sampler that drops its state shows."""
    base = torch.rand(N, 3, 1, 1, generator=gen)                      # one colour per image ...
    blocks = 0.7 * base + 0.3 * torch.rand(N, 3, 4, 4, generator=gen)  # ... with some texture
    blocks = (255 * blocks).round()
    return blocks.repeat_interleave(28, dim=2).repeat_interleave(28, dim=3).to(torch.uint8)


def _until_end(captions, attn, max_length):
    """Keep each sampled row up to and including its first ``<END>``; what follows (or a shorter
    output from a sampler that stopped early) is not judged: it becomes -1 / zero weights."""
    captions = captions.long()
    N, T = captions.shape
    out = torch.full((N, max_length), -1, dtype=torch.long)
    out_attn = None if attn is None else torch.zeros((N, max_length) + tuple(attn.shape[2:]), dtype=torch.float64)
    for n in range(N):
        row = captions[n, :max_length]
        ends = (row == _END).nonzero()
        stop = int(ends[0]) + 1 if len(ends) else len(row)
        out[n, :stop] = row[:stop]
        if attn is not None:
            out_attn[n, :stop] = attn[n, :stop].to(torch.float64)
    return out, out_attn


@probe
def captioning(mod, cell_type, N, T, H, W, mode="loss", max_length=8, seed=0, gain=None):
    mod.FeatureExtractor = _FakeFeatureExtractor  # provided code; replaced in student and reference alike
    word_to_idx = {w: i for i, w in enumerate(["<NULL>", "<START>", "<END>", "a", "cat", "dog", "sat", "on", "the",
                                               "mat", "ran", "far"])}
    V = len(word_to_idx)
    ctor = _get(mod, "CaptioningRNN")
    model = ctor(word_to_idx, input_dim=1280, wordvec_dim=W, hidden_dim=H, cell_type=cell_type,
                 ignore_index=0, dtype=torch.float64)
    if not any(True for _ in model.parameters()):
        raise NotImplementedYet("not implemented yet: CaptioningRNN.__init__ creates no parameters")
    gain = gain or (2.5 if mode == "sample" else 1.5)  # sampling: larger weights, livelier dynamics
    fill_params(model, seed, gain)
    gen = torch.Generator().manual_seed(seed)
    images = _images_for_captions(N, gen)
    if mode == "loss":
        captions = torch.randint(0, V, (N, T + 1), generator=gen)
        captions[:, 0] = 1
        captions[0, -2:] = 0  # some <NULL> padding, which must be ignored
        loss = _need(model(images, captions), "CaptioningRNN.forward")
        params = list(model.parameters())
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            grads = torch.autograd.grad(loss, params, allow_unused=True)
        else:
            grads = [None] * len(params)
        # training needs a gradient on every parameter (.data / .item() / no_grad cut it off)
        untrained = sum(p.numel() for p, g in zip(params, grads) if g is None or not bool(g.abs().sum() > 0))
        return {"loss": _plain(loss, "forward"), "num_params": sum(p.numel() for p in params),
                "params_without_gradient": untrained}
    # sampling: three differently filled models, so that a sampler that drops its hidden or cell
    # state between steps changes some caption (one model alone can hide it in a repeated word)
    captions, weights = [], []
    for k in range(3):
        if k:
            fill_params(model, seed + 7919 * k, gain)
        out = _need(model.sample(images, max_length=max_length), "CaptioningRNN.sample")
        if cell_type == "attention":
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise TypeError("CaptioningRNN.sample should return (captions, attn_weights_all) for attention")
            caps, attn = (_plain(o, "sample") for o in out)
        else:
            caps, attn = _plain(out, "sample"), None
        if not isinstance(caps, torch.Tensor) or caps.dim() != 2 or caps.shape[0] != N:
            raise TypeError(f"CaptioningRNN.sample should return captions of shape ({N}, {max_length})")
        caps, attn = _until_end(caps, attn, max_length)
        captions.append(caps)
        weights.append(attn)
    if cell_type == "attention":
        return {"captions": torch.cat(captions), "attn": torch.cat(weights)}
    return {"captions": torch.cat(captions)}


# ------------------------------------------------------------------------ network visualization
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
    out = _need(_get(mod, fn)(X, y, model, **(extra or {})), fn)
    return {"out": _plain(out, fn)}


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
    X_adv = _need(_get(mod, "make_adversarial_attack")(X.clone(), target, counting, max_iter=max_iter,
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
    out = _need(_get(mod, "class_visualization_step")(img, target, model, **(kwargs or {})),
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
    out = _need(_get(mod, "pgd_attack")(X, y, model, eps=8 / 255, alpha=2 / 255, steps=steps,
                                        targeted=targeted), "pgd_attack")
    return {"out": _plain(out, "pgd_attack")}


@probe
def grad_cam(mod, N=2, size=16, seed=0):
    model = TinyNet(seed)
    X = _images(N, size, seed + 1)
    y = torch.arange(N) % 10
    out = _need(_get(mod, "grad_cam")(X, y, model, model.features), "grad_cam")
    return {"out": _plain(out, "grad_cam")}


# --------------------------------------------------------------------------------------- GAN
def _construct(mod, ctor, ctor_args, batch_size):
    """Editions differ: ``build_dc_classifier()`` or ``build_dc_classifier(batch_size)``; seeds
    are never passed (editions without ``seed=`` seed globally, which the grader does anyway)."""
    fn = _get(mod, ctor)
    try:
        obj = fn(*[make(a) for a in ctor_args])
    except TypeError as err:
        if ctor_args or "argument" not in str(err):
            raise
        obj = fn(batch_size)
    obj = _need(obj, ctor)
    if not isinstance(obj, nn.Module):
        raise TypeError(f"{ctor} should give an nn.Module, got {type(obj).__name__}")
    return obj


@probe
def gan_net(mod, ctor, ctor_args=(), in_shape=(4, 96), seed=0):
    """Output on ``in_shape`` input after :func:`fill_params`; discriminators get images
    (N, 1, 28, 28), as ``run_a_gan`` passes them (CS231n's ``Flatten`` accepts only images)."""
    model = _construct(mod, ctor, ctor_args, in_shape[0])
    num = sum(p.numel() for p in model.parameters())
    fill_params(model, seed)
    model.train()
    x = make({"t": "randn", "shape": list(in_shape), "seed": seed, "dtype": "float32"})
    out = _need(model(x), ctor)
    return {"num_params": num, "out": _plain(out, ctor)}


@probe
def noise(mod, batch_size, dim, seed=0):
    """``sample_noise(batch_size, dim)`` judged by what it must be: the shape, values in [-1, 1),
    a uniform spread (mean 0, std 1/sqrt(3)), and repeatable under the global seed -- any idiom
    (``2 * rand - 1``, ``uniform_(-1, 1)``, with or without a ``seed=`` argument) is right."""
    fn = _get(mod, "sample_noise")
    torch.manual_seed(seed)
    first = _need(fn(batch_size, dim), "sample_noise")
    torch.manual_seed(seed)
    again = _need(fn(batch_size, dim), "sample_noise")
    if not isinstance(first, torch.Tensor):
        raise TypeError(f"sample_noise should return a tensor, got {type(first).__name__}")
    x = first.detach().double()
    inside = bool(((x >= -1) & (x < 1)).all()) if x.numel() else False
    return {"shape": list(first.shape), "in_range": inside, "mean": float(x.mean()), "std": float(x.std()),
            "repeatable": isinstance(again, torch.Tensor) and torch.equal(first, again)}
