"""Parser for NTU RGB+D ``.skeleton`` text files (Kinect v2, 25 joints).

The layout (see ``FORMATS.md``)::

    <frame count>
    per frame:  <body count>
      per body: bodyID clipedEdges handLeftConfidence handLeftState handRightConfidence
                handRightState isResticted leanX leanY trackingState
                <joint count>                       (always 25)
                25 lines: x y z depthX depthY colorX colorY
                          orientationW orientationX orientationY orientationZ trackingState

:func:`parse_ntu_skeleton` runs one Numba kernel over the raw bytes (no ``str`` objects,
no ``float()`` calls on the fast path) and returns a :class:`ParsedSkeleton`.

Exactness. Every number is scanned as an integer decimal mantissa ``m`` and a power of
ten ``e``. When ``m <= 2**53`` and ``|e| <= 22`` (always the case for the genuine files,
which carry at most 7 significant digits), ``float(m)`` and ``10.0**|e|`` are exact
doubles and one IEEE multiply or divide gives the correctly rounded result, i.e. the same
double as Python's ``float(token)`` (Clinger's fast path). Any other token (more than 18
mantissa digits, larger exponents) is handed back to the Python wrapper, which parses
it with ``float()``; so every value is exact, and ``np.float32(value)`` equals
``np.float32(float(token))``. ``bodyID`` (17 digits, above 2**53) is parsed as an exact
integer, never through a float. Fields whose values are not kept (depth and colour
coordinates, orientations, the body line's flags) are validated as numbers, and checked
with ``float()`` when they could be non-finite (more than about 300 decimal orders).

Speed (``benchmarks/parse_skeleton.py``): about 400 MB/s on one core, 6-7 times a plain
``split()``/``float()`` parser. Digits are read eight bytes at a time (see
:func:`_digit_run8`), and the kernel works on owner-less views of its arrays (see
:func:`_borrowed`) so that Numba's atomic reference counting stays out of the per-token
path; the first call compiles for about 4 s, later processes load the on-disk cache.

Tolerance: CRLF or LF line endings, with or without a final newline, fields separated by
any run of spaces, tabs or carriage returns, and whitespace at the end of the file.
Anything else that deviates from the layout raises :class:`SkeletonFormatError` with a
reason naming the line (e.g. ``"line 57: joint count 24, expected 25"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numba.core import cgutils
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic

__all__ = ["NUM_JOINTS", "ParsedSkeleton", "SkeletonFormatError", "parse_ntu_skeleton"]

NUM_JOINTS = 25
BODY_FIELDS = 10
JOINT_FIELDS = 12

# Error codes returned by the kernel (err[0]).
_OK = 0
_E_EMPTY = 1
_E_ZERO_FRAMES = 2
_E_TRUNCATED = 3
_E_JOINT_COUNT = 4
_E_FIELD_COUNT = 5
_E_NON_NUMERIC = 6
_E_NOT_INTEGER = 7
_E_NEGATIVE = 8
_E_TRAILING = 9
_E_BODY_ID = 10

# Kinds of line (err[2]), for messages.
_K_FRAMES = 0
_K_BODIES = 1
_K_BODY = 2
_K_JOINTS = 3
_K_JOINT = 4

_KIND_NAMES = ("frame count", "body count", "body", "joint count", "joint")
_KIND_FIELDS = (1, 1, BODY_FIELDS, 1, JOINT_FIELDS)

# Token scan results.
_TOK_OK = 0
_TOK_SLOW = 1  # a valid number outside the exact fast path: parsed in Python
_TOK_BAD = 2  # not a number
_TOK_NOT_INT = 3  # a number, but not an integer (count lines)

_MAX_MANTISSA = 9007199254740992  # 2**53
_MAX_DIGITS = 18  # an int64 holds any 18-digit mantissa
_POW10 = np.array([10.0**k for k in range(23)], dtype=np.float64)  # all exact doubles
_POW10_INT = np.array([10**k for k in range(9)], dtype=np.int64)
_PAD = 16  # zero bytes after the data, so that 8-byte loads never leave the buffer

_SPACE = 32
_TAB = 9
_CR = 13
_LF = 10


class SkeletonFormatError(ValueError):
    """A ``.skeleton`` file that does not follow the format.

    Attributes:
        reason: Short human-readable reason naming the line, e.g.
            ``"line 57: joint count 24, expected 25"``.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedSkeleton:
    """The content of one ``.skeleton`` file, bodies in file order.

    Attributes:
        frames: Frame count declared in the header (every frame is present).
        bodies_per_frame: int32 ``[frames]``, the body count of each frame (may be 0).
        body_frame: int32 ``[B]``, the frame index of every body record (B = all body
            records of the file, in file order).
        body_id: int64 ``[B]``, the Kinect ``bodyID`` of every record, exact.
        xyz: float64 ``[B, 25, 3]``, camera-space x, y, z of each joint (metres), each
            exactly ``float(token)``.
        tracking_state: int8 ``[B, 25]``, each joint's trackingState (0 not tracked,
            1 inferred, 2 tracked); -1 where the field is not an integer in int8 range.
    """

    frames: int
    bodies_per_frame: np.ndarray
    body_frame: np.ndarray
    body_id: np.ndarray
    xyz: np.ndarray
    tracking_state: np.ndarray

    @property
    def num_bodies(self) -> int:
        """Total number of body records (B)."""
        return int(self.body_id.shape[0])


