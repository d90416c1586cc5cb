"""Autograder: ``python -m eecs598 grade SUBMISSION``.

Modules: ``sandbox`` (student code in its own limited process, results over a private socket),
``codec`` (safe wire format, no pickle), ``probes`` (how student functions are called),
``questions`` (public tests and points; ``hidden.py`` holds the hidden ones, instructors only),
``grade`` (reference outputs, comparison, one submission), ``results`` (Gradescope results.json),
``cli`` (command line, batch mode).
"""
