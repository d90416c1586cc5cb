"""The system-call filter every question process runs under (installed by :mod:`.isolation`).

Standard library only; runs in the zygote's forked child before student code.
"""
import ctypes
import platform

# An unprivileged process may still create a *user* namespace, gain every capability inside it and
# mount its own tmpfs there: memory that no process maps (the grader's per-question sum misses it)
# and no size cap bounds. A seccomp filter closes that door: no unshare / setns / namespace flags
# on clone, no mounts, no clone3 (its flags sit in memory a filter cannot read; glibc falls back to
# clone on ENOSYS), and no io_uring / bpf / perf_event_open (kernel surface no student code needs).
# No setsid either: the kernel shares the CPU fairly between sessions (autogroups), so 40 processes
# each in its own session took 40/41 of the CPU from a student graded at the same time.
_SYSCALLS = {  # machine: (audit arch, {name: number})
    "x86_64": (0xC000003E, dict(clone=56, clone3=435, setsid=112, unshare=272, setns=308, mount=165,
                                umount2=166, pivot_root=155, open_tree=428, move_mount=429, fsopen=430, fsconfig=431,
                                fsmount=432, fspick=433, mount_setattr=442, io_uring_setup=425, bpf=321,
                                perf_event_open=298)),
    "aarch64": (0xC00000B7, dict(clone=220, clone3=435, setsid=157, unshare=97, setns=268, mount=40,
                                 umount2=39, pivot_root=41, open_tree=428, move_mount=429, fsopen=430, fsconfig=431,
                                 fsmount=432, fspick=433, mount_setattr=442, io_uring_setup=425, bpf=280,
                                 perf_event_open=241)),
}
_CLONE_NAMESPACE_FLAGS = 0x7E020000  # NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET


def seccomp_program(machine=None):
    """The classic-BPF filter (list of (code, jt, jf, k)) for ``machine``, or None when unknown."""
    if (machine or platform.machine()) not in _SYSCALLS:
        return None
    arch, nr = _SYSCALLS[machine or platform.machine()]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000            # SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS
    eperm, enosys = 0x00050000 | 1, 0x00050000 | 38  # SECCOMP_RET_ERRNO | errno
    denied = [n for name, n in nr.items() if name not in ("clone", "clone3")]
    # layout: header, one test per denied call, clone3, clone, flag test, then the four returns
    body = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, kill), (ld, 0, 0, 0), (jge, 0, 0, 0x40000000)]
    body += [(jeq, 0, 0, n) for n in denied] + [(jeq, 0, 0, nr["clone3"]), (jeq, 0, 0, nr["clone"]),
                                                (ld, 0, 0, 16), (jset, 0, 0, _CLONE_NAMESPACE_FLAGS)]
    n = len(body)
    ALLOW, DENY, NOSYS = n, n + 1, n + 2
    out = []
    for i, (code, jt, jf, k) in enumerate(body):
        if i == 4 or 5 <= i < 5 + len(denied) or i == n - 1:   # x32 calls, denied calls, namespace flags
            jt, jf = DENY - i - 1, 0
        elif i == n - 4:                                     # clone3
            jt, jf = NOSYS - i - 1, 0
        elif i == n - 3:                                     # clone: check its flags, anything else: allow
            jt, jf = 0, ALLOW - i - 1
        out.append((code, jt, jf, k))                        # (the flag test falls through to allow)
    return out + [(ret, 0, 0, allow), (ret, 0, 0, eperm), (ret, 0, 0, enosys)]


def deny_namespaces():
    """Install the filter in this process (inherited by every child and thread); needs NO_NEW_PRIVS.
    Returns True when installed (False on an unknown machine or a kernel without seccomp)."""
    prog = seccomp_program()
    if prog is None:
        return False

    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Filter))]

    filters = (Filter * len(prog))(*[Filter(*ins) for ins in prog])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    fprog = Prog(len(prog), filters)
    ok = libc.prctl(22, 2, ctypes.addressof(fprog), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    libc.prctl.argtypes = None
    return ok