# --------------------------------------------------------------------------- kernel


@intrinsic
def _borrowed(typingctx, arr):
    """A view of ``arr`` without a reference-counted owner (meminfo NULL).

    Numba increments and decrements an array's atomic reference count whenever the
    array is bound to a new variable, which the inlined scanners do for every token;
    on a view without owner those calls return at once. Only for use while ``arr``
    itself is alive (here: the duration of the kernel call).
    """

    def codegen(context, builder, signature, args):
        src = context.make_array(signature.args[0])(context, builder, value=args[0])
        dst = context.make_array(signature.return_type)(context, builder)
        dst.data = src.data
        dst.shape = src.shape
        dst.strides = src.strides
        dst.itemsize = src.itemsize
        dst.nitems = src.nitems
        dst.meminfo = cgutils.get_null_value(dst.meminfo.type)
        dst.parent = cgutils.get_null_value(dst.parent.type)
        return dst._getvalue()

    return arr(arr), codegen



@numba.njit(cache=True)
def _skip_blanks(buf, pos, n):
    """Skip spaces, tabs and carriage returns (not line feeds)."""
    while pos < n:
        c = buf[pos]
        if c == _SPACE or c == _TAB or c == _CR:
            pos += 1
        else:
            break
    return pos


@numba.njit(cache=True)
def _token_end(buf, pos, n):
    """Index just past the token that starts at ``pos``."""
    while pos < n:
        c = buf[pos]
        if c == _SPACE or c == _TAB or c == _CR or c == _LF:
            break
        pos += 1
    return pos


@numba.njit(cache=True)
def _load8(buf, i):
    """Bytes ``buf[i:i+8]`` as a little-endian uint64 (the buffer is padded by 8+ bytes)."""
    w = np.uint64(buf[i])
    w |= np.uint64(buf[i + 1]) << np.uint64(8)
    w |= np.uint64(buf[i + 2]) << np.uint64(16)
    w |= np.uint64(buf[i + 3]) << np.uint64(24)
    w |= np.uint64(buf[i + 4]) << np.uint64(32)
    w |= np.uint64(buf[i + 5]) << np.uint64(40)
    w |= np.uint64(buf[i + 6]) << np.uint64(48)
    w |= np.uint64(buf[i + 7]) << np.uint64(56)
    return w


