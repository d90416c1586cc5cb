"""How a question's process is walled off from the host, the grader and the other students.

Two levels (``detect`` picks one; ``--isolation strong|weak|auto`` chooses):

* **strong** (root + bubblewrap): every question runs in a fresh ``bwrap`` sandbox -- its own pid,
  network, ipc, uts and mount namespaces, ``--die-with-parent``, a read-only filesystem made only of
  a whitelist (``/usr``, the Python installation and its site-packages, the grader's support
  package, the student's module), and private size-capped tmpfs for ``/tmp``, ``/dev/shm`` and the
  working folder ``/work``. A torch-preloaded process (forked from the zygote, which never runs
  student code) *joins* the sandbox's namespaces (``setns``) and its root (``chroot``), forks the
  student process into its pid namespace and drops to a uid used by no other sandbox. When the
  sandbox's init ends, the kernel kills every process left in its pid namespace.
* **weak** (no bubblewrap, or no ``CAP_SYS_ADMIN``: e.g. Gradescope's containers): a separate
  unprivileged uid per question (when root), no network when a network namespace can be had,
  rlimits; leftovers are found by uid and killed, their files in ``/tmp`` and ``/dev/shm`` removed.
  The filesystem is the host's: only what the uid cannot read stays secret.

In both, a seccomp filter (:func:`.seccomp.deny_namespaces`) keeps the question from making namespaces or
mounts of its own (a user namespace would let it mount an uncapped tmpfs). Limits cover all
processes of a question: ``RLIMIT_NPROC`` counts per uid (each sandbox has its own), ``RLIMIT_AS``
per process, and the grader sums the private memory of the uid's processes (:func:`private_memory`)
and kills the question when it goes over.

Only the standard library is used; this file runs in the zygote (root) before student code.
"""
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from .seccomp import deny_namespaces

UID_BASE = 200_000          # sandbox uids: UID_BASE + (grader pid % 4096) * 4096 + counter
NPROC = 48                  # processes + threads per question (per uid)
TMPFS_MB = 64               # each of /tmp, /dev/shm and /work inside a strong sandbox
_CLONE_NEWNET = 0x40000000
_NAMESPACES = ("ipc", "uts", "net", "pid", "mnt")  # mnt last: after it /proc paths change


def bwrap():
    return shutil.which("bwrap")


