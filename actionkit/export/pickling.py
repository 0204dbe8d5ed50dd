"""A streaming pickle writer for annotation lists: one sample in memory at a time.

``pickle.dump`` needs the whole object. PYSKL's annotation file is one dict holding a list
of every sample, so it is written here opcode by opcode instead (pickle protocol 3, no
memo): the dict and list are opened, each annotation is encoded and written as it comes,
and the containers are closed. ``pickle.load`` returns exactly the object ``pickle.dump``
would have written. Arrays are pickled as numpy pickles them, with the global
``numpy.core.multiarray._reconstruct``, which numpy 1.x and 2.x both load.
"""

from __future__ import annotations

import struct
from typing import Any, BinaryIO

import numpy as np

PROTO = b"\x80\x03"
STOP = b"."
MARK, EMPTY_DICT, EMPTY_LIST, SETITEMS, APPENDS = b"(", b"}", b"]", b"u", b"e"
TUPLE, EMPTY_TUPLE, REDUCE, BUILD, NONE = b"t", b")", b"R", b"b", b"N"
NEWTRUE, NEWFALSE = b"\x88", b"\x89"
RECONSTRUCT = b"cnumpy.core.multiarray\n_reconstruct\n"
NDARRAY = b"cnumpy\nndarray\n"
DTYPE = b"cnumpy\ndtype\n"
SCALAR = b"cnumpy.core.multiarray\nscalar\n"

#: Annotations gathered between two APPENDS.
APPEND_BATCH = 1000


def encode(obj: Any) -> bytes:
    """Pickle opcodes (protocol 3, no PROTO or STOP) that rebuild ``obj``.

    Supports what annotation files hold: None, bool, int, float, str, bytes, tuples,
    lists, dicts, numpy arrays (numeric) and numpy scalars.

    Raises:
        TypeError: any other type, or an object array.
    """
    out: list[bytes] = []
    _encode(obj, out)
    return b"".join(out)


def _encode(obj: Any, out: list[bytes]) -> None:
    if obj is None:
        out.append(NONE)
    elif obj is True or obj is False:
        out.append(NEWTRUE if obj else NEWFALSE)
    elif isinstance(obj, np.ndarray):
        _array(obj, out)
    elif isinstance(obj, np.generic):
        _scalar(obj, out)
    elif isinstance(obj, int):
        if -(2**31) <= obj < 2**31:
            out.append(b"J" + struct.pack("<i", obj))
        else:
            data = obj.to_bytes((obj.bit_length() + 8) // 8, "little", signed=True)
            out.append(b"\x8a" + bytes([len(data)]) + data)
    elif isinstance(obj, float):
        out.append(b"G" + struct.pack(">d", obj))
    elif isinstance(obj, str):
        data = obj.encode("utf-8", "surrogatepass")
        out.append(b"X" + struct.pack("<I", len(data)) + data)
    elif isinstance(obj, bytes):
        out.append(b"B" + struct.pack("<I", len(obj)) + obj)
    elif isinstance(obj, tuple):
        if not obj:
            out.append(EMPTY_TUPLE)
            return
        out.append(MARK)
        for item in obj:
            _encode(item, out)
        out.append(TUPLE)
    elif isinstance(obj, list):
        out.append(EMPTY_LIST)
        if obj:
            out.append(MARK)
            for item in obj:
                _encode(item, out)
            out.append(APPENDS)
    elif isinstance(obj, dict):
        out.append(EMPTY_DICT)
        if obj:
            out.append(MARK)
            for key, value in obj.items():
                _encode(key, out)
                _encode(value, out)
            out.append(SETITEMS)
    else:
        raise TypeError(f"cannot write a {type(obj).__name__} into an annotation pickle")


def _dtype(dtype: np.dtype, out: list[bytes]) -> None:
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise TypeError(f"cannot write an array of dtype {dtype} into an annotation pickle")
    order = "|" if dtype.byteorder == "|" else "<"  # callers pass little-endian data
    out.append(DTYPE)
    _encode((f"{dtype.kind}{dtype.itemsize}", False, True), out)
    out.append(REDUCE)
    _encode((3, order, None, None, None, -1, -1, 0), out)
    out.append(BUILD)


def _array(arr: np.ndarray, out: list[bytes]) -> None:
    arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<") if arr.dtype.byteorder != "|" else None)
    out.append(RECONSTRUCT + MARK + NDARRAY + MARK + b"J" + struct.pack("<i", 0) + TUPLE)
    _encode(b"b", out)
    out.append(TUPLE + REDUCE + MARK)
    _encode(1, out)
    _encode(tuple(int(s) for s in arr.shape), out)
    _dtype(arr.dtype, out)
    out.append(NEWFALSE)
    _encode(arr.tobytes(), out)
    out.append(TUPLE + BUILD)


def _scalar(value: np.generic, out: list[bytes]) -> None:
    if value.dtype.byteorder not in ("|", "<", "="):
        value = value.astype(value.dtype.newbyteorder("<"))
    out.append(SCALAR + MARK)
    _dtype(value.dtype, out)
    _encode(value.tobytes(), out)
    out.append(TUPLE + REDUCE)


class AnnotationPickle:
    """Writes ``{<head keys>..., list_key: [item, item, ...]}`` to ``fh``, item by item.

    Args:
        fh: A binary file open for writing.
        head: The dict's other entries, written first (small: e.g. PYSKL's ``split``).
        list_key: The key of the streamed list.
    """

    def __init__(self, fh: BinaryIO, head: dict[str, Any], list_key: str):
        self.fh = fh
        self._batch: list[bytes] = []
        fh.write(PROTO + EMPTY_DICT + MARK)
        for key, value in head.items():
            fh.write(encode(key) + encode(value))
        fh.write(encode(list_key) + EMPTY_LIST)

    def append(self, item: Any) -> None:
        self._batch.append(encode(item))
        if len(self._batch) >= APPEND_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self.fh.write(MARK + b"".join(self._batch) + APPENDS)
            self._batch = []

    def close(self) -> None:
        """Close the list and the dict; the file then holds one complete pickle."""
        self._flush()
        self.fh.write(SETITEMS + STOP)
