"""Run student code in a separate, limited process and talk to it over a private socket.

Design (why nothing the student code does can change a grade except its return values):

* A *zygote* process is started once per grader. It is clean: it never imports student code.
  When the grader runs as root it first enters new mount and network namespaces, mounts empty
  read-only filesystems over the repository (solutions, hidden tests) and over any other
  grader-only path, and drops to an unprivileged uid (``nobody``). Then it imports torch,
  numpy, the helper package and the probes once (this is what makes forking cheap).
* For each question the grader asks the zygote to fork a *child*: new session, clean temporary
  working directory holding only a copy of the submission's module, stdout/stderr into a file,
  resource limits (address space, file size, processes, CPU), the student module imported.
* The grader then sends tasks ("run probe P with arguments A under seed S"); the child replies
  with the probe's *outputs*, encoded by :mod:`eecs598.grading.codec` (JSON, no pickle). The
  grader computes the expected outputs itself with the trusted reference and decides pass/fail.
  So printing, writing files, forging replies or monkeypatching torch inside the child can at
  most change the child's own outputs.
* Each task has a wall-clock limit; a child that hangs, exits or is killed is replaced by a
  fresh one for the next task, so one broken function costs only its own tests.

The child side (``_zygote_main``, ``_worker``) uses only the standard library plus what the
zygote preloads; this file ships with the student release (it holds nothing secret).
"""
import ctypes
import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from . import codec

REPO_ROOT = Path(__file__).resolve().parents[2]
SANDBOX_USER_UID = 65534  # nobody
SANDBOX_USER_GID = 65534
DEFAULT_MEM_MB = 1536      # extra address space a child may map beyond the preloaded libraries
DEFAULT_FSIZE_MB = 64      # largest file a child may write
IMPORT_TIMEOUT_S = 60.0
PRELOAD = ("numpy", "torch", "torch.nn", "torch.nn.functional", "torch.optim", "torchvision",
           "PIL.Image", "tqdm.auto", "matplotlib", "matplotlib.pyplot", "scipy.ndimage",
           "a4_helper", "eecs598", "eecs598.grading.probes")
# Files of eecs598/grading that never leave the grader (not copied into the sandbox, not released).
SECRET_FILES = ("hidden.py",)


# --------------------------------------------------------------------------------- parent side
class ChildDied(Exception):
    """The child process ended (exit, signal, limit); ``str`` says how."""


class ChildTimeout(Exception):
    """The child did not answer within the wall-clock limit (it has been killed)."""


def describe_status(status):
    """Human-readable reason from a ``waitpid`` status (or None when unknown)."""
    if status is None:
        return "the process ended"
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        return f"the process exited with status {code} (sys.exit / os._exit called by student code?)"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        hint = {signal.SIGKILL: " (killed: memory or CPU limit?)", signal.SIGXCPU: " (CPU limit)",
                signal.SIGXFSZ: " (file size limit)", signal.SIGSEGV: " (crash)"}.get(sig, "")
        return f"the process was killed by {name}{hint}"
    return f"the process ended (status {status})"


class Child:
    """A forked child serving one question; ``call`` sends a task and waits for the reply."""

    def __init__(self, sandbox, pid, sock, out_file, workdir):
        self.sandbox, self.pid, self.sock, self.out_file, self.workdir = sandbox, pid, sock, out_file, workdir
        self.alive = True

    def _recv(self, timeout):
        self.sock.settimeout(timeout)
        try:
            return codec.recv(self.sock)
        except socket.timeout:
            self.kill()
            raise ChildTimeout(f"no answer within {timeout:.0f} s (infinite loop?); the process was killed") from None
        except (EOFError, ConnectionError, OSError):
            self.kill()
            raise ChildDied(describe_status(self.sandbox.exit_status(self.pid))) from None
        except codec.ProtocolError as err:
            self.kill()
            raise ChildDied(f"the process sent an invalid reply ({err})") from None

    def wait_ready(self, timeout=IMPORT_TIMEOUT_S):
        msg = self._recv(timeout)
        if not isinstance(msg, dict) or msg.get("type") != "imported":
            self.kill()
            raise ChildDied("the process sent an unexpected message instead of its import report")
        return msg

    def call(self, task_id, probe, args, seed, timeout):
        """Run one probe in the child; returns the reply dict (already validated)."""
        try:
            codec.send(self.sock, {"type": "task", "id": task_id, "probe": probe,
                                   "args": codec.encode(args), "seed": seed})
        except OSError:
            self.kill()
            raise ChildDied(describe_status(self.sandbox.exit_status(self.pid))) from None
        msg = self._recv(timeout)
        if not isinstance(msg, dict) or msg.get("type") != "result" or msg.get("id") != task_id:
            self.kill()
            raise ChildDied("the process sent a reply for another task (tampering?)")
        return msg

    def output_tail(self, limit=2000):
        """The last ``limit`` characters the child printed."""
        try:
            self.out_file.seek(0, os.SEEK_END)
            size = self.out_file.tell()
            self.out_file.seek(max(0, size - limit))
            return self.out_file.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def kill(self):
        if self.alive:
            self.alive = False
            for kill in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
                try:
                    kill()
                except OSError:
                    pass
        try:
            self.sock.close()
        except OSError:
            pass

    def close(self):
        self.kill()
        try:
            self.out_file.close()
        except OSError:
            pass
        shutil.rmtree(self.workdir, ignore_errors=True)


