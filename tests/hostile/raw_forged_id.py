# A "passed"-looking reply for another task, then bytes that are not JSON.
def sample_noise(*args, **kwargs):
    _send_raw(b'{"type": "result", "id": "0", "ok": true, "value": 1.0}', then_exit=False)
    _send_raw(b"\x00garbage")
