# Read what must stay secret; a correct answer only when nothing could be read.
_SECRETS = ["{REPO}/generative_adversarial_networks.py", "{REPO}/eecs598/grading/hidden.py",
            "{COPY}/generative_adversarial_networks.py", "{BATCH}/alice/generative_adversarial_networks.py",
            "/etc/shadow", "/proc/1/environ"]


def _leaks():
    found = []
    for _p in _SECRETS:
        try:
            with open(_p, "rb") as _f:
                if _f.read(10):
                    found.append(_p)
        except OSError:
            pass
    for _d in ["{BATCH}", "{REPO}"]:
        try:
            if _os.listdir(_d):
                found.append(_d)
        except OSError:
            pass
    return found


def sample_noise(*args, **kwargs):
    leaks = _leaks()
    if leaks:
        raise RuntimeError(f"could read {leaks}")
    return _real["sample_noise"](*args, **kwargs)
