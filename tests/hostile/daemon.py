# A daemon that tries to outlive its question and the grader.
if _os.fork() == 0:
    try:
        _os.setsid()
    except OSError:  # refused by the grader's system call filter
        pass
    if _os.fork() == 0:
        _signal.signal(_signal.SIGHUP, _signal.SIG_IGN)
        _os.execvp("sleep", ["sleep", "{TAG}9"])
    _os._exit(0)
