"""Numeric gradient checks for torch tensors.

Use float64 tensors: with the default step h = 1e-7 a float32 difference quotient is mostly
rounding noise (a warning says so).

Differences from the original ``eecs598/grad.py``:

* :func:`grad_check_sparse` also returns the list of relative errors (it only printed them).
* :func:`compute_numeric_gradient` perturbs ``x`` element by element through its own indexing,
  so non-contiguous tensors work (the original perturbed a flattened copy of them, silently
  producing a zero gradient), and it runs under ``torch.no_grad()`` so ``x`` may require grad.
"""
import random
import warnings

import numpy as np
import torch

from .utils import reset_seed


def _warn_low_precision(x, h):
    if x.dtype in (torch.float32, torch.float16, torch.bfloat16) and h < 1e-4:
        warnings.warn(
            "Numeric gradient of a %s tensor with h=%g is dominated by rounding; use float64"
            % (x.dtype, h), stacklevel=3)


def _as_tensor(value):
    """f's output as a tensor of its own (python numbers become float64, not float32)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()  # clone: f may return a view of x
    return torch.as_tensor(np.asarray(value, dtype=np.float64))


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-7):
    """Compare the analytic gradient with centered differences at a few random elements.

    Calls ``reset_seed(0)`` first, so the same indices are checked on every call, then prints
    ``numerical / analytic / relative error`` for each sampled index.

    Inputs:
    - f: function taking x and returning a scalar (a number or a one-element tensor).
    - x: tensor where the gradient is checked; perturbed in place and restored.
    - analytic_grad: tensor of the same shape as x, the gradient to check.
    - num_checks: number of random elements to check.
    - h: step of the centered difference.

    Returns:
    - errors: list of ``num_checks`` relative errors |num - ana| / (|num| + |ana| + 1e-12).
    """
    _warn_low_precision(x, h)
    reset_seed(0)
    errors = []
    with torch.no_grad():
        for _ in range(num_checks):
            ix = tuple(random.randrange(m) for m in x.shape)
            oldval = x[ix].item()
            x[ix] = oldval + h
            fxph = float(f(x))
            x[ix] = oldval - h
            fxmh = float(f(x))
            x[ix] = oldval

            grad_numerical = (fxph - fxmh) / (2 * h)
            grad_analytic = float(analytic_grad[ix])
            rel_error_top = abs(grad_numerical - grad_analytic)
            rel_error_bot = abs(grad_numerical) + abs(grad_analytic) + 1e-12
            rel_error = rel_error_top / rel_error_bot
            errors.append(rel_error)
            print("numerical: %f analytic: %f, relative error: %e"
                  % (grad_numerical, grad_analytic, rel_error))
    return errors


def compute_numeric_gradient(f, x, dLdf=None, h=1e-7):
    """Compute the full numeric gradient of f at x with centered differences.

    For every element x_i: df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h), and the result is
    the chain rule through a dot product: grad_i = sum(dLdf * df/dx_i). This costs 2 * x.numel()
    calls of f.

    Inputs:
    - f: function taking x and returning a tensor (any shape) or a number.
    - x: tensor at which to evaluate the gradient; perturbed in place and restored.
    - dLdf: upstream gradient, same shape as f(x); defaults to ones (so a scalar f gives df/dx).
    - h: step of the centered difference.

    Returns:
    - grad: tensor of the same shape, dtype and device as x.
    """
    _warn_low_precision(x, h)
    grad = torch.zeros_like(x)
    with torch.no_grad():
        y = _as_tensor(f(x))
        if dLdf is None:
            dLdf = torch.ones_like(y)
        # The dot product is taken on the CPU in float64 (grad checks use small tensors).
        dLdf = torch.as_tensor(dLdf).detach().to("cpu", torch.float64).flatten()
        for ix in np.ndindex(*x.shape):
            oldval = x[ix].item()
            x[ix] = oldval + h
            fxph = _as_tensor(f(x))
            x[ix] = oldval - h
            fxmh = _as_tensor(f(x))
            x[ix] = oldval
            dfdxi = (fxph - fxmh) / (2 * h)
            grad[ix] = dLdf.dot(dfdxi.to("cpu", torch.float64).flatten()).item()
    return grad


def rel_error(x, y, eps=1e-10):
    """Relative error between two tensors: one global ratio.

    rel_error = max|x - y| / max(max(|x| + |y|), eps). Note this is not the elementwise
    maximum of |x_i - y_i| / (|x_i| + |y_i|) used by CS231n's notebooks: a small absolute
    error on a tiny element does not dominate here.

    Inputs:
    - x, y: tensors (or numpy arrays / numbers) of the same shape.
    - eps: lower bound of the denominator.

    Returns:
    - rel_error: float.
    """
    x = torch.as_tensor(x, dtype=torch.float64) if not isinstance(x, torch.Tensor) else x.detach().double()
    y = torch.as_tensor(y, dtype=torch.float64) if not isinstance(y, torch.Tensor) else y.detach().double()
    y = y.to(x.device)
    top = (x - y).abs().max().item()
    bot = (x.abs() + y.abs()).clamp(min=eps).max().item()
    return top / bot