@numba.njit(cache=True)
def _digit_run8(buf, i):
    """Length (0-8) and value of the run of ASCII digits at ``buf[i:i+8]``.

    Eight bytes at once: ``x = byte ^ 0x30`` maps '0'-'9' to 0-9 and leaves a non-zero
    high nibble on any other byte except ':'..'?' (0x0A-0x0F), which ``x + 6`` pushes
    into the high nibble. A carry out of a byte can only start at a non-digit byte, so
    the first flagged byte is exactly the first non-digit. The k digits are then shifted
    to the top of the word (zeros in front are leading zeros) and combined pairwise:
    2 digits per 16 bits, 4 per 32, 8 per 64.
    """
    x = _load8(buf, i) ^ np.uint64(0x3030303030303030)
    flags = ((x + np.uint64(0x0606060606060606)) | x) & np.uint64(0xF0F0F0F0F0F0F0F0)
    if flags == 0:
        k = 8
    else:
        k = np.int64(trailing_zeros(flags)) >> 3
    if k == 0:
        return 0, np.int64(0)
    v = x << np.uint64(8 * (8 - k))
    v = ((v & np.uint64(0x0F0F0F0F0F0F0F0F)) * np.uint64(10 * 256 + 1)) >> np.uint64(8)
    v = ((v & np.uint64(0x00FF00FF00FF00FF)) * np.uint64(100 * 65536 + 1)) >> np.uint64(16)
    v = ((v & np.uint64(0x0000FFFF0000FFFF)) * np.uint64(10000 * 4294967296 + 1)) >> np.uint64(32)
    return k, np.int64(v)


@numba.njit(cache=True, inline="always")
def _lex_number(buf, pos, n):
    """Lex a decimal number ``[+-]digits[.digits][(e|E)[+-]digits]`` at ``pos`` (non-blank).

    ``buf`` must hold at least 8 zero bytes after the ``n`` bytes of data. Returns
    ``(ok, negative, mantissa, int_digits, frac_digits, exponent, end)``. The mantissa
    is only meaningful when ``int_digits + frac_digits <= 18`` (it wraps beyond);
    the exponent saturates near 1e5. ``ok`` is False when the token is not such a
    number; ``end`` is then the end of the token.
    """
    i = pos
    neg = False
    c = buf[i]
    if c == 45:  # '-'
        neg = True
        i += 1
    elif c == 43:  # '+'
        i += 1
    m = np.int64(0)
    int_digits = 0
    while True:
        k, v = _digit_run8(buf, i)
        m = m * _POW10_INT[k] + v
        i += k
        int_digits += k
        if k < 8:
            break
    frac_digits = 0
    if buf[i] == 46 and i < n:  # '.'
        i += 1
        while True:
            k, v = _digit_run8(buf, i)
            m = m * _POW10_INT[k] + v
            i += k
            frac_digits += k
            if k < 8:
                break
    ex = np.int64(0)
    if int_digits + frac_digits == 0 or i > n:
        return False, neg, m, int_digits, frac_digits, ex, _token_end(buf, min(i, n), n)
    c = buf[i]
    if (c == 101 or c == 69) and i < n:  # 'e' / 'E'
        i += 1
        eneg = False
        if buf[i] == 45 and i < n:
            eneg = True
            i += 1
        elif buf[i] == 43 and i < n:
            i += 1
        edigits = 0
        while True:
            k, v = _digit_run8(buf, i)
            if ex < 100000:
                ex = ex * _POW10_INT[k] + v
            i += k
            edigits += k
            if k < 8:
                break
        if edigits == 0 or i > n:
            return False, neg, m, int_digits, frac_digits, ex, _token_end(buf, min(i, n), n)
        if eneg:
            ex = -ex
        c = buf[i]
    if i < n and not (c == _SPACE or c == _TAB or c == _CR or c == _LF):
        return False, neg, m, int_digits, frac_digits, ex, _token_end(buf, i, n)
    return True, neg, m, int_digits, frac_digits, ex, i


@numba.njit(cache=True, error_model="numpy")
def _scan_float(buf, pos, n):
    """Scan a number and compute its value.

    Returns ``(status, value, end)``: ``_TOK_OK`` (value exact: Clinger's fast path,
    mantissa <= 2**53 and |power of ten| <= 22), ``_TOK_SLOW`` (a valid number outside
    the fast path: the caller computes it with ``float()``) or ``_TOK_BAD``.
    """
    ok, neg, m, int_digits, frac_digits, ex, end = _lex_number(buf, pos, n)
    if not ok:
        return _TOK_BAD, 0.0, end
    if int_digits + frac_digits > _MAX_DIGITS:
        return _TOK_SLOW, 0.0, end
    if m == 0:
        return _TOK_OK, (-0.0 if neg else 0.0), end
    e10 = ex - frac_digits
    if m > _MAX_MANTISSA or e10 > 22 or e10 < -22:
        return _TOK_SLOW, 0.0, end
    v = np.float64(m)
    if e10 >= 0:
        v = v * _POW10[e10]
    else:
        v = v / _POW10[-e10]
    if neg:
        v = -v
    return _TOK_OK, v, end


