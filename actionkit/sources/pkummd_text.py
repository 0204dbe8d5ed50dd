"""PKU-MMD text formats: skeleton sequence, label and split files, parsed without I/O.

A skeleton file has one line per frame of :data:`VALUES_PER_LINE` numbers (2 bodies x 25
joints x xyz, an absent body written as 75 zeros); a label file has one action instance
a line (``action_id,start_frame,end_frame,confidence``); a split file lists sequence ids
after ``Training videos:`` and ``Validataion videos:`` (sic) headers. These functions take
the bytes or text already read (:func:`clip_bodies` turns parsed lines into body records);
:mod:`actionkit.sources.pkummd` finds and reads the files.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

from actionkit.kernels.skeleton_text import ParsedSkeleton
from actionkit.sources.base import SampleError

VALUES_PER_LINE = 150  # 2 bodies x 25 joints x 3

_LABEL_LINE = re.compile(r"^\s*-?\d+\s*,\s*-?\d+\s*,\s*-?\d+\s*,\s*-?\d+\s*,?\s*$")
_SPLIT_HEADER = re.compile(r"^\s*(training|validat\w*|test\w*)\b[^:]*:(.*)$", re.IGNORECASE)


def parse_label_text(text: str) -> list[tuple[int, tuple[int, int, int, int] | str]]:
    """One entry per non-blank label line: ``(line number, (action, start, end, confidence))``,
    or ``(line number, reason)`` when the line is not four comma-separated integers."""
    entries: list[tuple[int, tuple[int, int, int, int] | str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                values = tuple(int(f) for f in line.strip().rstrip(",").split(","))
            except ValueError:
                values = ()
            ok = len(values) == 4
            entries.append((number, values if ok else f"line {number}: {line.strip()!r} is not four "
                            "comma-separated integers (action_id,start_frame,end_frame,confidence)"))
    return entries  # type: ignore[return-value]


def parse_split_text(text: str) -> dict[str, set[str]]:
    """Parse a split file: ``{"train": ids, "test": ids}`` (the validation list is the test part).

    Ids follow a ``Training videos:`` / ``Validataion videos:`` header (sic), on its line or
    the next ones, separated by commas and/or whitespace; trailing commas are ignored.

    Raises:
        ValueError: a section is missing, or ids come before any header.
    """
    parts: dict[str, set[str]] = {}
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        m = _SPLIT_HEADER.match(line)
        if m:
            current = "train" if m.group(1).lower() == "training" else "test"
            parts.setdefault(current, set())
            line = m.group(2)
        ids = [t for t in re.split(r"[,\s]+", line) if t]
        if ids and current is None:
            raise ValueError(f"line {number}: ids before a 'Training videos:' header")
        if current is not None:
            parts[current].update(ids)
    for part, header in (("train", "Training videos:"), ("test", "Validataion videos:")):
        if part not in parts:
            raise ValueError(f"no {header!r} section")
    return parts


def parse_sequence(data: bytes) -> np.ndarray:
    """Parse a skeleton file into float64 ``[frames, 150]``.

    Raises:
        SampleError: zero frames, a line without 150 values, a non-numeric or non-finite
            value; the reason names the line.
    """
    lines = data.split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise SampleError("skeleton file has zero frames")
    rows = [line.split() for line in lines]
    for i, row in enumerate(rows):
        if len(row) != VALUES_PER_LINE:
            raise SampleError(f"line {i + 1}: {len(row)} values, expected 150 (2 bodies x 25 joints x xyz)")
    try:
        values = np.array(list(itertools.chain.from_iterable(rows)), dtype=np.bytes_).astype(np.float64)
    except ValueError:
        for i, row in enumerate(rows):
            for token in row:
                try:
                    float(token)
                except ValueError:
                    raise SampleError(f"line {i + 1}: non-numeric value {token.decode(errors='replace')!r}") from None
        raise
    values = values.reshape(len(rows), VALUES_PER_LINE)
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        raise SampleError(f"line {int(np.flatnonzero(~finite)[0]) + 1}: non-finite value")
    return values


def clip_bodies(clip: np.ndarray) -> ParsedSkeleton:
    """Body records of ``[T, 150]`` PKU-MMD lines, for :func:`select_bodies`.

    A slot is a body record in a frame when it is not all zeros; its body id is the slot
    number (1 or 2), so the raw slot order plays the part of NTU's ``bodyID`` tracking.
    """
    frames = clip.shape[0]
    xyz = clip.reshape(frames, 2, 25, 3)
    present = np.any(xyz != 0.0, axis=(2, 3))
    body_frame, slot = np.nonzero(present)
    return ParsedSkeleton(
        frames=frames,
        bodies_per_frame=present.sum(axis=1).astype(np.int32),
        body_frame=body_frame.astype(np.int32),
        body_id=(slot + 1).astype(np.int64),
        xyz=np.ascontiguousarray(xyz[body_frame, slot], dtype=np.float64),
        tracking_state=np.full((len(slot), 25), -1, dtype=np.int8),  # not in the format
    )


def classify(head: bytes, complete: bool) -> str | None:
    """``"skeleton"``, ``"label"`` or None, from a file's first bytes.

    Args:
        head: The first bytes of the file.
        complete: Whether ``head`` is the whole file (else its last line may be cut).
    """
    lines = head.removeprefix(b"\xef\xbb\xbf").decode("latin-1").splitlines()
    first = next((line for line in (lines if complete else lines[:-1]) if line.strip()), None)
    if first is None:
        return None
    if _LABEL_LINE.match(first):
        return "label"
    tokens = first.split()
    if len(tokens) != VALUES_PER_LINE:
        return None
    try:
        for token in tokens:
            float(token)
    except ValueError:
        return None
    return "skeleton"
