"""Judging one test: does the student's output match the expected one, and if not, what is wrong?

:func:`compare` walks both outputs (dicts, lists, tensors, numbers) with the test's tolerances;
:func:`judge` wraps it so that nothing in a reply can crash the grader, and adds feedback that
names a classic mistake when the output shows one (:func:`explain`; the mistakes that need the
reference solution live in ``mistakes.py``, instructors only).
"""
import math


def compare(expected, actual, rtol, atol, tol=None, path="output"):
    """None when ``actual`` matches ``expected``; otherwise a short explanation.

    ``tol`` maps an output key to its own ``(rtol, atol)``. A non-finite actual value fails
    wherever the expected one is finite (tensors and plain numbers alike): NaN compares false
    with everything, so without this check it would slip through a tolerance test.
    """
    import torch
    tol = tol or {}
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            return f"{path}: unexpected structure"
        for k in expected:
            r, a = tol.get(k, (rtol, atol))
            msg = compare(expected[k], actual[k], r, a, tol, f"{path}[{k}]" if path != "output" else k)
            if msg:
                return msg
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            n = len(actual) if isinstance(actual, list) else type(actual).__name__
            return f"{path}: expected {len(expected)} items, got {n}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            msg = compare(e, a, rtol, atol, tol, f"{path}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(expected, torch.Tensor) or isinstance(actual, torch.Tensor):
        if not (isinstance(expected, torch.Tensor) and isinstance(actual, torch.Tensor)):
            e = expected if not isinstance(expected, torch.Tensor) else "a tensor"
            got = type(actual).__name__ if not isinstance(actual, torch.Tensor) else "a tensor"
            return f"{path}: expected {e}, got {got}"
        if tuple(expected.shape) != tuple(actual.shape):
            return f"{path}: shape {tuple(actual.shape)}, expected {tuple(expected.shape)}"
        if not expected.is_floating_point():
            if actual.is_floating_point() or not torch.equal(expected.long(), actual.long()):
                return f"{path}: values differ (integer outputs must match exactly)"
            return None
        e, a = expected.double(), actual.double()
        if not torch.isfinite(a[torch.isfinite(e)]).all():
            return f"{path}: contains NaN or inf"
        err = (a - e).abs()
        bad = (err > atol + rtol * e.abs()) & torch.isfinite(e)
        bad |= ~torch.isfinite(e) & ~((a == e) | (torch.isnan(a) & torch.isnan(e)))
        if bad.any():
            i = int(bad.flatten().nonzero()[0])
            idx = tuple(int(v) for v in torch.unravel_index(torch.tensor(i), e.shape)) if e.dim() else ()
            return (f"{path}: values differ: max abs error {float(err[torch.isfinite(err)].max()):.3g} (e.g. at "
                    f"{idx}: got {float(a.flatten()[i]):.6g}, expected {float(e.flatten()[i]):.6g}; "
                    f"rtol={rtol:g}, atol={atol:g})")
        return None
    number = (int, float)
    if isinstance(expected, int) and not isinstance(expected, bool) and isinstance(actual, number) \
            and not isinstance(actual, bool):  # e.g. momentum 0 vs 0.0: the same setting
        return None if actual == expected else f"{path}: {actual!r}, expected {expected!r}"
    if isinstance(expected, float) and isinstance(actual, number) and not isinstance(actual, bool):
        if math.isfinite(expected) and not math.isfinite(actual):
            return f"{path}: {actual!r} (NaN or inf), expected {expected:.6g}"
        if not math.isfinite(expected):
            return None if repr(float(actual)) == repr(expected) else f"{path}: {actual!r}, expected {expected!r}"
        if abs(actual - expected) > atol + rtol * abs(expected):
            return f"{path}: {actual:.6g}, expected {expected:.6g}"
        return None
    if expected != actual or type(expected) is not type(actual):
        return f"{path}: {actual!r}, expected {expected!r}"
    return None


def explain(test, expected, actual):
    """A classic mistake visible in the outputs themselves (no solution needed), or None."""
    import torch
    if not (isinstance(expected, dict) and isinstance(actual, dict)):
        return None
    if test.probe == "optimizer":
        ec, ac = expected.get("class"), actual.get("class")
        if ec != ac:
            return f"the optimizer is {ac} where {ec} was asked"
        eh, ah = expected.get("hyper", {}), actual.get("hyper", {})
        if "betas" in eh and eh.get("betas") != ah.get("betas"):
            return f"the optimizer's betas are {ah.get('betas')}, asked: {eh['betas']}"
        wrong = [k for k in eh if eh[k] != ah.get(k)]
        if wrong:
            return "wrong optimizer settings: " + ", ".join(f"{k}={ah.get(k)!r} (asked {eh[k]!r})" for k in wrong)
    if test.probe == "param_summary":
        for e, a in zip(expected.get("params", []), actual.get("params", []) or []):
            if isinstance(a, dict) and e.get("all_zero") and not a.get("all_zero") and e.get("shape") == a.get("shape"):
                return f"the parameter of shape {tuple(e['shape'])} should start at zero (non-zero values found)"
    caps_e, caps_a = expected.get("captions"), actual.get("captions")
    if isinstance(caps_e, torch.Tensor) and isinstance(caps_a, torch.Tensor) and caps_a.shape == caps_e.shape:
        from .probes_captioning import START
        if caps_a.numel() and bool((caps_a[:, 0] == START).all()) and not bool((caps_e[:, 0] == START).all()):
            return ("the sampled captions start with <START>: write the first *sampled* word at position 0 "
                    "(<START> is only the first input)")
    return None


def judge(test, expected, actual, mistakes=None):
    """None when the test passes, else the message for the student. Never raises: an error while
    comparing (a strange reply) fails this test with a message instead of crashing the grader.
    ``mistakes`` (optional) maps a mistake's description to the output it would produce."""
    try:
        problem = compare(expected, actual, test.rtol, test.atol, {k: tuple(v) for k, v in test.tol.items()})
    except Exception as err:  # noqa: BLE001 -- any reply must give a grade, never a crash
        return f"the outputs could not be compared ({type(err).__name__}: {str(err)[:200]})"
    if problem is None:
        return None
    try:
        hint = explain(test, expected, actual)
        if hint is None:
            for name, wrong in (mistakes or {}).items():
                if compare(wrong, actual, test.rtol, test.atol, {k: tuple(v) for k, v in test.tol.items()}) is None:
                    hint = name
                    break
    except Exception:  # noqa: BLE001 -- feedback is a bonus; never let it cost the grade
        hint = None
    return problem if hint is None else f"{problem}\n  Likely mistake: {hint}."
