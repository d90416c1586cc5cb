"""Probes for any notebook: call a function, run a module, summarise parameters, inspect an
optimizer."""
import contextlib

import torch
import torch.nn as nn

from .probing import NotImplementedYet, fill_params, get, make, need, plain, probe


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
    out = need(get(mod, fn)(*args, **kw), fn)
    if select is not None:
        if not isinstance(out, (tuple, list)):
            raise TypeError(f"{fn} should return a tuple, got {type(out).__name__}")
        out = [need(out[i], f"{fn} (output {i})") for i in select]
    result = {"out": plain(out, fn)}
    if grads:
        first = out[0] if isinstance(out, (list, tuple)) else out
        if not (isinstance(first, torch.Tensor) and first.requires_grad):
            raise ValueError(f"no gradient flows from {fn}'s output back to its input: was .data, "
                             f".detach() or .item() used on it? (the optimiser needs that gradient)")
        # weights 1 + sin: never zero, so a scalar loss's gradient is compared too
        w = 1 + torch.sin(torch.arange(first.numel(), dtype=first.dtype)).reshape(first.shape)
        g = torch.autograd.grad((first * w).sum(), wrt, allow_unused=True)
        result["grads"] = plain([x if x is not None else torch.zeros_like(t) for x, t in zip(g, wrt)], fn)
    return result



def _build(mod, ctor, ctor_args=(), ctor_kwargs=None, pick=None):
    obj = need(get(mod, ctor)(*[make(a) for a in ctor_args],
                                **{k: make(v) for k, v in (ctor_kwargs or {}).items()}), ctor)
    if pick is not None:
        obj = need(obj[pick], f"{ctor}()[{pick}]")
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
        out = need(getattr(model, method)(x, *[make(e) for e in extra_inputs]), f"{ctor}.{method}")
    params = [p for p in model.parameters() if not any(p is b for b in redundant)]
    return {"out": plain(out, ctor),
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
        params = need(get(mod, ctor)(*[make(a) for a in ctor_args],
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
        opt = need(get(mod, fn)(model), fn)
    else:           # fn() -> (model, optimizer)
        pair = need(get(mod, fn)(*fn_args), fn)
        model, opt = pair
        need(model, f"{fn} (model)")
        need(opt, f"{fn} (optimizer)")
    if not isinstance(opt, torch.optim.Optimizer):
        raise TypeError(f"{fn} should give a torch.optim optimizer, got {type(opt).__name__}")
    group = opt.param_groups[0]
    hyper = {k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()
             if k in ("lr", "momentum", "weight_decay", "nesterov", "betas", "dampening")}
    held = {id(p) for g in opt.param_groups for p in g["params"]}
    return {"class": type(opt).__name__, "hyper": hyper,
            "holds_all_params": all(id(p) in held for p in model.parameters())}

