"""Autograder: ``python -m eecs598 grade SUBMISSION``.

Modules by job, imports pointing one way (specs -> questions -> grade -> cli):

- tests: ``specs/`` (each notebook's public tests, ``specs/NAME.py`` for registry notebook NAME),
  ``hidden`` (their hidden twins, instructors only), ``questions`` (collects them: points, parts);
- calling student code: ``probes`` (runs a probe; ``probing`` is what all probes share, the probes
  are in ``probes_generic``, ``probes_captioning``, ``probes_vision``, ``probes_gan``);
- isolation: ``sandbox`` (zygote and question processes), ``child`` (one question process),
  ``support`` (what the sandbox may read), ``isolation`` (bubblewrap, uids, limits), ``seccomp``
  (the system-call filter), ``worker`` (the sandboxed side), ``codec`` (safe wire format, no pickle);
- scoring: ``compare`` (judging one test), ``static_checks``, ``mistakes`` (classic-mistake
  feedback, instructors only), ``grade`` (reference outputs, one submission);
- reporting: ``results`` (Gradescope results.json), ``output`` (safe files, CSV), ``cli``.
"""
