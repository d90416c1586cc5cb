"""Notebook checks against stored reference outputs: ``check('gram_matrix', gram_matrix)``.

The student's function runs on the inputs of the autograder's public tests of that function
(:data:`eecs598.grading.questions.PUBLIC`, inputs built from seeds) and its outputs -- and the
gradients those tests ask for -- are compared with the expected ones:

* in the student release, the stored ``eecs598/grading/public_expected.json``, which
  ``python -m eecs598 release`` writes from the reference solution;
* in the instructors' repository, the reference solution itself (``grading.grade.Reference``),
  which is what the release stores.

So no code that computes an answer ships with the notebooks; only numbers do.
"""
import json
import types

from .grading import codec, probes
from .grading.compare import judge


def public_tests_of(name):
    """The public ``call`` tests of the function ``name`` (its checks)."""
    from .grading.questions import PUBLIC
    return [t for t in PUBLIC if t.probe == "call" and t.args.get("fn") == name]


def check(name, fn, reference=None):
    """Run ``fn`` (the student's ``name``) on its public tests' inputs and print, per test,
    ``PASSED`` or the difference from the stored outputs; returns ``{test name: problem or None}``.

    Raises ``NotImplementedError`` while ``fn`` still returns ``None`` (its ``pass`` stub).
    """
    from .grading.grade import Reference
    tests = public_tests_of(name)
    if not tests:
        raise ValueError(f"no stored check for {name!r}")
    reference = reference or Reference()
    module = types.SimpleNamespace(**{name: fn})
    results = {}
    for test in tests:
        try:
            actual = probes.run(test.probe, module, test.args)
        except probes.NotImplementedYet as err:
            raise NotImplementedError(f"{name} is not implemented yet ({err}); write it between the lines "
                                      f"'Replace \"pass\" statement with your code' and 'END OF YOUR CODE'") from None
        actual = codec.decode(json.loads(json.dumps(codec.encode(actual))))  # as the grader receives it
        problem = judge(test, reference.expected(test), actual)
        results[test.name] = problem
        print(f"{test.name}: " + ("PASSED (equal to the stored reference outputs)" if problem is None
                                  else f"FAILED: {problem}"))
    return results
