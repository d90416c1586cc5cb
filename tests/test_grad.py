"""Tests for eecs598.grad against explicit formulas and torch.autograd."""
import numpy as np
import pytest
import torch

from eecs598.grad import compute_numeric_gradient, grad_check_sparse, rel_error


def _autograd(f, x, upstream=None):
    x = x.detach().clone().requires_grad_(True)
    y = f(x)
    if upstream is None:
        upstream = torch.ones_like(y)
    (g,) = torch.autograd.grad(y, x, upstream)
    return g


def test_rel_error_matches_explicit_formula():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    expected = np.max(np.abs(x - y)) / max(np.max(np.abs(x) + np.abs(y)), 1e-10)
    assert rel_error(torch.from_numpy(x), torch.from_numpy(y)) == pytest.approx(expected, rel=1e-12)
    assert rel_error(x, y) == pytest.approx(expected, rel=1e-12)  # numpy inputs too


def test_rel_error_is_one_global_ratio():
    x = torch.tensor([1000.0, 1e-3], dtype=torch.float64)
    y = torch.tensor([1000.0, 2e-3], dtype=torch.float64)
    elementwise = ((x - y).abs() / (x.abs() + y.abs())).max().item()  # CS231n's version: 1/3
    assert elementwise == pytest.approx(1 / 3)
    assert rel_error(x, y) == pytest.approx(1e-3 / 2000.002, rel=1e-9)


def test_rel_error_eps_clamps_denominator():
    z = torch.zeros(3, dtype=torch.float64)
    assert rel_error(z, z) == 0.0
    assert rel_error(z, torch.full((3,), 1e-12, dtype=torch.float64)) == pytest.approx(1e-2)
    assert rel_error(z, torch.full((3,), 1e-12, dtype=torch.float64), eps=1e-12) == pytest.approx(1.0)


def test_numeric_gradient_of_scalar_function():
    torch.manual_seed(0)
    x = torch.randn(3, 4, dtype=torch.float64)
    w = torch.randn(3, 4, dtype=torch.float64)
    x_before = x.clone()

    def f(t):
        return (torch.sin(t) * w).sum()

    num = compute_numeric_gradient(f, x)
    assert num.shape == x.shape and num.dtype == x.dtype
    assert torch.equal(x, x_before)  # restored
    assert rel_error(num, torch.cos(x) * w) < 1e-7
    assert rel_error(num, _autograd(f, x)) < 1e-7


def test_numeric_gradient_with_upstream_gradient():
    torch.manual_seed(1)
    x = torch.randn(2, 3, dtype=torch.float64)
    W = torch.randn(3, 4, dtype=torch.float64)
    dout = torch.randn(2, 4, dtype=torch.float64)

    num = compute_numeric_gradient(lambda t: t @ W, x, dout)
    assert rel_error(num, dout @ W.t()) < 1e-7

    def g(t):
        return torch.tanh(t @ W)

    num = compute_numeric_gradient(g, x, dout)
    assert rel_error(num, _autograd(g, x, dout)) < 1e-7
    # A wrong upstream gradient gives a different answer (the check can fail).
    assert rel_error(compute_numeric_gradient(g, x, 2 * dout), num) > 0.1


def test_numeric_gradient_non_contiguous_and_requires_grad():
    torch.manual_seed(2)
    base = torch.randn(4, 3, dtype=torch.float64)
    x = base.t()  # (3, 4), not contiguous
    assert not x.is_contiguous()
    w = torch.randn(3, 4, dtype=torch.float64)

    def f(t):
        return (t ** 3 * w).sum()

    num = compute_numeric_gradient(f, x)
    assert rel_error(num, 3 * x ** 2 * w) < 1e-6

    leaf = torch.randn(5, dtype=torch.float64, requires_grad=True)
    num = compute_numeric_gradient(lambda t: float((t ** 2).sum()), leaf)  # python float output
    assert rel_error(num, 2 * leaf.detach()) < 1e-7


def test_numeric_gradient_warns_for_float32():
    with pytest.warns(UserWarning, match="float64"):
        compute_numeric_gradient(lambda t: t.sum(), torch.zeros(2))


def test_grad_check_sparse_small_for_correct_large_for_wrong(capsys):
    torch.manual_seed(3)
    x = torch.randn(5, 6, dtype=torch.float64)
    x_before = x.clone()

    def f(t):
        return (torch.exp(0.3 * t) * t).sum()

    correct = _autograd(f, x)
    errors = grad_check_sparse(f, x, correct, num_checks=7)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(errors) == 7 and len(out) == 7
    assert all(line.startswith("numerical: ") and "relative error: " in line for line in out)
    assert max(errors) < 1e-6
    assert torch.equal(x, x_before)

    wrong = correct * 1.5 + 0.1
    wrong_errors = grad_check_sparse(f, x, wrong, num_checks=7)
    assert min(wrong_errors) > 1e-2

    # reset_seed(0) inside: the same indices every call.
    assert grad_check_sparse(f, x, correct, num_checks=7) == errors
