"""Bodies on the wire: msgpack in the OpenPI dialect (openpi_client.msgpack_numpy), so bytes pass between
a2w, this package and OpenPI peers unchanged.

An ndarray is a map whose keys are msgpack *bin*: {b"__ndarray__": True, b"data": <raw C-order bytes>,
b"dtype": "<f4", b"shape": [...]}. numpy scalars are {b"__npgeneric__": True, b"data": item, b"dtype": ...}.

Decoding never trusts its input: the message size is capped first, msgpack's own limits bound every
container and string (never its defaults), dtypes come from a whitelist, and prod(shape) * itemsize must
equal len(data). Arrays decode without a copy and are read-only, as in openpi.
"""

import math

import msgpack
import numpy as np

# The dtypes a2w puts on the wire (numpy's little-endian spellings).
DTYPES = ("|b1", "|u1", "<i4", "<i8", "<f4", "<f8")
MAX_MESSAGE_BYTES = 64 << 20


def _pack_default(obj):
    if isinstance(obj, np.ndarray):
        if obj.dtype.str not in DTYPES:
            raise TypeError(
                f"array dtype {obj.dtype.str} is not on the wire; expected one of {', '.join(DTYPES)} "
                "(convert it, e.g. .astype(np.float32))"
            )
        obj = np.ascontiguousarray(obj)
        return {b"__ndarray__": True, b"data": obj.tobytes(), b"dtype": obj.dtype.str, b"shape": list(obj.shape)}
    if isinstance(obj, np.generic):
        return {b"__npgeneric__": True, b"data": obj.item(), b"dtype": obj.dtype.str}
    raise TypeError(f"cannot encode {type(obj).__name__}; expected dicts, lists, str, numbers, bool, None or ndarrays")


def packb(obj) -> bytes:
    """Encodes a body (a dict with str keys) or any value."""
    return msgpack.packb(obj, default=_pack_default, use_bin_type=True)


def _decode_marker(obj):
    if b"__ndarray__" in obj:
        if set(obj) != {b"__ndarray__", b"data", b"dtype", b"shape"} or obj[b"__ndarray__"] is not True:
            raise ValueError(f"malformed __ndarray__ map with keys {sorted(obj)}")
        dtype, shape, data = obj[b"dtype"], obj[b"shape"], obj[b"data"]
        if dtype not in DTYPES:
            raise ValueError(f"__ndarray__ dtype: expected one of {', '.join(DTYPES)}, got {dtype!r}")
        if not isinstance(shape, (list, tuple)) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ValueError(f"__ndarray__ shape: expected non-negative integers, got {shape!r}")
        if not isinstance(data, bytes):
            raise ValueError(f"__ndarray__ data: expected bin, got {type(data).__name__}")
        need = math.prod(shape) * np.dtype(dtype).itemsize
        if need != len(data):
            raise ValueError(f"__ndarray__ of shape {list(shape)} and dtype {dtype} needs {need} bytes of data, got {len(data)}")
        return np.ndarray(buffer=data, dtype=np.dtype(dtype), shape=tuple(shape))
    if b"__npgeneric__" in obj:
        dtype = obj.get(b"dtype")
        if dtype not in DTYPES:
            raise ValueError(f"__npgeneric__ dtype: expected one of {', '.join(DTYPES)}, got {dtype!r}")
        return np.dtype(dtype).type(obj[b"data"])
    return obj


def unpackb(data, max_message_bytes: int = MAX_MESSAGE_BYTES):
    """Decodes a body; raises ValueError naming what is wrong."""
    n = len(data)
    if n > max_message_bytes:
        raise ValueError(f"message of {n} bytes; the limit is {max_message_bytes}")
    try:
        return msgpack.unpackb(
            data,
            object_hook=_decode_marker,
            raw=False,
            max_str_len=min(n, 1 << 20),
            max_bin_len=n,
            max_array_len=min(n, 65536),
            max_map_len=min(n, 65536),
            max_ext_len=0,
        )
    except ValueError:
        raise
    except Exception as e:  # msgpack's own exceptions: ExtraData, FormatError, StackError, ...
        raise ValueError(f"malformed message: {type(e).__name__}: {e}") from None
