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

MAX_MESSAGE = 64 * 1024 * 1024  # bytes; a longer reply is refused (a student could send garbage)
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


def decode(data):
    """Inverse of :func:`encode`; tensors come back as ``torch.Tensor``. Validates everything."""
    import numpy as np
    import torch
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(x) for x in data]
    if isinstance(data, dict):
        if "__float__" in data:
            value = data["__float__"]
            if value not in ("nan", "inf", "-inf"):
                raise ProtocolError("bad float")
            return float(value)
        if "__tensor__" in data:
            dtype, shape, raw = data.get("__tensor__"), data.get("shape"), data.get("data")
            if dtype not in _DTYPES or not isinstance(shape, list) or not isinstance(raw, str):
                raise ProtocolError("bad tensor")
            if not all(isinstance(s, int) and 0 <= s < 2 ** 31 for s in shape):
                raise ProtocolError("bad tensor shape")
            buf = base64.b64decode(raw.encode("ascii"), validate=True)
            dt = np.dtype(dtype)
            if len(buf) != int(np.prod(shape, dtype=np.int64)) * dt.itemsize:
                raise ProtocolError("tensor size does not match its shape")
            return torch.from_numpy(np.frombuffer(buf, dtype=dt).reshape(shape).copy())
        return {str(k): decode(v) for k, v in data.items()}
    raise ProtocolError(f"unexpected {type(data).__name__}")


def send(sock, message):
    """Send one JSON-able message (already encoded) over a stream socket."""
    body = json.dumps(message, allow_nan=False).encode("utf-8")
    if len(body) > MAX_MESSAGE:
        raise ProtocolError(f"message too long ({len(body)} bytes)")
    sock.sendall(struct.pack("!I", len(body)) + body)


def _recv_exact(sock, n):
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv(sock):
    """Receive one message (blocking; the caller sets the socket timeout)."""
    (length,) = struct.unpack("!I", _recv_exact(sock, 4))
    if length > MAX_MESSAGE:
        raise ProtocolError(f"message too long ({length} bytes)")
    try:
        return json.loads(_recv_exact(sock, length).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ProtocolError(f"not JSON: {err}") from None
