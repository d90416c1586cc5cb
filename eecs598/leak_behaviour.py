"""The behavioural half of the leak check (see :mod:`eecs598.leak_check`): does any released
callable reproduce the reference outputs of a public autograder test?

In a subprocess with a timeout (:func:`behaviour_leaks`): for every public
autograder test, the graded function's call is recorded on the reference solution (arguments
the probe passes); then every callable of the release -- functions, methods, lambdas and
classes at any depth of every ``.py`` file, and those defined in notebook cells -- whose
signature accepts those arguments takes the graded function's place in the probe, and a
callable whose outputs pass the test (the grader's own comparison) reproduces the reference:
a leak. Student stubs take part too (they return ``None``; a stub that did not would be a
leak). What cannot be run is reported, never skipped silently: files that fail to import,
definitions that fail to compile on their own, calls that time out, and the top-level
statements of notebook cells (they load data and train; the AST comparison covers them).

Run in the child, released code cannot start processes, open sockets, close the checker's files
or delete files outside its scratch folder (those calls raise), and each call has a time limit.
This file runs as a script in the child (``python -I leak_behaviour.py OUT ROOT RESULT``), with
the release first on ``sys.path``: it imports nothing of this repository's ``eecs598`` at the top.
"""
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

CALL_TIMEOUT_S = 0.5     # per candidate call (or 20x the reference's time on that test, if longer)
CANDIDATE_BUDGET_S = 2.0  # per candidate, all tests together: then it is reported as too slow
# Modules that control processes (spawn, drop privileges, install seccomp filters, close file
# descriptors, talk over sockets): their functions could change or end the checking process itself.
PROCESS_CONTROL = ("subprocess", "ctypes", "resource", "socket", "signal", "multiprocessing", "pty", "fcntl")


def code_cells(text):
    """The code cells of a notebook's JSON text, IPython magics and shell lines commented out."""
    cells = []
    for cell in json.loads(text).get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            cells.append(re.sub(r"(?m)^(\s*)([%!])", r"\1#\2", src))
    return cells


