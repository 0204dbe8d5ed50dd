"""Writing a ``.npy`` array row by row, so no more than a buffer of it is ever in memory.

The header is the one ``np.save`` writes (format 1.0, padded to 64 bytes), and the rows
follow in C order, so the file is byte-for-byte what ``np.save`` gives for the whole
array. A file written this way streams straight to disk; unlike a memory map, the pages
it writes never count towards the process's resident memory.
"""

from __future__ import annotations

from typing import BinaryIO

import numpy as np

#: Bytes gathered before one write call.
WRITE_BUFFER = 16 << 20


class NpyWriter:
    """An ``.npy`` of ``shape`` and ``dtype`` in an open binary file, filled row by row.

    Args:
        fh: A binary file open for writing (a file, or a member of a zip archive).
        shape: The whole array's shape; rows run along axis 0.
        dtype: Its dtype (stored little endian).

    Raises:
        ValueError: on :meth:`close`, when fewer or more rows were written than ``shape[0]``.
    """

    def __init__(self, fh: BinaryIO, shape: tuple[int, ...], dtype: np.dtype | str):
        self.fh = fh
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype).newbyteorder("<") if np.dtype(dtype).itemsize > 1 else np.dtype(dtype)
        self.row_shape = self.shape[1:]
        self.rows = 0
        self.bytes = 0
        row_bytes = max(int(np.prod(self.row_shape)) * self.dtype.itemsize, 1)
        self._buf = np.empty((max(1, min(WRITE_BUFFER // row_bytes, self.shape[0])), *self.row_shape), self.dtype)
        self._filled = 0
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False, "shape": self.shape}
        np.lib.format.write_array_header_1_0(fh, header)

    def next_row(self) -> np.ndarray:
        """The next row, zeroed, to be filled in place (saves a copy per row)."""
        if self.rows >= self.shape[0]:
            raise ValueError(f"more than the {self.shape[0]} rows of the array written")
        if self._filled == len(self._buf):
            self._drain()
        row = self._buf[self._filled]
        row.fill(0)
        self._filled += 1
        self.rows += 1
        return row

    def write(self, rows: np.ndarray) -> None:
        """Append rows ``[k, *shape[1:]]`` (or one row ``shape[1:]``)."""
        rows = np.asarray(rows)
        if rows.shape == self.row_shape:
            rows = rows[None]
        if rows.shape[1:] != self.row_shape:
            raise ValueError(f"rows of shape {rows.shape[1:]} written to an array of rows {self.row_shape}")
        for row in rows:
            self.next_row()[...] = row

    def write_block(self, rows: np.ndarray) -> None:
        """Append ``[k, *shape[1:]]`` rows in one write (after what is buffered)."""
        if rows.shape[1:] != self.row_shape:
            raise ValueError(f"rows of shape {rows.shape[1:]} written to an array of rows {self.row_shape}")
        if self.rows + len(rows) > self.shape[0]:
            raise ValueError(f"more than the {self.shape[0]} rows of the array written")
        self._drain()
        view = memoryview(np.ascontiguousarray(rows, dtype=self.dtype)).cast("B")
        self.fh.write(view)
        self.bytes += view.nbytes
        self.rows += len(rows)

    def _drain(self) -> None:
        if self._filled:
            view = memoryview(self._buf[:self._filled]).cast("B")
            self.fh.write(view)
            self.bytes += view.nbytes
            self._filled = 0

    def close(self) -> None:
        """Write what is buffered and check that every row arrived."""
        self._drain()
        if self.rows != self.shape[0]:
            raise ValueError(f"{self.rows} rows written to an array of {self.shape[0]}")
