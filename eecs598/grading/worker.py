"""The sandbox side: the zygote that preloads torch and forks question processes, and the loop a
question process runs (import the student module, then answer tasks).

The zygote never imports student code. For each fork request it forks a process that enters a
sandbox (:mod:`eecs598.grading.isolation`), sets its limits and imports the student's module;
the grader then sends tasks ``{"type": "task", "id": <random token>, "probe": ..., "args": ...,
"seed": ...}`` and gets the probe's outputs back, encoded by :mod:`eecs598.grading.codec`.
The process is never told which test (public or hidden, which name) a task belongs to.

Standard library + what the zygote preloads; ships with the student release (nothing secret).
"""
import json
import os
import signal
import socket
import sys
import traceback

from . import codec, isolation


def zygote_main(ctrl_fd, config_json):
    """Preload, say hello, then serve fork requests from the grader until it goes away."""
    config = json.loads(config_json)
    ctrl = socket.socket(fileno=ctrl_fd)
    try:  # orphans of question processes become ours, so they are reaped (no zombies left)
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass
    os.environ["PYTHONPATH"] = config["support"]
    preload_errors = []
    for name in config["preload"]:
        try:
            __import__(name)
        except Exception as err:  # a missing optional package must not stop grading
            preload_errors.append(f"{name}: {err}")
    try:
        import torch
        torch.set_num_threads(1)
    except Exception:
        pass
    ctrl.send(json.dumps({"type": "hello", "preload_errors": preload_errors}).encode())
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ctrl.settimeout(0.05)
    while True:
        while True:  # reap finished question processes and tell the grader how they ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            ctrl.send(json.dumps({"type": "exit", "pid": pid, "status": status}).encode())
        try:
            data, fds, _, _ = socket.recv_fds(ctrl, 65536, 4)
        except socket.timeout:
            continue
        except OSError:
            os._exit(0)
        if not data:
            os._exit(0)  # grader gone
        msg = json.loads(data)
        pid = os.fork()
        if pid == 0:
            try:
                ctrl.close()
                _question_main(msg, fds[0], fds[1])
            except BaseException:
                try:  # the sandbox could not be set up: say why in the question's output
                    os.write(fds[1], traceback.format_exc().encode()[-3000:])
                except OSError:
                    pass
                os._exit(70)
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        ctrl.send(json.dumps({"type": "forked", "req": msg["req"], "pid": pid}).encode())


def _question_main(msg, sock_fd, out_fd):
    keep = {sock_fd, out_fd}
    if msg["mode"] == "strong":
        isolation.enter_strong(msg, keep)  # returns inside the sandbox, as the sandbox uid
        workdir = "/work"
    else:
        isolation.enter_weak(msg, keep)
        workdir = msg["workdir"]
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    os.chdir(workdir)
    for key in ("HOME", "TMPDIR", "MPLCONFIGDIR", "EECS598_DATA_DIR"):
        os.environ[key] = workdir
    isolation.set_limits(msg["limits"])
    sys.path.insert(0, workdir)
    serve(socket.socket(fileno=sock_fd), msg["module"])


def _seed_all(seed):
    import random

    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _short_error(err):
    tb = traceback.extract_tb(err.__traceback__)
    where = ""
    for frame in reversed(tb):
        if "eecs598" not in frame.filename:
            where = f" (at {os.path.basename(frame.filename)}:{frame.lineno} in {frame.name})"
            break
    return f"{type(err).__name__}: {err}{where}"[:1500]


def serve(sock, module_name):
    """Import the student's module, report, then run tasks until the grader closes the socket."""
    import importlib

    from eecs598.grading import probes

    try:
        module = importlib.import_module(module_name)
        reply = {"type": "imported", "ok": True}
    except BaseException as err:  # SyntaxError, exceptions, sys.exit at import time
        module = None
        kind = "sys.exit called at import" if isinstance(err, SystemExit) else "import failed"
        reply = {"type": "imported", "ok": False, "error": f"{kind}: {_short_error(err)}"}
    sys.stdout.flush()
    codec.send(sock, reply)
    if module is None:
        return
    while True:
        try:
            msg = codec.recv(sock)
        except (EOFError, OSError, codec.ProtocolError):
            return
        result = {"type": "result", "id": msg.get("id")}
        try:
            _seed_all(int(msg["seed"]))
            value = probes.run(msg["probe"], module, codec.decode(msg["args"]))
            result.update(ok=True, value=codec.encode(value))
        except probes.NotImplementedYet as err:
            result.update(ok=False, kind="not_implemented", error=str(err))
        except SystemExit as err:
            result.update(ok=False, kind="exit", error=f"student code called sys.exit({err.code!r})")
        except MemoryError:
            result.update(ok=False, kind="memory", error="MemoryError: the memory limit was reached")
        except BaseException as err:
            text = str(err).lower()
            kind = "memory" if "alloc" in text and "memory" in text else "error"
            message = _short_error(err)
            if "nonetype" in text:  # e.g. self.net = None in a stub: most likely not written yet
                kind, message = "not_implemented", f"not implemented yet? {message}"
            result.update(ok=False, kind=kind, error=message)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        try:
            codec.send(sock, result)
        except (TypeError, ValueError, codec.ProtocolError) as err:
            codec.send(sock, {"type": "result", "id": msg.get("id"), "ok": False, "kind": "error",
                              "error": f"the outputs could not be sent back: {err}"})