def behaviour_leaks(out_dir, root, timeout=600, only=None):
    """Run :func:`_child_main` in a subprocess; returns ``(findings, unchecked, summary)``.
    ``only``: names of graded functions whose public tests are run (default: all)."""
    with tempfile.TemporaryDirectory(prefix="leak_check_") as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EECS598_", "PYTHON"))}
        env.update(EECS598_OFFLINE="1", EECS598_DATA_DIR=str(Path(scratch) / "data"), MPLBACKEND="Agg",
                   OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", HOME=scratch)
        result = Path(scratch) / "result.json"
        cmd = [sys.executable, "-I", str(Path(__file__).resolve()), str(Path(out_dir).resolve()),
               str(Path(root).resolve()), str(result), ",".join(only or ())]
        try:
            proc = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        except subprocess.TimeoutExpired:
            progress = result.with_suffix(".progress")
            last = progress.read_text().splitlines()[-1:] if progress.exists() else []
            return [f"behaviour: the check did not finish within {timeout} s (refused: nothing was shown "
                    f"to be safe); last call started: {last}"], [], "behavioural check timed out"
        if proc.returncode != 0 or not result.exists():
            return [f"behaviour: the check itself failed (exit {proc.returncode}): {proc.stderr[-1500:]}"], [], \
                "behavioural check failed"
        data = json.loads(result.read_text())
    return data["leaks"], data["unchecked"], data["summary"]


# ------------------------------------------------------------------------- child (subprocess)
def _guard(scratch, protected=()):
    """Released code run here may not start processes, open network connections or delete
    files outside ``scratch``: those calls raise PermissionError."""
    import shutil
    import socket

    def refuse(*args, **kwargs):
        raise PermissionError("blocked by the leak check")

    def inside(path):
        return os.path.realpath(path).startswith(os.path.realpath(scratch) + os.sep)

    def guarded(fn):
        def call(path, *args, **kwargs):
            if not inside(path):
                raise PermissionError(f"blocked by the leak check: {fn.__name__}({path!r})")
            return fn(path, *args, **kwargs)
        return call

    import builtins
    import io
    real_open, real_close = builtins.open, os.close

    def open_path(file, *args, **kwargs):  # an int "path" is a file descriptor: ours
        if isinstance(file, int):
            raise PermissionError("blocked by the leak check: open() of a file descriptor")
        return real_open(file, *args, **kwargs)

    def close(fd):
        if fd <= 2 or fd in protected:
            raise PermissionError("blocked by the leak check: os.close() of the checker's file")
        return real_close(fd)

    builtins.open = io.open = open_path
    os.close, os.closerange = close, refuse
    subprocess.Popen.__init__ = refuse
    for name in ("system", "fork", "forkpty", "kill", "killpg", "setsid", "execv", "execve", "spawnv",
                 "posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            setattr(os, name, refuse)
    socket.socket.connect = socket.socket.connect_ex = socket.socket.bind = refuse
    os.remove, os.unlink, os.rmdir = guarded(os.remove), guarded(os.unlink), guarded(os.rmdir)
    shutil.rmtree = guarded(shutil.rmtree)


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _standalone(node, namespace, filename):
    """Compile a def/class/lambda node on its own (decorators dropped) in ``namespace``."""
    import copy
    node = copy.deepcopy(node)
    if isinstance(node, ast.Lambda):
        code = compile(ast.fix_missing_locations(ast.Expression(node)), filename, "eval")
        return eval(code, namespace)  # noqa: S307 -- released (instructor-written) code
    node.decorator_list = []
    ns = dict(namespace)
    exec(compile(ast.fix_missing_locations(ast.Module([node], [])), filename, "exec"), ns)  # noqa: S102
    return ns[node.name]


def _candidates(out_dir, unchecked):
    """``[(label, callable, is_method)]`` for every def/class/lambda of the release."""
    import importlib
    import importlib.util
    import types
    out = []
    for path in sorted(Path(out_dir).rglob("*")):
        rel = path.relative_to(out_dir).as_posix()
        if path.suffix == ".py":
            uses = _process_control(path.read_text(encoding="utf-8"))
            if uses:
                unchecked.append(f"{rel}: its callables are not run, the module imports {', '.join(uses)} (process "
                                 "control: running them could change or end the checking process); the AST "
                                 "comparison covers it")
                continue
            dotted = rel[:-3].replace("/", ".")
            if dotted.endswith(".__init__"):
                dotted = dotted[:-9]
            if not (dotted == "eecs598" or dotted.startswith("eecs598.")) and "." in dotted or dotted == "conftest":
                name = "_leak_check_" + dotted.replace(".", "_")
                spec = importlib.util.spec_from_file_location(name, path)
                try:
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
                except BaseException as err:  # noqa: BLE001
                    unchecked.append(f"{rel}: not checked, it fails to import ({type(err).__name__}: {err})")
                    continue
            else:
                try:
                    module = importlib.import_module(dotted)
                except BaseException as err:  # noqa: BLE001
                    unchecked.append(f"{rel}: not checked, it fails to import ({type(err).__name__}: {err})")
                    continue
            sources = [(rel, path.read_text(encoding="utf-8"), vars(module))]
        elif path.suffix == ".ipynb":
            sources, skipped = [], 0
            namespace = {"__name__": f"_leak_check_nb_{path.stem}"}
            cells = code_cells(path.read_text(encoding="utf-8"))
            for i, src in enumerate(cells):
                try:
                    tree = ast.parse(src)
                except SyntaxError:
                    continue  # reported by the AST check
                for stmt in tree.body:
                    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                        try:
                            exec(compile(ast.Module([stmt], []), rel, "exec"), namespace)  # noqa: S102
                        except BaseException as err:  # noqa: BLE001
                            unchecked.append(f"{rel} cell {i + 1}: import failed ({type(err).__name__}: {err}); "
                                             "its definitions run without it")
                    elif isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                        try:
                            namespace[stmt.name] = _standalone(stmt, namespace, rel)
                        except BaseException:  # noqa: BLE001 -- reported below, when collected
                            pass
                    else:
                        skipped += 1
                sources.append((f"{rel} cell {i + 1}", src, namespace))
            unchecked.append(f"{rel}: {skipped} top-level statements of its code cells are not run (they load "
                             "data, train and plot; the AST comparison covers them), only the functions, classes "
                             "and lambdas they define")
        else:
            continue
        for label, src, namespace in sources:
            try:
                tree = ast.parse(src)
            except SyntaxError:
                continue
            methods = {id(f) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for f in c.body}
            for node in ast.walk(tree):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    continue
                where = f"{label}:{node.lineno} {getattr(node, 'name', '<lambda>')}"
                obj = namespace.get(getattr(node, "name", None)) if node in tree.body else None
                if not (isinstance(node, ast.ClassDef) and isinstance(obj, type)):
                    try:
                        obj = _standalone(node, namespace, label)
                    except BaseException as err:  # noqa: BLE001
                        unchecked.append(f"{where}: not run, it does not compile on its own "
                                         f"({type(err).__name__}: {err})")
                        continue
                if callable(obj) and not isinstance(obj, types.ModuleType):
                    out.append((where, obj, id(node) in methods and not isinstance(node, ast.ClassDef)))
    return out


def _process_control(source):
    """The process-control modules (:data:`PROCESS_CONTROL`) that ``source`` imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return sorted(found & set(PROCESS_CONTROL))


class _Proxy:
    """A module whose graded name is ``candidate``; every other name comes from the solution.
    Names the probe sets (``FeatureExtractor``) are also set where the candidate looks them up."""

    def __init__(self, solution, name, candidate):
        object.__setattr__(self, "_s", (solution, name, candidate))

    def __getattr__(self, attr):
        solution, name, candidate = object.__getattribute__(self, "_s")
        return candidate if attr == name else getattr(solution, attr)

    def __setattr__(self, attr, value):
        solution, name, candidate = object.__getattribute__(self, "_s")
        setattr(solution, attr, value)
        fn = candidate.__init__ if isinstance(candidate, type) else candidate
        scope = getattr(fn, "__globals__", None)
        if scope is not None and attr in scope:
            scope[attr] = value


def _seed(seed):
    import random

    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _record(probes, test, solution, primary):
    """``((args, kwargs), seconds)``: what the probe passes to ``primary`` (recorded on the
    solution), and how long the reference takes on the test."""
    import time
    calls = []
    real = getattr(solution, primary)

    def recorder(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    _seed(test.seed)
    start = time.perf_counter()
    probes.run(test.probe, _Proxy(solution, primary, recorder), test.args)
    return (calls[0] if calls else None), time.perf_counter() - start


def _accepts(fn, args, kwargs, is_method):
    import inspect
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    try:
        sig.bind(*(((None,) if is_method else ()) + tuple(args)), **kwargs)
        return True
    except TypeError:
        return False


def _child_main(out_dir, root, result_path, only=""):
    import importlib.util
    import signal
    import time

    out_dir, root = Path(out_dir), Path(root)
    scratch = os.getcwd()
    sys.argv = ["leak_check"]
    sys.dont_write_bytecode = True  # the release stays as written
    sys.path.insert(0, str(out_dir))
    import matplotlib
    matplotlib.use("Agg")
    import torch
    from eecs598.grading import codec, probes
    from eecs598.grading.compare import judge
    from eecs598.grading.grade import test_key
    from eecs598.grading.questions import PUBLIC, QUESTIONS
    stored = json.loads((out_dir / "eecs598" / "grading" / "public_expected.json").read_text())
    solutions = {}
    for module in {m for _, m, _ in QUESTIONS.values()}:
        spec = importlib.util.spec_from_file_location(f"_leak_check_solution_{module}", root / f"{module}.py")
        solutions[module] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(solutions[module])
    if only:
        PUBLIC = [t for t in PUBLIC if t.uses[0] in only.split(",")]
    calls = {}
    for test in PUBLIC:
        calls[test.name] = _record(probes, test, solutions[QUESTIONS[test.question][1]], test.uses[0])
    progress = open(Path(result_path).with_suffix(".progress"), "w")
    _guard(scratch, protected={progress.fileno()})
    unchecked, leaks = [], []
    candidates = _candidates(out_dir, unchecked)
    signal.signal(signal.SIGALRM, _alarm)
    state = (torch.get_default_dtype(), torch.is_grad_enabled(), dict(os.environ), torch.get_num_threads())
    runs, start, slow, spent = 0, time.time(), {}, {}
    import matplotlib.pyplot as plt
    for test in PUBLIC:
        call, ref_seconds = calls[test.name]
        limit = max(CALL_TIMEOUT_S, 20 * ref_seconds)
        if call is None:
            unchecked.append(f"test {test.name}: its probe never calls {test.uses[0]}; no callable was tried")
            continue
        expected = codec.decode(stored[test_key(test)])
        solution = solutions[QUESTIONS[test.question][1]]
        for where, fn, is_method in candidates:
            if where in slow or not _accepts(fn, *call, is_method):
                continue
            runs += 1
            progress.write(f"{time.time() - start:.1f} {test.name} {where}\n")
            progress.flush()
            target = (lambda *a, _f=fn, **k: _f(None, *a, **k)) if is_method else fn
            _seed(test.seed)
            began = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, limit, 0.5)  # again every 0.5 s if swallowed
            try:
                with torch.random.fork_rng():
                    actual = probes.run(test.probe, _Proxy(solution, test.uses[0], target), test.args)
                actual = codec.decode(json.loads(json.dumps(codec.encode(actual))))
                if judge(test, expected, actual) is None:
                    leaks.append(f"behaviour: {where} reproduces the reference outputs of the public test "
                                 f"{test.question} {test.name!r} (in place of {test.uses[0]})")
            except _Timeout:
                slow[where] = test.name
            except BaseException:  # noqa: BLE001 -- a candidate that fails reproduces nothing
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                spent[where] = spent.get(where, 0.0) + time.perf_counter() - began
                if spent[where] > CANDIDATE_BUDGET_S:
                    slow.setdefault(where, test.name)
                os.chdir(scratch)
                plt.close("all")
                torch.set_default_dtype(state[0])
                torch.set_grad_enabled(state[1])
                torch.set_num_threads(state[3])
                os.environ.clear()
                os.environ.update(state[2])
    for where, name in slow.items():
        unchecked.append(f"{where}: not run after test {name!r}: too slow (a call over max({CALL_TIMEOUT_S} s, 20x "
                         f"the reference's time) or {CANDIDATE_BUDGET_S} s in all; it loads data or trains)")
    summary = (f"{len(candidates)} released callables tried in place of the graded function of each of "
               f"{len(PUBLIC)} public tests where their signature accepts its arguments ({runs} runs, "
               f"{time.time() - start:.0f} s)")
    Path(result_path).write_text(json.dumps({"leaks": leaks, "unchecked": unchecked, "summary": summary}))


if __name__ == "__main__":
    _child_main(*sys.argv[1:5])
