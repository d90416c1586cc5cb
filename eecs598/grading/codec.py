"""Safe wire format between the grader and the sandboxed student process.

Messages are length-prefixed JSON. Tensors travel as ``{"__tensor__": dtype, "shape": [...],
"data": base64}`` and are rebuilt with ``numpy.frombuffer`` -- never with pickle -- so a reply
from student code can carry numbers and arrays but never code to run in the grader.
Only stdlib + numpy + torch are used; this file ships to the sandbox (it holds nothing secret).
"""
import base64
import json
import math
import struct
import time

MAX_MESSAGE = 32 * 1024 * 1024  # bytes; a longer reply is refused (a student could send garbage)
MAX_DEPTH = 32                   # nesting of lists/dicts in a message
MAX_INT_DIGITS = 40              # an integer in a reply longer than this is refused (10**400, ...)
_DTYPES = ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool")


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


def encode(obj):
    """Turn ``obj`` (None/bool/int/float/str/list/tuple/dict/torch.Tensor/np.ndarray) into JSON data."""
    import numpy as np
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return {"__float__": repr(obj)}
    if torch is not None and isinstance(obj, torch.Tensor):
        obj = obj.detach().cpu()
        if obj.dtype == torch.bfloat16:
            obj = obj.float()
        obj = obj.contiguous().numpy()
    if isinstance(obj, np.generic):
        obj = np.asarray(obj)
    if isinstance(obj, np.ndarray):
        if obj.dtype.name not in _DTYPES:
            raise TypeError(f"unsupported array dtype {obj.dtype}")
        arr = np.ascontiguousarray(obj)
        return {"__tensor__": arr.dtype.name, "shape": list(arr.shape),
                "data": base64.b64encode(arr.tobytes()).decode("ascii")}
    if isinstance(obj, (list, tuple)):
        return [encode(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): encode(v) for k, v in obj.items()}
    raise TypeError(f"cannot send a {type(obj).__name__}")


def decode(data, _depth=0):
    """Inverse of :func:`encode`; tensors come back as ``torch.Tensor``. Validates everything and
    raises only :class:`ProtocolError` on bad input."""
    import numpy as np
    import torch
    if _depth > MAX_DEPTH:
        raise ProtocolError(f"nested deeper than {MAX_DEPTH}")
    if data is None or isinstance(data, (bool, str)):
        return data
    if isinstance(data, int):
        if abs(data) >= 10 ** MAX_INT_DIGITS:
            raise ProtocolError("integer too large")
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, list):
        return [decode(x, _depth + 1) for x in data]
    if isinstance(data, dict):
        if "__float__" in data:
            value = data["__float__"]
            if value not in ("nan", "inf", "-inf"):
                raise ProtocolError("bad float")
            return float(value)
        if "__tensor__" in data:
            dtype, shape, raw = data.get("__tensor__"), data.get("shape"), data.get("data")
            if dtype not in _DTYPES or not isinstance(shape, list) or not isinstance(raw, str) or len(shape) > 16:
                raise ProtocolError("bad tensor")
            if not all(type(s) is int and 0 <= s < 2 ** 31 for s in shape):
                raise ProtocolError("bad tensor shape")
            try:
                buf = base64.b64decode(raw.encode("ascii"), validate=True)
            except (ValueError, UnicodeError) as err:
                raise ProtocolError(f"bad tensor data ({err})") from None
            dt = np.dtype(dtype)
            n = 1
            for s in shape:
                n *= s
            if len(buf) != n * dt.itemsize:
                raise ProtocolError("tensor size does not match its shape")
            return torch.from_numpy(np.frombuffer(buf, dtype=dt).reshape(shape).copy())
        return {str(k): decode(v, _depth + 1) for k, v in data.items()}
    raise ProtocolError(f"unexpected {type(data).__name__}")


def _parse_int(text):
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ProtocolError(f"integer with {len(text)} digits")
    return int(text)


def _parse_constant(name):
    raise ProtocolError(f"{name} is not JSON")  # non-finite floats travel as {"__float__": ...}


def loads(body):
    """Parse one message body; only :class:`ProtocolError` escapes (size, depth, digits, syntax)."""
    if len(body) > MAX_MESSAGE:
        raise ProtocolError(f"message too long ({len(body)} bytes)")
    try:
        return json.loads(body.decode("utf-8"), parse_int=_parse_int, parse_constant=_parse_constant)
    except RecursionError:
        raise ProtocolError("nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as err:  # JSONDecodeError is a ValueError
        raise ProtocolError(f"not valid JSON: {str(err)[:200]}") from None


def send(sock, message):
    """Send one JSON-able message (already encoded) over a stream socket."""
    body = json.dumps(message, allow_nan=False).encode("utf-8")
    if len(body) > MAX_MESSAGE:
        raise ProtocolError(f"message too long ({len(body)} bytes)")
    sock.sendall(struct.pack("!I", len(body)) + body)


def _recv_exact(sock, n, deadline):
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("deadline passed")
            sock.settimeout(left)
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv(sock, deadline=None):
    """Receive one message. ``deadline`` (``time.monotonic()`` value) bounds the whole message, not
    each read: a reply trickled a byte at a time cannot stretch it. Raises ``TimeoutError`` (also
    ``socket.timeout``) when it passes, ``EOFError`` on a closed socket, ``ProtocolError`` on garbage."""
    (length,) = struct.unpack("!I", _recv_exact(sock, 4, deadline))
    if length > MAX_MESSAGE:
        raise ProtocolError(f"message too long ({length} bytes)")
    return loads(_recv_exact(sock, length, deadline))
