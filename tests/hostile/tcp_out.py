# Outbound TCP (only ever to 127.0.0.1: the test's own listener).
_c = _socket.socket()
_c.settimeout(2)
try:
    _c.connect(("127.0.0.1", {PORT}))
    _sys.exit("reached the network")
except OSError:
    pass