def _needed_paths():
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths.update(p for p in sys.path
                 if p and os.path.isdir(p) and ("site-packages" in p or "dist-packages" in p))
    return [os.path.realpath(p) for p in paths if p]


def _inside(path, parent):
    path, parent = os.path.realpath(path), os.path.realpath(parent)
    return path == parent or path.startswith(parent.rstrip(os.sep) + os.sep)


def _build_support(dest, repo_root):
    """Copy what student modules may import (a4_helper.py, eecs598/ minus secrets) to ``dest``."""
    dest = Path(dest)
    src_pkg = Path(repo_root) / "eecs598"
    for path in src_pkg.rglob("*.py"):
        rel = path.relative_to(src_pkg)
        if rel.parts[0] == "grading" and rel.name in SECRET_FILES:
            continue
        target = dest / "eecs598" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    helper = Path(repo_root) / "a4_helper.py"
    if helper.exists():
        shutil.copyfile(helper, dest / "a4_helper.py")
    for root, dirs, files in os.walk(dest):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)


def _descendants(root_pid):
    """Pids of every live descendant of ``root_pid`` (from /proc; empty where there is no /proc)."""
    children = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, stack = [], list(children.get(root_pid, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack += children.get(pid, [])
    return found


class Sandbox:
    """One zygote plus the temporary folders of its children. Use as a context manager.

    Inputs:
    - repo_root: where the helper package comes from (copied, minus secret files).
    - mem_mb: address space a child may add on top of the preloaded libraries (RLIMIT_AS).
    - hide: extra paths the children must not see (the repository is always hidden when possible).
    - isolate: 'auto' (namespaces + uid drop when running as root), or False (limits only).
    """

    def __init__(self, repo_root=REPO_ROOT, mem_mb=DEFAULT_MEM_MB, hide=(), isolate="auto"):
        self.repo_root = Path(repo_root).resolve()
        self.mem_mb = mem_mb
        self.root = Path(tempfile.mkdtemp(prefix="eecs598-grade-"))
        os.chmod(self.root, 0o711)  # others may traverse to their own folder, not list
        self.support = self.root / "support"
        self.work = self.root / "work"
        self.support.mkdir()
        self.work.mkdir(mode=0o711)
        os.chmod(self.work, 0o711)
        _build_support(self.support, self.repo_root)
        self.is_root = os.geteuid() == 0
        self.isolate = bool(isolate) and self.is_root
        hide_paths = [str(self.repo_root)] + [str(Path(h).resolve()) for h in hide]
        self.hide = list(dict.fromkeys(hide_paths))  # _isolate keeps what the sandbox itself needs
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self._exits, self._forked, self._req = {}, {}, 0
        self.report = {}
        self._start()

    # -- zygote management
    def _start(self):
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {"support": str(self.support), "root": str(self.root), "hide": self.hide,
                  "needed": _needed_paths() + [str(self.root)], "isolate": self.isolate,
                  "uid": SANDBOX_USER_UID, "gid": SANDBOX_USER_GID, "preload": list(PRELOAD)}
        boot = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from eecs598.grading.sandbox import _zygote_main; _zygote_main(int(sys.argv[2]), sys.argv[3])")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "HOME": str(self.work),
               "MPLCONFIGDIR": str(self.work), "PYTHONDONTWRITEBYTECODE": "1", "EECS598_OFFLINE": "1",
               "EECS598_DATA_DIR": str(self.work), "TQDM_DISABLE": "1", "PYTHONHASHSEED": "0",
               "CUDA_VISIBLE_DEVICES": "", "EECS598_DEVICE": "cpu"}  # grading is CPU-only: same numbers everywhere
        self._zygote_err = tempfile.TemporaryFile(dir=self.root)
        self._zygote = subprocess.Popen(
            [sys.executable, "-I", "-c", boot, str(self.support), str(child_sock.fileno()), json.dumps(config)],
            pass_fds=(child_sock.fileno(),), env=env, cwd=str(self.work), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self._zygote_err, start_new_session=True)
        child_sock.close()
        self._ctrl = parent_sock
        self._ctrl.settimeout(300)
        try:
            hello = json.loads(self._ctrl.recv(65536) or b"null")
        except (OSError, ValueError):
            hello = None
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            self._zygote_err.seek(0)
            err = self._zygote_err.read().decode("utf-8", "replace")[-3000:]
            self.close()
            raise RuntimeError(f"the grading sandbox did not start:\n{err}")
        self.report = hello["report"]
        self._ctrl.settimeout(None)
        self._reader = threading.Thread(target=self._read_ctrl, daemon=True)
        self._reader.start()

    def _read_ctrl(self):
        while True:
            try:
                data = self._ctrl.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self._cond:
                    self._forked["dead"] = True
                    self._cond.notify_all()
                return
            msg = json.loads(data)
            with self._cond:
                if msg["type"] == "forked":
                    self._forked[msg["req"]] = msg
                elif msg["type"] == "exit":
                    self._exits[msg["pid"]] = msg["status"]
                self._cond.notify_all()

    def exit_status(self, pid, wait=2.0):
        """The child's waitpid status, waiting up to ``wait`` s for the zygote to reap it."""
        deadline = time.time() + wait
        with self._cond:
            while pid not in self._exits and time.time() < deadline:
                self._cond.wait(deadline - time.time())
            return self._exits.pop(pid, None)

    def solutions_exposed(self):
        """True when the children could read the repository (not hidden, and world-readable)."""
        if self.report.get("hidden"):
            return False
        path = self.repo_root / "eecs598" / "grading" / "hidden.py"
        if not path.exists():
            return False
        if self.report.get("uid") == os.geteuid():
            return True
        parts = path.parts
        for i in range(2, len(parts)):
            if not os.stat(os.path.join(*parts[:i])).st_mode & stat.S_IXOTH:
                return False
        return bool(path.stat().st_mode & stat.S_IROTH)

    def describe(self):
        r = self.report
        parts = [f"uid {r.get('uid')}", "network off" if r.get("netns") else "network NOT isolated",
                 "repository hidden" if r.get("hidden") else "repository NOT hidden (hiding it needs root)",
                 f"memory limit +{self.mem_mb} MB", "own process per question"]
        if self.solutions_exposed():
            parts.append("WARNING: student code can read the solutions and hidden tests (grade as root, "
                         "or make the repository unreadable to others: chmod -R o-rwx)")
        return "sandbox: " + ", ".join(parts)

    def spawn(self, module_name, files, limits=None):
        """Fork a child whose clean working dir holds ``files`` (dict name -> bytes); import ``module_name``.

        Returns a :class:`Child` after its import report arrives (the report is ``child.imported``).
        """
        workdir = Path(tempfile.mkdtemp(prefix="q-", dir=self.work))
        for name, data in files.items():
            (workdir / name).write_bytes(data)
        if self.isolate:
            for p in [workdir, *workdir.iterdir()]:
                os.chown(p, SANDBOX_USER_UID, SANDBOX_USER_GID)
        os.chmod(workdir, 0o700)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_file = tempfile.TemporaryFile(dir=self.root)
        limits = dict({"mem_mb": self.mem_mb, "fsize_mb": DEFAULT_FSIZE_MB, "cpu_s": 600}, **(limits or {}))
        with self._lock:
            self._req += 1
            req = self._req
            payload = json.dumps({"type": "fork", "req": req, "workdir": str(workdir),
                                  "module": module_name, "limits": limits}).encode()
            socket.send_fds(self._ctrl, [payload], [theirs.fileno(), out_file.fileno()])
        theirs.close()
        with self._cond:
            deadline = time.time() + 60
            while req not in self._forked and "dead" not in self._forked and time.time() < deadline:
                self._cond.wait(1.0)
            msg = self._forked.pop(req, None)
        if msg is None:
            mine.close()
            raise RuntimeError("the grading sandbox (zygote) stopped answering")
        child = Child(self, msg["pid"], mine, out_file, workdir)
        try:
            child.imported = child.wait_ready()
        except (ChildDied, ChildTimeout) as err:
            child.imported = {"type": "imported", "ok": False, "error": f"importing {module_name} failed: {err}"}
        return child

    def close(self):
        try:
            self._ctrl.close()
        except (OSError, AttributeError):
            pass
        z = getattr(self, "_zygote", None)
        if z is not None and z.poll() is None:
            for pid in _descendants(z.pid):  # children and anything they left running
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.killpg(z.pid, signal.SIGKILL)
            except OSError:
                pass
            z.wait()
        err = getattr(self, "_zygote_err", None)
        if err is not None:
            err.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------------------- child side
_CLONE_NEWNS, _CLONE_NEWNET = 0x00020000, 0x40000000
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


def _isolate(config):
    """Namespaces + hide paths + drop privileges (root only). Returns a report dict."""
    report = {"uid": os.geteuid(), "netns": False, "hidden": False}
    if not config["isolate"]:
        return report
    libc = ctypes.CDLL(None, use_errno=True)
    # Mounts are made only in a new mount namespace whose propagation to the host is cut off.
    if libc.unshare(_CLONE_NEWNS | _CLONE_NEWNET) == 0 and \
            libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) == 0:
        report["netns"] = True
        needed = config["needed"]
        ok = True

        def hide(path, depth=0):
            nonlocal ok
            if not os.path.exists(path):
                return
            if any(_inside(n, path) for n in needed):
                if depth > 3 or not os.path.isdir(path) or os.path.islink(path):
                    return
                for name in os.listdir(path):  # hide the siblings of what must stay visible
                    hide(os.path.join(path, name), depth + 1)
                return
            if os.path.isdir(path) and not os.path.islink(path):
                r = libc.mount(b"tmpfs", path.encode(), b"tmpfs", _MS_RDONLY, b"size=4k,mode=0555")
            else:
                r = libc.mount(b"/dev/null", path.encode(), None, _MS_BIND, None)
            ok = ok and r == 0

        for path in config["hide"]:
            hide(os.path.realpath(path))
        report["hidden"] = ok
        try:  # only inside our own mount namespace: never mount over the host's folders
            _reexpose(libc, config["needed"], config["root"])
        except OSError:
            pass
    try:
        os.setgroups([])
        os.setgid(config["gid"])
        os.setuid(config["uid"])
    except OSError:
        pass
    report["uid"] = os.geteuid()
    return report