@numba.njit(cache=True)
def _scan_check(buf, pos, n):
    """Validate a number whose value is not kept. Returns ``(status, end)``.

    ``_TOK_SLOW`` marks a number that might not be finite (``|value| >= 1e300`` is
    possible); the caller checks it with ``float()``.
    """
    ok, neg, m, int_digits, frac_digits, ex, end = _lex_number(buf, pos, n)
    if not ok:
        return _TOK_BAD, end
    if int_digits + ex > 300:
        return _TOK_SLOW, end
    return _TOK_OK, end


@numba.njit(cache=True)
def _scan_count(buf, pos, n):
    """Scan an integer count. Returns ``(status, value, end)``; value saturates at 1e17."""
    i = pos
    neg = False
    c = buf[i]
    if c == 45:
        neg = True
        i += 1
    elif c == 43:
        i += 1
    v = np.int64(0)
    digits = 0
    while i < n:
        d = np.int64(buf[i]) - 48
        if d < 0 or d > 9:
            break
        if v < 100000000000000000:
            v = v * 10 + d
        digits += 1
        i += 1
    if digits > 0 and (i == n or buf[i] == _SPACE or buf[i] == _TAB or buf[i] == _CR or buf[i] == _LF):
        return _TOK_OK, (-v if neg else v), i
    status, end = _scan_check(buf, pos, n)
    if status == _TOK_BAD:
        return _TOK_BAD, 0, end
    return _TOK_NOT_INT, 0, end


@numba.njit(cache=True)
def _scan_body_id(buf, pos, n):
    """Scan a non-negative integer below 2**63. Returns ``(ok, value, end)``."""
    i = pos
    v = np.int64(0)
    digits = 0
    limit = np.int64(922337203685477580)  # (2**63 - 1) // 10
    while i < n:
        d = np.int64(buf[i]) - 48
        if d < 0 or d > 9:
            break
        if v > limit or (v == limit and d > 7):
            return False, 0, _token_end(buf, i, n)
        v = v * 10 + d
        digits += 1
        i += 1
    if digits == 0 or not (i == n or buf[i] == _SPACE or buf[i] == _TAB or buf[i] == _CR or buf[i] == _LF):
        return False, 0, _token_end(buf, i, n)
    return True, v, i


@numba.njit(cache=True)
def _end_of_line(buf, pos, n):
    """After the last expected field: ``(ok, next line start)``; ok is False if more fields follow."""
    pos = _skip_blanks(buf, pos, n)
    if pos == n:
        return True, pos
    if buf[pos] == _LF:
        return True, pos + 1
    return False, pos


@numba.njit(cache=True)
def _count_line(buf, pos, n):
    """A line holding one non-negative integer: ``(code, value or aux, next line start)``."""
    pos = _skip_blanks(buf, pos, n)
    if pos == n:
        return _E_TRUNCATED, 0, pos
    if buf[pos] == _LF:
        return _E_FIELD_COUNT, 0, pos
    status, v, end = _scan_count(buf, pos, n)
    if status != _TOK_OK:
        return (_E_NON_NUMERIC if status == _TOK_BAD else _E_NOT_INTEGER), 1, pos
    ok, nxt = _end_of_line(buf, end, n)
    if not ok:
        return _E_FIELD_COUNT, 0, pos
    if v < 0:
        return _E_NEGATIVE, v, pos
    return _OK, v, nxt


