# Floods stdout (unicode and invalid UTF-8) and raises an exception with a 50 MB message.
class _Huge(Exception):
    def __str__(self):
        return "\u2603" * (50 << 20)


def sample_noise(*args, **kwargs):
    print("\u2603\U0001F600\u0000" * (1 << 20), flush=True)
    _os.write(1, b"\xff\xfe\xc0" * (1 << 20))
    return _real["sample_noise"](*args, **kwargs)


def generator_loss(*args, **kwargs):
    raise _Huge()