def _reexpose(libc, needed, root):
    """Make the Python installation reachable for the unprivileged uid when one of its ancestors
    is private (e.g. a pyenv under /root, mode 700): in our own mount namespace, put an empty
    world-readable tmpfs over that ancestor and bind the needed folders back into it."""
    def private_ancestor(path):
        parts = Path(path).parts
        for i in range(2, len(parts)):
            anc = os.path.join(*parts[:i])
            if not os.stat(anc).st_mode & stat.S_IXOTH:
                return anc
        return None

    plan = {}
    for path in sorted(set(needed)):
        if os.path.isdir(path):
            anc = private_ancestor(path)
            if anc and not _inside(root, anc):
                plan.setdefault(anc, []).append(path)
    for i, (anc, paths) in enumerate(plan.items()):
        paths = [p for p in paths if not any(p != q and _inside(p, q) for q in paths)]
        stashes = []
        for j, path in enumerate(paths):
            stash = os.path.join(root, f"stash-{i}-{j}")
            os.mkdir(stash)
            if libc.mount(path.encode(), stash.encode(), None, _MS_BIND | _MS_REC, None) != 0:
                raise OSError("bind mount failed")
            stashes.append((stash, path))
        if libc.mount(b"tmpfs", anc.encode(), b"tmpfs", 0, b"size=64k,mode=0755") != 0:
            raise OSError("tmpfs mount failed")
        for stash, path in stashes:
            os.makedirs(path, mode=0o755, exist_ok=True)
            libc.mount(stash.encode(), path.encode(), None, _MS_BIND | _MS_REC, None)
        libc.mount(None, anc.encode(), None, _MS_REMOUNT | _MS_RDONLY, None)  # now read-only