@numba.njit(cache=True)
def _body_line(buf, pos, n, line, slow, n_slow):
    """A body line: ``(code, aux, bodyID, next line start, n_slow)``."""
    pos = _skip_blanks(buf, pos, n)
    if pos == n:
        return _E_TRUNCATED, 0, 0, pos, n_slow
    if buf[pos] == _LF:
        return _E_FIELD_COUNT, 0, 0, pos, n_slow
    ok, bid, pos = _scan_body_id(buf, pos, n)
    if not ok:
        return _E_BODY_ID, 1, 0, pos, n_slow
    for fld in range(1, BODY_FIELDS):
        pos = _skip_blanks(buf, pos, n)
        if pos == n:
            return _E_TRUNCATED, 0, 0, pos, n_slow
        if buf[pos] == _LF:
            return _E_FIELD_COUNT, 0, 0, pos, n_slow
        status, end = _scan_check(buf, pos, n)
        if status == _TOK_BAD:
            return _E_NON_NUMERIC, fld + 1, 0, pos, n_slow
        if status == _TOK_SLOW:
            if n_slow < slow.shape[0]:
                slow[n_slow, 0] = pos
                slow[n_slow, 1] = end
                slow[n_slow, 2] = -1
                slow[n_slow, 3] = line
            n_slow += 1
        pos = end
    ok, pos = _end_of_line(buf, pos, n)
    if not ok:
        return _E_FIELD_COUNT, 0, 0, pos, n_slow
    return _OK, 0, bid, pos, n_slow


@numba.njit(cache=True, inline="always")
def _joint_lines(buf, pos, n, line, xyz, base, tstate, tbase, slow, n_slow):
    """The 25 joint lines of a body: ``(code, joint, field, next pos, next line, n_slow)``.

    x, y, z go to ``xyz[base + 3 * joint + axis]``, the trackingState to ``tstate``;
    the other fields are validated only.
    """
    for j in range(NUM_JOINTS):
        tstate[tbase + j] = -1
        for fld in range(JOINT_FIELDS):
            c = buf[pos]
            if c == _SPACE or c == _TAB or c == _CR:
                pos = _skip_blanks(buf, pos + 1, n)
            if pos == n:
                return _E_TRUNCATED, j, 0, pos, line, n_slow
            if buf[pos] == _LF:
                return _E_FIELD_COUNT, j, 0, pos, line, n_slow
            if fld < 3 or fld == JOINT_FIELDS - 1:
                status, v, end = _scan_float(buf, pos, n)
            else:
                status, end = _scan_check(buf, pos, n)
                v = 0.0
            if status == _TOK_OK:
                if fld < 3:
                    xyz[base + 3 * j + fld] = v
                elif fld == JOINT_FIELDS - 1:
                    if v >= -128.0 and v <= 127.0 and v == np.floor(v):
                        tstate[tbase + j] = np.int8(v)
            elif status == _TOK_SLOW:
                if n_slow < slow.shape[0]:
                    slow[n_slow, 0] = pos
                    slow[n_slow, 1] = end
                    slow[n_slow, 2] = base + 3 * j + fld if fld < 3 else -1
                    slow[n_slow, 3] = line
                n_slow += 1
            else:
                return _E_NON_NUMERIC, j, fld + 1, pos, line, n_slow
            pos = end
        ok, pos = _end_of_line(buf, pos, n)
        if not ok:
            return _E_FIELD_COUNT, j, 0, pos, line, n_slow
        line += 1
    return _OK, 0, 0, pos, line, n_slow


