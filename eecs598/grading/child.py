"""One sandboxed question process as the grader sees it: send a task, wait for the reply until
an absolute deadline, and kill every process of the question when done.

A :class:`Child` is made by :meth:`eecs598.grading.sandbox.Sandbox.spawn`; it talks over its own
socket with :mod:`.codec` (JSON with size/depth/digit limits) and asks its sandbox how the
process ended and to remove what it left behind.
"""
import os
import secrets
import select
import shutil
import signal
import socket

from . import codec


class ChildDied(Exception):
    """The question process ended (exit, signal, limit) or sent garbage; ``str`` says how."""


class ChildTimeout(Exception):
    """The question process did not answer before its deadline (it has been killed)."""


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
        hint = {signal.SIGKILL: " (killed: CPU limit or a signal from its own code?)", signal.SIGXCPU: " (CPU limit)",
                signal.SIGXFSZ: " (file size limit)", signal.SIGSEGV: " (crash)"}.get(sig, "")
        return f"the process was killed by {name}{hint}"
    return f"the process ended (status {status})"


class Child:
    """A sandboxed process serving one question; ``call`` sends a task and waits for the reply."""

    def __init__(self, sandbox, pid, sock, out_file, workdir, uid):
        self.sandbox, self.pid, self.sock, self.out_file, self.workdir = sandbox, pid, sock, out_file, workdir
        self.uid = uid
        self.alive = True
        self.over_memory = False

    def _died(self):
        if self.over_memory:
            return ChildDied(f"the memory limit ({self.sandbox.mem_mb} MB for all processes of the question) "
                             "was exceeded; the processes were killed")
        return ChildDied(describe_status(self.sandbox.exit_status(self.pid)))

    def _recv(self, deadline):
        try:
            return codec.recv(self.sock, deadline)
        except (TimeoutError, socket.timeout):
            self.kill()
            if self.over_memory:
                raise self._died() from None
            raise ChildTimeout("no complete answer before the deadline (infinite loop or too slow?); "
                               "the process was killed") from None
        except (EOFError, ConnectionError, OSError):
            self.kill()
            raise self._died() from None
        except codec.ProtocolError as err:
            self.kill()
            raise ChildDied(f"the process sent an invalid reply ({err})") from None

    def wait_ready(self, deadline):
        msg = self._recv(deadline)
        if not isinstance(msg, dict) or msg.get("type") != "imported" or not isinstance(msg.get("ok"), bool):
            self.kill()
            raise ChildDied("the process sent an unexpected message instead of its import report")
        return msg

    def idle(self):
        """True when the process waits for a task; a process that has exited or sent something
        unasked (pending bytes or end of stream) is killed, so the next test gets a fresh one."""
        if not self.alive:
            return False
        try:
            pending, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            pending = True
        if pending:
            self.kill()
            return False
        return True

    def call(self, probe, args, seed, deadline):
        """Run one probe in the child before ``deadline`` (monotonic); returns the validated reply."""
        task_id = secrets.token_hex(8)  # says nothing about which test this is
        try:
            codec.send(self.sock, {"type": "task", "id": task_id, "probe": probe,
                                   "args": codec.encode(args), "seed": seed})
        except OSError:
            self.kill()
            raise self._died() from None
        msg = self._recv(deadline)
        if not isinstance(msg, dict) or msg.get("type") != "result" or msg.get("id") != task_id \
                or not isinstance(msg.get("ok"), bool):
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

    def terminate(self):
        """Kill the question's processes but leave the socket to the thread reading it (it sees EOF)."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        self.sandbox.kill_leftovers(self)

    def kill(self):
        if self.alive:
            self.alive = False
            self.sandbox.forget(self)
            try:
                os.kill(self.pid, signal.SIGKILL)  # strong: ends bwrap, and with it the pid namespace
            except OSError:
                pass
            self.sandbox.kill_leftovers(self)
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
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)



def descendants(root_pid):
    """Pids of every live descendant of ``root_pid`` (from /proc)."""
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

