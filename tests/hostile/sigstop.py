# Stop itself: no reply, ever.
def sample_noise(*args, **kwargs):
    _os.kill(_os.getpid(), _signal.SIGSTOP)
