# A reply trickled one byte a second: it must not stretch the test's deadline.
def sample_noise(*args, **kwargs):
    body = _result("1.0")
    for fd in _sockets():
        try:
            _os.write(fd, _struct.pack("!I", len(body)))
        except OSError:
            pass
    for _b in body:
        for fd in _sockets():
            try:
                _os.write(fd, bytes([_b]))
            except OSError:
                pass
        _time.sleep(1)