@numba.njit(cache=True)
def _parse_kernel(buf, n, slow_cap):
    """Parse the ``n`` bytes of a file held in ``buf`` (followed by at least 8 zero bytes).

    Returns ``(err, bodies_per_frame, body_frame, body_id, xyz, tstate, n_bodies, slow)``.
    ``err`` is int64 ``[6]``: code, line, line kind, aux (a count, a field number, a
    joint), frame index, number of slow tokens. ``slow`` is int64 ``[slow_cap, 4]``:
    start, end, destination (flat index into ``xyz`` or -1) and line of every token the
    caller must parse with ``float()``. Arrays are over-allocated; the caller trims them.
    """
    buf = _borrowed(buf)
    err = np.zeros(6, dtype=np.int64)
    slow = np.zeros((slow_cap, 4), dtype=np.int64)
    # A body record takes at least 622 bytes (single-character fields); a frame 1 byte.
    bcap = n // 622 + 1
    # Every entry of a parsed body is written (slow-path x, y, z by the caller).
    xyz = np.empty(bcap * (NUM_JOINTS * 3), dtype=np.float64)
    tstate = np.empty(bcap * NUM_JOINTS, dtype=np.int8)
    body_frame = np.empty(bcap, dtype=np.int32)
    body_id = np.empty(bcap, dtype=np.int64)
    bpf = np.zeros(0, dtype=np.int32)
    xyz_w = _borrowed(xyz)
    tstate_w = _borrowed(tstate)
    slow_w = _borrowed(slow)

    pos = 0
    while pos < n:
        c = buf[pos]
        if c == _SPACE or c == _TAB or c == _CR or c == _LF:
            pos += 1
        else:
            break
    if pos == n:
        err[0] = _E_EMPTY
        return err, bpf, body_frame, body_id, xyz, tstate, 0, slow

    line = 1
    code, frames, pos = _count_line(buf, 0, n)
    if code != _OK:
        err[0] = code
        err[1] = line
        err[2] = _K_FRAMES
        err[3] = frames
        err[4] = -1
        return err, bpf, body_frame, body_id, xyz, tstate, 0, slow
    if frames == 0:
        err[0] = _E_ZERO_FRAMES
        err[1] = line
        return err, bpf, body_frame, body_id, xyz, tstate, 0, slow
    line += 1
    fcap = min(frames, n // 2 + 2)
    bpf = np.zeros(fcap, dtype=np.int32)
    n_slow = 0
    b = 0
    code = _OK
    kind = 0
    aux = 0
    frame = -1
    for f in range(frames):
        frame = f
        kind = _K_BODIES
        if f >= fcap:
            code = _E_TRUNCATED
            break
        code, nb, pos = _count_line(buf, pos, n)
        if code != _OK:
            aux = nb
            break
        line += 1
        bpf[f] = nb
        for k in range(nb):
            kind = _K_BODY
            aux = k
            if b >= bcap:
                code = _E_TRUNCATED
                break
            code, aux, bid, pos, n_slow = _body_line(buf, pos, n, line, slow_w, n_slow)
            if code != _OK:
                break
            body_frame[b] = f
            body_id[b] = bid
            line += 1
            kind = _K_JOINTS
            code, nj, pos = _count_line(buf, pos, n)
            if code != _OK:
                aux = nj
                break
            if nj != NUM_JOINTS:
                code = _E_JOINT_COUNT
                aux = nj
                break
            line += 1
            kind = _K_JOINT
            code, j, fld, pos, line, n_slow = _joint_lines(
                buf, pos, n, line, xyz_w, b * (NUM_JOINTS * 3), tstate_w, b * NUM_JOINTS, slow_w, n_slow
            )
            if code != _OK:
                aux = fld if code == _E_NON_NUMERIC else j
                break
            b += 1
        if code != _OK:
            break
    if code == _OK:
        # Only whitespace may follow the last frame.
        while pos < n:
            c = buf[pos]
            if c == _LF:
                line += 1
            elif not (c == _SPACE or c == _TAB or c == _CR):
                code = _E_TRAILING
                kind = -1
                aux = frames
                frame = -1
                break
            pos += 1
    err[0] = code
    err[1] = line
    err[2] = kind
    err[3] = aux
    err[4] = frame
    err[5] = n_slow
    return err, bpf, body_frame, body_id, xyz, tstate, b, slow


# --------------------------------------------------------------------------- wrapper


def _as_bytes_array(data) -> np.ndarray:
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8 or data.ndim != 1:
            raise TypeError(f"expected a 1-D uint8 array, got {data.dtype} with shape {data.shape}")
        return np.ascontiguousarray(data)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return np.frombuffer(data, dtype=np.uint8)
    raise TypeError(f"expected bytes or a uint8 array, got {type(data).__name__}")


def _line_text(buf: np.ndarray, line: int) -> str:
    """The text of 1-based ``line`` (error path only)."""
    lines = bytes(buf).split(b"\n")
    if 1 <= line <= len(lines):
        return lines[line - 1].decode("ascii", errors="replace").strip()
    return ""


def _short(token: str) -> str:
    return repr(token if len(token) <= 24 else token[:21] + "...")


def _where(kind: int, frame: int, aux: int) -> str:
    """Position of an expected line within the file structure."""
    if kind == _K_FRAMES:
        return "the frame count"
    if kind == _K_BODIES:
        return f"the body count of frame {frame + 1}"
    if kind == _K_BODY:
        return f"a body line in frame {frame + 1}"
    if kind == _K_JOINTS:
        return f"a joint count in frame {frame + 1}"
    return f"joint {aux + 1} of a body in frame {frame + 1}"


def _message(buf: np.ndarray, err: np.ndarray) -> str:
    code, line, kind, aux, frame = (int(x) for x in err[:5])
    if code == _E_EMPTY:
        return "empty file"
    prefix = f"line {line}: "
    if code == _E_ZERO_FRAMES:
        return prefix + "frame count is 0"
    if code == _E_TRUNCATED:
        return prefix + f"file ends early (truncated): expected {_where(kind, frame, aux)}"
    if code == _E_JOINT_COUNT:
        return prefix + f"joint count {aux}, expected {NUM_JOINTS}"
    if code == _E_NEGATIVE:
        return prefix + f"negative {_KIND_NAMES[kind]} {aux}"
    if code == _E_TRAILING:
        return prefix + f"data after the last of the {aux} declared frames (a body count too small?)"
    text = _line_text(buf, line)
    tokens = text.split()
    if code == _E_FIELD_COUNT:
        expected = _KIND_FIELDS[kind]
        plural = "field" if expected == 1 else "fields"
        return prefix + (
            f"{len(tokens)} fields where {_where(kind, frame, aux)} needs {expected} {plural}"
        )
    token = tokens[aux - 1] if 1 <= aux <= len(tokens) else ""
    if code == _E_NON_NUMERIC:
        return prefix + f"non-numeric value {_short(token)} (field {aux} of a {_KIND_NAMES[kind]} line)"
    if code == _E_NOT_INTEGER:
        return prefix + f"{_KIND_NAMES[kind]} {_short(token)} is not an integer"
    if code == _E_BODY_ID:
        return prefix + f"bodyID {_short(token)} is not a non-negative 64-bit integer"
    return prefix + f"malformed (error code {code})"


def parse_ntu_skeleton(data: bytes | bytearray | memoryview | np.ndarray) -> ParsedSkeleton:
    """Parse the raw bytes of one NTU ``.skeleton`` file.

    Args:
        data: The whole file as bytes (or a 1-D uint8 array), as read from disk or a zip.

    Returns:
        A :class:`ParsedSkeleton` (bodies in file order, xyz exact float64).

    Raises:
        SkeletonFormatError: empty file, zero frames, truncated file, joint count other
            than 25, a line with the wrong number of fields, a non-numeric token (``nan``
            and ``inf`` included), a non-finite value, a negative count, a bodyID that is
            not an integer, or data after the last declared frame. The reason names the
            line.
        TypeError: ``data`` is neither bytes-like nor a 1-D uint8 array.
    """
    buf = _as_bytes_array(data)
    n = int(buf.shape[0])
    padded = np.zeros(n + _PAD, dtype=np.uint8)
    padded[:n] = buf
    cap = 16
    while True:
        err, bpf, body_frame, body_id, xyz, tstate, nb, slow = _parse_kernel(padded, n, cap)
        n_slow = int(err[5])
        if n_slow <= cap:
            break
        cap = n_slow  # rare: tokens outside the fast path; run again with room for all
    code = int(err[0])
    # Tokens outside the exact fast path: parse with float(), check finiteness. A
    # non-finite one is reported when it precedes the kernel's own error, if any.
    for s, e, dest, line in slow[:n_slow].tolist():
        token = bytes(buf[s:e]).decode("ascii")
        value = float(token)
        if not math.isfinite(value):
            if code == _OK or line < int(err[1]):
                raise SkeletonFormatError(f"line {line}: non-finite value {_short(token)}")
            break
        if dest >= 0:
            xyz[dest] = value
    if code != _OK:
        raise SkeletonFormatError(_message(buf, err))
    # The kernel sizes its arrays for the worst case; keep compact copies.
    return ParsedSkeleton(
        frames=int(bpf.shape[0]),
        bodies_per_frame=bpf,
        body_frame=body_frame[:nb].copy(),
        body_id=body_id[:nb].copy(),
        xyz=xyz[: nb * NUM_JOINTS * 3].reshape(nb, NUM_JOINTS, 3).copy(),
        tracking_state=tstate[: nb * NUM_JOINTS].reshape(nb, NUM_JOINTS).copy(),
    )
