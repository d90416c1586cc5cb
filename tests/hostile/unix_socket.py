# Reach a UNIX socket in the host's /tmp; leave a listening one of its own there.
_s = _socket.socket(_socket.AF_UNIX)
try:
    _s.connect("{HOST_SOCK}")
    _sys.exit("reached the host's socket")
except OSError:
    pass
_mine = _socket.socket(_socket.AF_UNIX)
try:
    _mine.bind("/tmp/{TAG}-x4.sock")
    _mine.listen(1)
except OSError:
    pass
_abstract = _socket.socket(_socket.AF_UNIX)
try:
    _abstract.bind("\0{TAG}-abstract")
    _abstract.listen(1)
except OSError:
    pass
