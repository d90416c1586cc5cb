# Helpers shared by the hostile submissions (prepended to each attack).
import os as _os
import signal as _signal
import socket as _socket
import stat as _stat
import struct as _struct
import sys as _sys
import time as _time

_real = dict(sample_noise=sample_noise, discriminator_loss=discriminator_loss, generator_loss=generator_loss,
             ls_generator_loss=ls_generator_loss)


def _task_id():
    """The id of the task being run, dug out of the worker's frames."""
    f = _sys._getframe()
    while f is not None:
        m = f.f_locals.get("msg")
        if isinstance(m, dict) and m.get("type") == "task":
            return m.get("id")
        f = f.f_back
    return "?"


def _sockets():
    found = []
    for fd in range(3, 256):
        try:
            if _stat.S_ISSOCK(_os.fstat(fd).st_mode):
                found.append(fd)
        except OSError:
            pass
    return found


def _send_raw(body, then_exit=True):
    """Write a hand-made frame straight onto the grader's socket, bypassing the worker."""
    frame = _struct.pack("!I", len(body)) + body
    for fd in _sockets():
        data = frame
        try:
            while data:
                data = data[_os.write(fd, data):]
        except OSError:
            pass
    if then_exit:
        _os._exit(0)


def _result(value_text):
    return ('{"type": "result", "id": "%s", "ok": true, "value": %s}' % (_task_id(), value_text)).encode()
