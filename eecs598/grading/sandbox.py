"""The grader's side of the sandbox: one trusted zygote, one sandboxed process per question.

* The *zygote* (started once per :class:`Sandbox`, replaced if it dies) imports torch, numpy,
  the helper package and the probes, and never imports student code. It stays outside every
  sandbox; student processes cannot see it (own pid namespace) nor signal it (other uid).
* :meth:`Sandbox.spawn` asks it to fork a question process, which enters a fresh sandbox
  (:mod:`eecs598.grading.isolation`: strong = bubblewrap namespaces + whitelist filesystem +
  own uid; weak = own uid + rlimits) and imports the student's module (:mod:`.worker`).
* The grader sends tasks and reads replies (:mod:`.codec`: JSON, size/depth/digit limits) with
  absolute deadlines; it computes the expected outputs itself, so nothing the student code
  does in its process changes a grade except its returned values.
* A monitor thread sums the private memory of all processes of each live question (found by
  their uid) and kills the question that goes over its limit; :meth:`Child.close` kills every
  process of the question's uid and (weak mode) removes its files from ``/tmp`` and ``/dev/shm``.

The question process as the grader sees it is :class:`.child.Child`; what the sandbox may read
is prepared by :mod:`.support`; the isolation itself is :mod:`.isolation`.
"""
import json
import os
import queue
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import isolation as isolation_mod
from .child import Child, ChildDied, ChildTimeout, descendants
from .support import build_support, others_can_reach


REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MEM_MB = 1536      # memory all processes of a question may add beyond the preloaded libraries
DEFAULT_FSIZE_MB = 64      # largest file a question may write
IMPORT_TIMEOUT_S = 60.0
PRELOAD = ("numpy", "torch", "torch.nn", "torch.nn.functional", "torch.optim", "torchvision",
           "PIL.Image", "tqdm.auto", "matplotlib", "matplotlib.pyplot", "scipy.ndimage",
           "a4_helper", "eecs598", "eecs598.grading.probes", "eecs598.grading.worker")


