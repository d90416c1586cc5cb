"""Probes of the GAN notebook: networks on filled weights and the noise sampler."""
import torch
import torch.nn as nn

from .probing import fill_params, get, make, need, plain, probe


def _construct(mod, ctor, ctor_args, batch_size):
    """Editions differ: ``build_dc_classifier()`` or ``build_dc_classifier(batch_size)``; seeds
    are never passed (editions without ``seed=`` seed globally, which the grader does anyway)."""
    fn = get(mod, ctor)
    try:
        obj = fn(*[make(a) for a in ctor_args])
    except TypeError as err:
        if ctor_args or "argument" not in str(err):
            raise
        obj = fn(batch_size)
    obj = need(obj, ctor)
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
    out = need(model(x), ctor)
    return {"num_params": num, "out": plain(out, ctor)}


@probe
def noise(mod, batch_size, dim, seed=0):
    """``sample_noise(batch_size, dim)`` judged by what it must be: the shape, values in [-1, 1),
    a uniform spread (mean 0, std 1/sqrt(3)), and repeatable under the global seed -- any idiom
    (``2 * rand - 1``, ``uniform_(-1, 1)``, with or without a ``seed=`` argument) is right."""
    fn = get(mod, "sample_noise")
    torch.manual_seed(seed)
    first = need(fn(batch_size, dim), "sample_noise")
    torch.manual_seed(seed)
    again = need(fn(batch_size, dim), "sample_noise")
    if not isinstance(first, torch.Tensor):
        raise TypeError(f"sample_noise should return a tensor, got {type(first).__name__}")
    x = first.detach().double()
    inside = bool(((x >= -1) & (x < 1)).all()) if x.numel() else False
    return {"shape": list(first.shape), "in_range": inside, "mean": float(x.mean()), "std": float(x.std()),
            "repeatable": isinstance(again, torch.Tensor) and torch.equal(first, again)}
