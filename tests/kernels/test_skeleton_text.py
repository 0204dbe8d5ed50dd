"""Tests of the NTU ``.skeleton`` parser (actionkit.kernels.skeleton_text)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from realdata import real_files, real_path

from actionkit.kernels.bodies import select_bodies
from actionkit.kernels.skeleton_text import ParsedSkeleton, SkeletonFormatError, parse_ntu_skeleton


def ntu_files() -> list[Path]:
    return real_files("ntu", "skeletons", pattern="*.skeleton")


# --------------------------------------------------------------------------- helpers


def fmt(v: float) -> str:
    """Like the genuine files: up to 7 significant digits, ``E-05`` style exponents."""
    return format(float(v), ".7G")


def body_lines(body_id: int, xyz: np.ndarray, *, joint_count: int | None = None) -> list[str]:
    """The 27 lines of one body record in the genuine layout."""
    lines = [f"{body_id} 0 1 1 1 1 0 {fmt(0.01119184)} {fmt(-0.256052)} 2"]
    lines.append(str(len(xyz) if joint_count is None else joint_count))
    for j, (x, y, z) in enumerate(xyz):
        rest = [336.5812 + j, 192.8021, 1184.537, 489.4118, -0.2218947, 0.03421978, 0.968875, -0.1042736]
        lines.append(" ".join([fmt(x), fmt(y), fmt(z)] + [fmt(r) for r in rest] + ["2"]))
    return lines


def skeleton_lines(frames: list[list[tuple[int, np.ndarray]]], declared_frames: int | None = None) -> list[str]:
    """All lines of a file; ``frames[t]`` lists the ``(bodyID, xyz[25, 3])`` of frame t."""
    lines = [str(len(frames) if declared_frames is None else declared_frames)]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for body_id, xyz in bodies:
            lines += body_lines(body_id, xyz)
    return lines


def to_bytes(lines: list[str], newline: str = "\r\n", final_newline: bool = True) -> bytes:
    text = newline.join(lines) + (newline if final_newline else "")
    return text.encode("ascii")


def random_xyz(rng: np.random.Generator, n: int = 1) -> list[np.ndarray]:
    return [rng.normal(0.0, 0.5, size=(25, 3)) + [0.0, 0.0, 3.0] for _ in range(n)]


def simple_file(rng: np.random.Generator, n_frames: int = 3, bodies: int = 1) -> list[str]:
    ids = [72057594037944734 + k for k in range(bodies)]
    return skeleton_lines([[(ids[k], x) for k, x in enumerate(random_xyz(rng, bodies))] for _ in range(n_frames)])


def python_reference(data: bytes) -> tuple[int, list[int], list[int], list[list[list[str]]]]:
    """A plain readline/float() reading: frames, body counts, bodyIDs, joint tokens."""
    lines = data.decode("ascii").splitlines()
    i = 0
    frames = int(lines[i])
    i += 1
    counts, ids, joints = [], [], []
    for _ in range(frames):
        nb = int(lines[i])
        i += 1
        counts.append(nb)
        for _ in range(nb):
            ids.append(int(lines[i].split()[0]))
            nj = int(lines[i + 1])
            i += 2
            joints.append([lines[i + j].split() for j in range(nj)])
            i += nj
    return frames, counts, ids, joints


def expect_error(data: bytes, *patterns: str) -> str:
    with pytest.raises(SkeletonFormatError) as info:
        parse_ntu_skeleton(data)
    message = str(info.value)
    assert info.value.reason == message
    for p in patterns:
        assert re.search(p, message), f"{p!r} not in {message!r}"
    return message


# --------------------------------------------------------------------------- real files


def test_real_files_match_plain_python_reading():
    for path in ntu_files():
        data = path.read_bytes()
        assert b"\r\n" in data
        parsed = parse_ntu_skeleton(data)
        frames, counts, ids, joints = python_reference(data)
        assert parsed.frames == frames
        assert parsed.bodies_per_frame.dtype == np.int32
        assert parsed.bodies_per_frame.tolist() == counts
        assert parsed.body_id.dtype == np.int64
        assert parsed.body_id.tolist() == ids
        assert parsed.body_frame.tolist() == [t for t, n in enumerate(counts) for _ in range(n)]
        assert parsed.xyz.shape == (len(ids), 25, 3) and parsed.xyz.dtype == np.float64
        expected64 = np.array([[[float(v) for v in line[:3]] for line in body] for body in joints])
        expected32 = np.array([[[np.float32(float(v)) for v in line[:3]] for line in body] for body in joints])
        np.testing.assert_array_equal(parsed.xyz, expected64)  # exact, bit for bit
        np.testing.assert_array_equal(parsed.xyz.astype(np.float32), expected32)
        states = np.array([[int(line[11]) for line in body] for body in joints])
        np.testing.assert_array_equal(parsed.tracking_state, states)


def test_real_two_body_file_has_two_distinct_ids():
    path = real_path("ntu", "skeletons", "S001C003P008R002A058.skeleton")
    parsed = parse_ntu_skeleton(path.read_bytes())
    assert sorted(set(parsed.body_id.tolist())) == [72057594037944734, 72057594037944738]
    assert (parsed.bodies_per_frame == 2).all()


def test_real_files_crlf_and_lf_parse_identically():
    for path in ntu_files():
        crlf = path.read_bytes()
        lf = crlf.replace(b"\r\n", b"\n")
        no_final = lf.rstrip(b"\n")
        a, b, c = (parse_ntu_skeleton(d) for d in (crlf, lf, no_final))
        for other in (b, c):
            assert other.frames == a.frames
            for field in ("bodies_per_frame", "body_frame", "body_id", "xyz", "tracking_state"):
                np.testing.assert_array_equal(getattr(other, field), getattr(a, field))


def test_real_files_first_mode_equals_file_values():
    for path in ntu_files():
        data = path.read_bytes()
        frames, counts, _, joints = python_reference(data)
        out = select_bodies(parse_ntu_skeleton(data), "first", 2)
        assert out.shape == (frames, 2, 25, 3) and out.dtype == np.float32
        b = 0
        for t in range(frames):
            for m in range(2):
                if m < counts[t]:
                    expected = np.array([[np.float32(float(v)) for v in line[:3]] for line in joints[b + m]])
                    np.testing.assert_array_equal(out[t, m], expected)
                else:
                    assert not out[t, m].any()
            b += counts[t]


# --------------------------------------------------------------------------- numbers


NUMBER_TOKENS = [
    "0", "-0", "0.0", "1", "-1", "+2.5", ".5", "-.5", "5.", "-5.", "0.7201789", "-0.2218947",
    "1184.537", "-7.257856E-05", "5.861595E-06", "1e-05", "1.5e+3", "2E3", "000123.4500",
    "0.000000000000000000001234567",  # exponent beyond 22: slow path
    "123456789012345678901234",  # more than 18 digits: slow path
    "9007199254740993",  # 2**53 + 1: slow path
    "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308",
    "3.141592653589793238462643383279", "-0.1000000000000000055511151231257827",
    "1e22", "1e23", "9007199254740992e-22", "0e999",
]


def test_number_tokens_parse_exactly_like_python_float():
    rng = np.random.default_rng(0)
    xyz = random_xyz(rng)[0]
    lines = skeleton_lines([[(1, xyz)]])
    tokens = NUMBER_TOKENS + [repr(float(v)) for v in rng.normal(size=20)]
    tokens += [format(float(v), ".3e") for v in rng.normal(size=20) * 1e-3]
    tokens = (tokens * 3)[:75]
    for j in range(25):
        fields = lines[4 + j].split()
        fields[:3] = tokens[3 * j: 3 * j + 3]
        lines[4 + j] = " ".join(fields)
    parsed = parse_ntu_skeleton(to_bytes(lines))
    got = parsed.xyz.reshape(-1)
    for token, value in zip(tokens, got):
        assert value == float(token) and math.copysign(1, value) == math.copysign(1, float(token)), token


def test_random_seven_digit_values_are_exact():
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(0, 1, 3000), rng.uniform(-5, 5, 3000) * 10.0 ** rng.integers(-9, 4, 3000)])
    tokens = [format(float(v), ".7G") for v in values] + [format(float(v), ".7g") for v in values[:600]]
    n_bodies = len(tokens) // 75
    frames = []
    for b in range(n_bodies):
        xyz = np.array([float(t) for t in tokens[75 * b: 75 * b + 75]]).reshape(25, 3)
        frames.append([(b, xyz)])
    parsed = parse_ntu_skeleton(to_bytes(skeleton_lines(frames)))
    expected = np.array([float(t) for t in tokens[: 75 * n_bodies]])
    np.testing.assert_array_equal(parsed.xyz.reshape(-1), expected)


def test_many_slow_tokens_are_all_exact():
    # More slow-path tokens than the first kernel run has room for.
    rng = np.random.default_rng(2)
    xyz = random_xyz(rng, 3)
    lines = skeleton_lines([[(7, x)] for x in xyz])
    tokens = []
    for body in range(3):
        for j in range(25):
            idx = 4 + 28 * body + j
            fields = lines[idx].split()
            digits = "".join(str(d) for d in rng.integers(0, 10, 24))
            fields[0] = f"{digits[:12]}.{digits[12:]}e-11"
            fields[5] = "1" * 25  # a non-kept field on the slow path
            tokens.append(fields[0])
            lines[idx] = " ".join(fields)
    parsed = parse_ntu_skeleton(to_bytes(lines))
    np.testing.assert_array_equal(parsed.xyz[:, :, 0].reshape(-1), [float(t) for t in tokens])


def test_body_ids_above_2_53_stay_distinct():
    rng = np.random.default_rng(3)
    a, b = random_xyz(rng, 2)
    ids = [72057594037944738, 72057594037944739]
    assert float(ids[0]) == float(ids[1])
    parsed = parse_ntu_skeleton(to_bytes(skeleton_lines([[(ids[0], a), (ids[1], b)]])))
    assert parsed.body_id.tolist() == ids
    big = 2**63 - 1
    parsed = parse_ntu_skeleton(to_bytes(skeleton_lines([[(big, a)]])))
    assert parsed.body_id.tolist() == [big]


def test_tolerates_spaces_tabs_and_line_endings():
    rng = np.random.default_rng(4)
    lines = simple_file(rng, n_frames=4, bodies=2)
    reference = parse_ntu_skeleton(to_bytes(lines))
    messy = [("  " if i % 3 == 0 else "") + line.replace(" ", " \t  ") + (" " if i % 2 else "")
             for i, line in enumerate(lines)]
    for data in (
        to_bytes(lines, "\n"),
        to_bytes(lines, "\r\n", final_newline=False),
        to_bytes(lines, "\n", final_newline=False),
        to_bytes(lines) + b"\r\n\r\n  \n",
        to_bytes(messy, "\r\n"),
        bytearray(to_bytes(lines)),
        memoryview(to_bytes(lines)),
        np.frombuffer(to_bytes(lines), dtype=np.uint8).copy(),
    ):
        parsed = parse_ntu_skeleton(data)
        assert isinstance(parsed, ParsedSkeleton)
        for field in ("bodies_per_frame", "body_frame", "body_id", "xyz", "tracking_state"):
            np.testing.assert_array_equal(getattr(parsed, field), getattr(reference, field))


def test_frames_without_bodies_and_more_than_two_bodies():
    rng = np.random.default_rng(5)
    frames = [[], [(1, random_xyz(rng)[0])], [(k, x) for k, x in enumerate(random_xyz(rng, 4))], []]
    parsed = parse_ntu_skeleton(to_bytes(skeleton_lines(frames)))
    assert parsed.frames == 4
    assert parsed.bodies_per_frame.tolist() == [0, 1, 4, 0]
    assert parsed.body_frame.tolist() == [1, 2, 2, 2, 2]
    assert parsed.num_bodies == 5
    all_empty = parse_ntu_skeleton(b"2\r\n0\r\n0\r\n")
    assert all_empty.frames == 2 and all_empty.num_bodies == 0 and all_empty.xyz.shape == (0, 25, 3)


def test_nothing_compiles_at_import():
    code = (
        "import numba\n"
        "import actionkit.kernels.skeleton_text as st, actionkit.kernels.bodies as kb\n"
        "kernels = [v for m in (st, kb) for v in vars(m).values() if isinstance(v, numba.core.dispatcher.Dispatcher)]\n"
        "assert len(kernels) > 5 and not any(k.signatures for k in kernels), kernels\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_rejects_wrong_input_types():
    with pytest.raises(TypeError):
        parse_ntu_skeleton("1\n0\n")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_ntu_skeleton(np.zeros(4, dtype=np.int32))


# --------------------------------------------------------------------------- errors


def test_error_empty_file():
    expect_error(b"", r"^empty file$")
    expect_error(b" \r\n\r\n", r"^empty file$")


def test_error_zero_frames():
    expect_error(b"0\r\n", r"line 1: frame count is 0")


def test_error_truncated():
    rng = np.random.default_rng(6)
    lines = simple_file(rng, n_frames=3)
    data = to_bytes(lines)
    # ends after 10 of the 25 joint lines of the last body
    cut = to_bytes(lines[:70])
    expect_error(cut, r"^line 71: file ends early \(truncated\): expected joint 11 of a body in frame 3$")
    # ends in the middle of a joint line
    cut_mid = data[: data.index(lines[40].encode()) + 20]
    expect_error(cut_mid, r"line 41: .*truncated")
    # a whole frame missing
    expect_error(to_bytes(lines[: 1 + 2 * 28]), r"line 58: .*truncated.*body count of frame 3")
    # a declared body missing in the last frame
    short = list(lines)
    short[57] = "2"
    expect_error(to_bytes(short), r"^line 86: .*truncated.*a body line in frame 3")
    # a header that promises far more frames than the file can hold
    big = list(lines)
    big[0] = "1000000000000"
    expect_error(to_bytes(big), r"truncated")


def test_error_joint_count():
    rng = np.random.default_rng(7)
    lines = skeleton_lines([[(1, random_xyz(rng)[0])], [(1, random_xyz(rng)[0][:24])]])
    expect_error(to_bytes(lines), r"^line 32: joint count 24, expected 25$")


@pytest.mark.parametrize(
    "index, change, pattern",
    [
        (2, lambda f: f[:9], r"^line 3: 9 fields where a body line in frame 1 needs 10 fields$"),
        (2, lambda f: f + ["0"], r"^line 3: 11 fields .* needs 10"),
        (6, lambda f: f[:11], r"^line 7: 11 fields where joint 3 .* frame 1 needs 12 fields$"),
        (6, lambda f: f + ["1"], r"^line 7: 13 fields .* needs 12"),
        (6, lambda f: [], r"^line 7: 0 fields .* needs 12"),
        (1, lambda f: f + ["1"], r"^line 2: 2 fields where the body count of frame 1 needs 1 field$"),
        (3, lambda f: ["25", "3"], r"^line 4: 2 fields where a joint count"),
        (0, lambda f: ["2", "x"], r"^line 1: 2 fields where the frame count needs 1 field"),
    ],
)
def test_error_field_count(index, change, pattern):
    rng = np.random.default_rng(8)
    lines = simple_file(rng, n_frames=2)
    lines[index] = " ".join(change(lines[index].split()))
    expect_error(to_bytes(lines), pattern)


@pytest.mark.parametrize("token", ["abc", "nan", "NaN", "inf", "-inf", "Infinity", "1.2.3", "-", ".", "1e", "1e+",
                                   "--1", "0x1A", "1,5", "e5"])
def test_error_non_numeric(token):
    rng = np.random.default_rng(9)
    lines = simple_file(rng, n_frames=2)
    fields = lines[40].split()
    fields[1] = token
    lines[40] = " ".join(fields)
    expect_error(to_bytes(lines), rf"^line 41: non-numeric value {re.escape(repr(token))} \(field 2 of a joint line\)$")


def test_error_non_numeric_other_fields_and_counts():
    rng = np.random.default_rng(10)
    lines = simple_file(rng, n_frames=2)
    bad = list(lines)
    bad[2] = bad[2].replace(" 0 1 1 1 1 0 ", " 0 1 x 1 1 0 ", 1)
    expect_error(to_bytes(bad), r"^line 3: non-numeric value 'x' \(field 4 of a body line\)$")
    bad = list(lines)
    fields = bad[10].split()
    fields[11] = "tracked"
    bad[10] = " ".join(fields)
    expect_error(to_bytes(bad), r"^line 11: non-numeric value 'tracked' \(field 12")
    bad = list(lines)
    bad[1] = "one"
    expect_error(to_bytes(bad), r"^line 2: non-numeric value 'one' \(field 1 of a body count line\)$")
    bad = list(lines)
    bad[0] = "2.5"
    expect_error(to_bytes(bad), r"^line 1: frame count '2.5' is not an integer$")
    bad = list(lines)
    bad[3] = "25.0"
    expect_error(to_bytes(bad), r"^line 4: joint count '25.0' is not an integer$")


def test_error_body_id():
    rng = np.random.default_rng(11)
    lines = simple_file(rng, n_frames=2)
    for token in ("7.205759e16", "-72057594037944738", "abc", "9223372036854775808"):
        bad = list(lines)
        bad[30] = token + " " + " ".join(bad[30].split()[1:])
        expect_error(to_bytes(bad), rf"^line 31: bodyID {re.escape(repr(token))} is not")


@pytest.mark.parametrize("token", ["1e400", "-1e999", "1" * 400])
def test_error_non_finite(token):
    rng = np.random.default_rng(12)
    lines = simple_file(rng, n_frames=2)
    for index, field in ((35, 2), (35, 7), (30, 8)):
        bad = list(lines)
        fields = bad[index].split()
        fields[field] = token
        bad[index] = " ".join(fields)
        expect_error(to_bytes(bad), rf"^line {index + 1}: non-finite value")


def test_error_non_finite_reported_before_a_later_error():
    rng = np.random.default_rng(13)
    lines = simple_file(rng, n_frames=2)
    fields = lines[10].split()
    fields[0] = "1e999"
    lines[10] = " ".join(fields)
    lines[40] = "nan " + " ".join(lines[40].split()[1:])
    expect_error(to_bytes(lines), r"^line 11: non-finite value '1e999'$")
    lines[40] = lines[41]
    lines[5] = "abc " + " ".join(lines[5].split()[1:])
    expect_error(to_bytes(lines), r"^line 6: non-numeric value 'abc'")


def test_error_data_after_last_frame():
    rng = np.random.default_rng(14)
    lines = simple_file(rng, n_frames=2)
    expect_error(to_bytes(lines + ["1"]), r"^line 58: data after the last of the 2 declared frames")
    fewer = list(lines)
    fewer[0] = "1"
    expect_error(to_bytes(fewer), r"^line 30: data after the last of the 1 declared frames")
    # a body count smaller than the bodies present, last frame
    two = simple_file(rng, n_frames=2, bodies=2)
    two[56] = "1"
    expect_error(to_bytes(two), r"^line 85: data after the last")
    # ... and in a middle frame: the next body line is read as a body count
    two = simple_file(rng, n_frames=2, bodies=2)
    two[1] = "1"
    expect_error(to_bytes(two), r"^line 30: 10 fields where the body count of frame 2 needs 1 field")


def test_error_negative_counts():
    rng = np.random.default_rng(15)
    lines = simple_file(rng, n_frames=2)
    for index, pattern in (
        (0, r"^line 1: negative frame count -2$"),
        (1, r"^line 2: negative body count -2$"),
        (3, r"^line 4: negative joint count -2$"),
    ):
        bad = list(lines)
        bad[index] = "-2"
        expect_error(to_bytes(bad), pattern)