class Sandbox:
    """The zygote plus the bookkeeping of its question processes. Use as a context manager.

    Inputs:
    - repo_root: where the helper package comes from (copied, minus secret files).
    - mem_mb: memory all processes of a question may add on top of the preloaded libraries.
    - hide: paths the sandboxed code must not read (weak mode: made private with chmod o-rwx
      while the sandbox is open, when we own them; strong mode sees only its whitelist anyway).
    - isolation: 'auto' (strong when possible), 'strong' (or fail), 'weak'. ``isolate=False``
      (older name) means weak without changing uid.
    """

    def __init__(self, repo_root=REPO_ROOT, mem_mb=DEFAULT_MEM_MB, hide=(), isolation="auto", isolate=True):
        self.repo_root = Path(repo_root).resolve()
        self.mem_mb = mem_mb
        self.mode = isolation_mod.detect("weak" if not isolate else isolation)
        self.drop_uid = bool(isolate) and os.geteuid() == 0
        self.network_isolated = self.mode == "strong" or (self.drop_uid and isolation_mod.can_unshare_net())
        self.root = Path(tempfile.mkdtemp(prefix="eecs598-grade-"))
        os.chmod(self.root, 0o711)  # weak mode: each uid may traverse to its own folder, not list
        self.support = self.root / "support"
        self.work = self.root / "work"
        self.support.mkdir()
        self.work.mkdir(mode=0o711)
        os.chmod(self.work, 0o711)
        build_support(self.support, self.repo_root)
        self.locked = []
        if self.mode == "weak" and self.drop_uid:
            self._lock([self.repo_root] + [Path(h).resolve() for h in hide])
        self._uid_base, self._uid_next = isolation_mod.uid_block(), 0
        self._lock_ = threading.Lock()
        self._cond = threading.Condition()
        self._exits, self._forked, self._req = {}, {}, 0
        self._live = {}
        self._closed = False
        self.restarts = 0
        self.report = {}
        self._zygote = None
        self._cleanup = queue.Queue()
        threading.Thread(target=self._reap, daemon=True).start()
        self._start()
        self._monitor = threading.Thread(target=self._watch_memory, daemon=True)
        self._monitor.start()

    def _lock(self, paths):
        """Weak mode, as root: take other users' access away from grader-only folders we own."""
        for path in paths:
            try:
                st = path.stat()
                if path.is_dir() and st.st_uid == os.geteuid() and st.st_mode & 0o007:
                    os.chmod(path, stat.S_IMODE(st.st_mode) & ~0o007)
                    self.locked.append((str(path), stat.S_IMODE(st.st_mode)))
            except OSError:
                pass

    # -- zygote management
    def _start(self):
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {"support": str(self.support), "preload": list(PRELOAD)}
        boot = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from eecs598.grading.worker import zygote_main; zygote_main(int(sys.argv[2]), sys.argv[3])")
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "OMP_NUM_THREADS": "1",
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
        self.report = {"mode": self.mode, "uid": "own uid per question" if self.drop_uid else os.geteuid(),
                       "netns": self.mode == "strong", "hidden": self.mode == "strong",
                       "preload_errors": hello.get("preload_errors", [])}
        self._ctrl.settimeout(None)
        with self._cond:
            self._forked.pop("dead", None)
        self._reader = threading.Thread(target=self._read_ctrl, args=(self._ctrl,), daemon=True)
        self._reader.start()

    def _read_ctrl(self, ctrl):
        while True:
            try:
                data = ctrl.recv(65536)
                msg = json.loads(data) if data else None
            except (OSError, ValueError):
                msg = None
            with self._cond:
                if not isinstance(msg, dict):
                    if ctrl is self._ctrl:
                        self._forked["dead"] = True
                    self._cond.notify_all()
                    return
                if msg.get("type") == "forked":
                    self._forked[msg["req"]] = msg
                elif msg.get("type") == "exit":
                    self._exits[msg["pid"]] = msg["status"]
                    if len(self._exits) > 4096:  # reaped orphans nobody asks about
                        self._exits.pop(next(iter(self._exits)))
                self._cond.notify_all()

    def _zygote_alive(self):
        return self._zygote is not None and self._zygote.poll() is None and "dead" not in self._forked

    def _stop_zygote(self):
        try:
            self._ctrl.close()
        except (OSError, AttributeError):
            pass
        z = self._zygote
        if z is not None and z.poll() is None:
            try:
                os.killpg(z.pid, signal.SIGKILL)
            except OSError:
                pass
            z.wait()
        err = getattr(self, "_zygote_err", None)
        if err is not None:
            err.close()

    def exit_status(self, pid, wait=2.0):
        """The child's waitpid status, waiting up to ``wait`` s for the zygote to reap it."""
        deadline = time.monotonic() + wait
        with self._cond:
            while pid not in self._exits and time.monotonic() < deadline and "dead" not in self._forked:
                self._cond.wait(max(0.01, deadline - time.monotonic()))
            return self._exits.pop(pid, None)

    # -- limits across all processes of a question
    def forget(self, child):
        """Stop watching ``child``'s memory (it is being killed)."""
        with self._cond:
            self._live.pop(id(child), None)

    def _pids_of(self, child):
        if self.drop_uid:
            return isolation_mod.processes_by_uid([child.uid]).get(child.uid, [])
        return [child.pid] + descendants(child.pid)

    def kill_leftovers(self, child):
        """Kill what is left of ``child``'s processes (and, weak mode, remove its files)."""
        if self.drop_uid:  # in the background: grading goes on while the uid is emptied
            self._cleanup.put(child.uid)
        else:
            for pid in descendants(child.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def _reap(self):
        while True:
            uid = self._cleanup.get()
            try:
                isolation_mod.kill_uid(uid)
                if self.mode == "weak":
                    isolation_mod.remove_files_of(uid)
            finally:
                self._cleanup.task_done()

    def _watch_memory(self):
        """10 times a second: the cheap upper bound first, the exact sum only when it is over."""
        limit = self.mem_mb * 1024 * 1024
        while not self._closed:
            with self._cond:
                live = list(self._live.values())
            if self.drop_uid and live:
                by_uid = isolation_mod.processes_by_uid([c.uid for c in live])
            for child in live:
                pids = by_uid.get(child.uid, []) if self.drop_uid else self._pids_of(child)
                if child.alive and isolation_mod.anonymous_memory(pids) > limit \
                        and isolation_mod.private_memory(pids) > limit:
                    child.over_memory = True
                    child.terminate()
            time.sleep(0.1)

    # -- reporting
    def solutions_exposed(self):
        """True when question processes could read the solutions or hidden tests."""
        if self.mode == "strong":
            return False
        secret = self.repo_root / "eecs598" / "grading" / "hidden.py"
        if not self.drop_uid:
            return secret.exists()
        return others_can_reach(secret)

    def isolation_report(self):
        """What this run achieved, for ``results.json``'s ``extra_data``."""
        return {"level": self.mode, "distinct_uid_per_question": self.drop_uid,
                "namespaces": self.mode == "strong", "network_isolated": self.network_isolated,
                "filesystem": "whitelist (read-only)" if self.mode == "strong" else "host (permissions only)",
                "solutions_exposed": self.solutions_exposed(), "made_private": [p for p, _ in self.locked],
                "memory_limit_mb": self.mem_mb, "process_limit": isolation_mod.NPROC if self.drop_uid else None,
                "zygote_restarts": self.restarts}

    def describe(self):
        if self.mode == "strong":
            text = ("sandbox: strong (bubblewrap: own pid/net/ipc/uts/mount namespaces, whitelisted read-only "
                    f"filesystem, own uid per question, memory limit +{self.mem_mb} MB per question)")
        else:
            text = (f"sandbox: WEAK ({'own uid per question' if self.drop_uid else 'same uid as the grader'}, "
                    f"network {'off' if self.network_isolated else 'NOT isolated'}, repository NOT hidden by "
                    f"namespaces (permissions only), memory limit +{self.mem_mb} MB)")
        if self.solutions_exposed():
            text += ("; WARNING: student code can read the solutions and hidden tests (grade as root, or make the "
                     "repository unreadable to others: chmod -R o-rwx)")
        return text

    # -- question processes
    def _new_uid(self):
        with self._lock_:
            uid = self._uid_base + self._uid_next % 4096
            self._uid_next += 1
        return uid if self.drop_uid else os.geteuid()

    def spawn(self, module_name, files, limits=None, deadline=None):
        """Start a sandboxed process for one question whose working folder holds ``files``
        (name -> bytes) and that imports ``module_name``; wait for its import report until
        ``deadline`` (monotonic; default now + 60 s). Returns a :class:`Child` (``child.imported``)."""
        deadline = deadline or time.monotonic() + IMPORT_TIMEOUT_S
        uid = self._new_uid()
        workdir = Path(tempfile.mkdtemp(prefix="q-", dir=self.work))
        for name, data in files.items():
            (workdir / name).write_bytes(data)
        msg = {"type": "fork", "mode": self.mode, "uid": uid, "module": module_name,
               "limits": dict({"mem_mb": self.mem_mb, "fsize_mb": DEFAULT_FSIZE_MB, "cpu_s": 600,
                               "nproc": isolation_mod.NPROC}, **(limits or {}))}
        if self.mode == "strong":
            os.chmod(workdir, 0o700)  # bwrap (root) copies the files in; the uid never sees this folder
            msg.update(binds=isolation_mod.python_paths() + [str(self.support)],
                       files={name: str(workdir / name) for name in files})
        else:
            if self.drop_uid:
                for p in [workdir, *workdir.iterdir()]:
                    os.chown(p, uid, uid)
            os.chmod(workdir, 0o700)
            msg["workdir"] = str(workdir)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_file = tempfile.TemporaryFile(dir=self.root)
        reply = None
        for _ in range(2):  # a dead zygote is replaced once
            with self._lock_:
                if not self._zygote_alive():
                    self._stop_zygote()
                    self._start()
                    self.restarts += 1
                self._req += 1
                req = self._req
                try:
                    socket.send_fds(self._ctrl, [json.dumps(dict(msg, req=req)).encode()],
                                    [theirs.fileno(), out_file.fileno()])
                except OSError:
                    with self._cond:
                        self._forked["dead"] = True
                    continue
            with self._cond:
                wait_until = time.monotonic() + 60
                while req not in self._forked and "dead" not in self._forked and time.monotonic() < wait_until:
                    self._cond.wait(1.0)
                reply = self._forked.pop(req, None)
            if reply is not None:
                break
        theirs.close()
        if reply is None:
            mine.close()
            raise RuntimeError("the grading sandbox (zygote) stopped answering")
        child = Child(self, reply["pid"], mine, out_file, workdir, uid)
        with self._cond:
            self._live[id(child)] = child
        try:
            child.imported = child.wait_ready(min(deadline, time.monotonic() + IMPORT_TIMEOUT_S))
        except (ChildDied, ChildTimeout) as err:
            child.imported = {"type": "imported", "ok": False, "error": f"importing {module_name} failed: {err}"}
        return child

    def close(self):
        self._closed = True
        with self._cond:
            live = list(self._live.values())
        for child in live:
            child.kill()
        self._cleanup.join()  # every process of every question is gone (the zygote reaps them)
        self._stop_zygote()
        shutil.rmtree(self.root, ignore_errors=True)
        for path, mode in self.locked:  # weak mode: other users' access comes back after grading
            try:
                os.chmod(path, mode)
            except OSError:
                pass
        self.locked = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