def _zygote_main(ctrl_fd, config_json):
    config = json.loads(config_json)
    ctrl = socket.socket(fileno=ctrl_fd)
    report = _isolate(config)
    try:  # orphans of the children (daemonised grandchildren) become ours, so close() finds them
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
    report["preload_errors"] = preload_errors
    ctrl.send(json.dumps({"type": "hello", "report": report}).encode())
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ctrl.settimeout(0.05)
    while True:
        # Reap finished children and tell the grader how they ended.
        while True:
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
                _child_main(msg, fds[0], fds[1])
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        ctrl.send(json.dumps({"type": "forked", "req": msg["req"], "pid": pid}).encode())


def _set_limits(limits):
    def vm_size_kb():
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1])
        return 0

    mb = 1024 * 1024
    budget = vm_size_kb() * 1024 + int(limits["mem_mb"]) * mb
    for name, value in (("RLIMIT_AS", budget), ("RLIMIT_FSIZE", int(limits["fsize_mb"]) * mb),
                        ("RLIMIT_CORE", 0), ("RLIMIT_CPU", int(limits["cpu_s"]))):
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (ValueError, OSError):
            pass
    if os.geteuid() != 0:
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (512, 512))
        except (ValueError, OSError):
            pass


def _child_main(msg, sock_fd, out_fd):
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    sock = socket.socket(fileno=sock_fd)
    os.chdir(msg["workdir"])
    os.environ["HOME"] = msg["workdir"]
    _set_limits(msg["limits"])
    sys.path.insert(0, msg["workdir"])
    _worker(sock, msg["module"])


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


def _worker(sock, module_name):
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