def strong_available():
    """True when this process can build bubblewrap sandboxes and join them (root + bwrap + namespaces)."""
    if os.geteuid() != 0 or not bwrap() or not hasattr(ctypes.CDLL(None), "setns"):
        return False
    try:
        probe = subprocess.run([bwrap(), "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                                "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--", "true"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def can_unshare_net():
    """True when a child of this process can get an empty network namespace (weak mode's no-network)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if ctypes.CDLL(None, use_errno=True).unshare(_CLONE_NEWNET) == 0 else 1)
    return os.waitpid(pid, 0)[1] == 0


def detect(requested="auto"):
    """The isolation level to use: 'strong' or 'weak'; raises when 'strong' is asked for and impossible."""
    if requested not in ("auto", "strong", "weak"):
        raise ValueError(f"isolation must be auto, strong or weak, not {requested!r}")
    if requested == "weak":
        return "weak"
    if strong_available():
        return "strong"
    if requested == "strong":
        raise RuntimeError("strong isolation needs root and bubblewrap (apt-get install bubblewrap) "
                           "with namespaces allowed (CAP_SYS_ADMIN)")
    return "weak"


def uid_block(pid=None):
    """First uid of this grader's block of 4096 sandbox uids (distinct graders: distinct blocks)."""
    return UID_BASE + ((pid or os.getpid()) % 4096) * 4096


# ---------------------------------------------------------------------------------- filesystem
def python_paths():
    """Folders the Python interpreter and its packages live in (read-only in the sandbox)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths.update(p for p in sys.path if p and os.path.isdir(p) and ("site-packages" in p or "dist-packages" in p))
    out = []
    for p in sorted({os.path.realpath(p) for p in paths if p}):
        if not p.startswith("/usr/") and p != "/usr" and not any(p.startswith(q + os.sep) for q in out):
            out.append(p)
    return out


def _ancestors(path):
    parts = Path(path).parts
    return [os.path.join(*parts[:i]) for i in range(2, len(parts))]


def bwrap_command(binds, files, info_fd, tmpfs_mb=TMPFS_MB):
    """The bubblewrap command for one sandbox.

    - binds: host folders made visible read-only at the same path (Python, support package);
    - files: {name: host path} copied read-only into ``/work``;
    - info_fd: bwrap writes ``{"child-pid": N}`` there.
    The sandbox's own command prints one line once its filesystem is ready, then sleeps.
    """
    size = str(int(tmpfs_mb) * 1024 * 1024)
    cmd = [bwrap(), "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--info-fd", str(info_fd),
           "--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = f"/{top}"
        if os.path.islink(host):
            cmd += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            cmd += ["--ro-bind", host, host]
    cmd += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache", "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", size, "--tmpfs", "/tmp",
            "--perms", "1777", "--size", size, "--tmpfs", "/dev/shm",
            "--perms", "0777", "--size", size, "--tmpfs", "/work"]
    made = {"/", "/usr", "/tmp", "/dev", "/proc", "/work"}
    for path in binds:
        for anc in _ancestors(path):
            if anc not in made and not anc.startswith("/usr/"):
                made.add(anc)
                cmd += ["--perms", "0755", "--dir", anc]
        cmd += ["--ro-bind", path, path]
    for name, host in files.items():
        cmd += ["--ro-bind", str(host), f"/work/{name}"]
    return cmd + ["--chdir", "/work", "--", "/bin/sh", "-c", "echo ready; exec sleep 2000000000"]


# ------------------------------------------------------------------------ entering a sandbox
def _drop_to(uid):
    os.setsid()  # the question's own session, the last one it gets (the filter denies setsid)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("could not drop privileges")
    ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: no setuid programs
    deny_namespaces()


def _close_fds(keep):
    for fd in range(3, 1024):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def enter_strong(spec, keep_fds):
    """Build the bubblewrap sandbox and move into it; returns in the student process only.

    Runs in a fresh fork of the zygote (root). This process stays outside as the sandbox's keeper:
    it waits for the student process and then exits the way it ended, which ends bwrap
    (``--die-with-parent``) and with it every process of the pid namespace.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    r, w = os.pipe()
    box = subprocess.Popen(bwrap_command(spec["binds"], spec["files"], w, spec.get("tmpfs_mb", TMPFS_MB)),
                           pass_fds=(w,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    os.close(w)
    child_pid, text = None, b""
    while child_pid is None:  # bwrap writes {"child-pid": N} (several lines), then closes the pipe
        chunk = os.read(r, 4096)
        if not chunk:
            break
        text += chunk
        try:
            child_pid = json.loads(text).get("child-pid")
        except ValueError:
            continue
    os.close(r)
    if not child_pid or box.stdout.readline().strip() != b"ready":
        raise RuntimeError(f"bubblewrap did not start the sandbox (exit status {box.wait()})")
    fds = [os.open(f"/proc/{child_pid}/ns/{ns}", os.O_RDONLY) for ns in _NAMESPACES]
    root = os.open(f"/proc/{child_pid}/root", os.O_RDONLY)
    for fd in fds:
        if libc.setns(fd, 0) != 0:
            raise OSError(ctypes.get_errno(), "setns into the sandbox failed")
        os.close(fd)
    os.fchdir(root)
    os.chroot(".")
    os.chdir("/work")
    os.close(root)
    pid = os.fork()  # the first child after setns(pid) is the one inside the pid namespace
    if pid == 0:
        box.stdout.close()
        _close_fds(keep_fds)
        _drop_to(spec["uid"])
        return
    _close_fds(set())
    _keep_until_done(pid)


def enter_weak(spec, keep_fds):
    """Weak isolation in this fork of the zygote: own uid (when root), no network when possible."""
    report = {"network": False}
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        report["network"] = libc.unshare(_CLONE_NEWNET) == 0
        _drop_to(spec["uid"])
    else:  # not root (a student running the public tests): the filter still applies
        os.setsid()
        ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0)
        deny_namespaces()
    _close_fds(keep_fds)
    os.chdir(spec["workdir"])
    return report


def _keep_until_done(pid):
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):  # end the way the student process ended, so the grader can tell
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def set_limits(limits):
    """Per-process limits of a student process (address space on top of what it already maps)."""
    def vm_size_kb():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1])
        return 0

    mb = 1024 * 1024
    for name, value in (("RLIMIT_AS", vm_size_kb() * 1024 + int(limits["mem_mb"]) * mb),
                        ("RLIMIT_FSIZE", int(limits["fsize_mb"]) * mb), ("RLIMIT_CORE", 0),
                        ("RLIMIT_CPU", int(limits["cpu_s"])), ("RLIMIT_NOFILE", 256)):
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (ValueError, OSError):
            pass
    if os.geteuid() != 0:  # counted per uid: meaningful because each sandbox has its own
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (int(limits.get("nproc", NPROC)),) * 2)
        except (ValueError, OSError):
            pass


# ------------------------------------------------------------------- watching and cleaning up
def processes_by_uid(uids):
    """{uid: [pid, ...]} of the live processes (host view) owned by each of ``uids``."""
    uids, found = set(uids), {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return found
    for entry in entries:
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
        except OSError:
            continue
        if uid in uids:
            found.setdefault(uid, []).append(int(entry))
    return found


def anonymous_memory(pids):
    """Summed resident anonymous memory (bytes) of ``pids``, from ``/proc/PID/statm`` (cheap). An upper
    bound of :func:`private_memory`: pages a fork still shares with its parent count once per process."""
    total, page = 0, os.sysconf("SC_PAGE_SIZE")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                fields = f.read().split()
            total += (int(fields[1]) - int(fields[2])) * page
        except (OSError, ValueError, IndexError):
            continue
    return total


def private_memory(pids):
    """Summed private memory (bytes) of ``pids``: what they added on top of the shared libraries and
    of the pages still shared with the zygote (exact, but ~50 ms per torch process)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith(("Private_Clean:", "Private_Dirty:")):
                        total += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            continue
    return total


def kill_uid(uid, wait=3.0):
    """SIGKILL every process of ``uid`` until none is left (a fork bomb refills between scans);
    gives up after ``wait`` seconds. Returns True when none is left."""
    if uid is None or uid == 0 or uid == os.geteuid():
        return False
    give_up = time.monotonic() + wait
    while True:
        pids = processes_by_uid([uid]).get(uid, [])
        if not pids:
            return True
        if time.monotonic() > give_up:
            return False
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)


def remove_files_of(uid, folders=("/tmp", "/dev/shm", "/var/tmp")):
    """Delete what ``uid`` left in the shared temporary folders (weak mode: they are the host's)."""
    if uid is None or uid == 0 or uid == os.geteuid():
        return
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass
