"""Temporal crop-and-resize: torch's linear interpolation, windows, batch form."""

import math

import numpy as np
import pytest

from actionkit.kernels.resample import (
    center_window,
    crop_resize,
    crop_resize_batch,
    random_window,
    resize,
)


def slow_resize(win, out_len):
    """Half-pixel linear interpolation along axis 0, in float64."""
    n = win.shape[0]
    out = np.zeros((out_len,) + win.shape[1:])
    for j in range(out_len):
        src = max((j + 0.5) * n / out_len - 0.5, 0.0)
        i0 = min(int(math.floor(src)), n - 1)
        i1 = min(i0 + 1, n - 1)
        lam = src - i0
        out[j] = (1 - lam) * win[i0].astype(np.float64) + lam * win[i1].astype(np.float64)
    return out


CASES = [(100, 0, 100, 64), (100, 17, 70, 64), (30, 0, 30, 64), (1, 0, 1, 64), (200, 5, 150, 50),
         (7, 2, 4, 3), (120, 40, 79, 1)]


@pytest.mark.parametrize("t_len, start, length, out_len", CASES)
def test_crop_resize_matches_slow_reference(t_len, start, length, out_len):
    x = np.random.default_rng(t_len).standard_normal((t_len, 2, 25, 3)).astype(np.float32)
    out = crop_resize(x, start, length, out_len)
    assert out.shape == (out_len, 2, 25, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, slow_resize(x[start : start + length], out_len), atol=2e-6)


@pytest.mark.parametrize("t_len, start, length, out_len", CASES)
def test_crop_resize_matches_torch_interpolate(t_len, start, length, out_len):
    torch = pytest.importorskip("torch")
    functional = pytest.importorskip("torch.nn.functional")
    x = np.random.default_rng(t_len).standard_normal((t_len, 2, 25, 3)).astype(np.float32)
    win = torch.tensor(x[start : start + length])
    # ISC / CMD: [C*V*M, L] as a 1 x 1 x L x 1 "image", bilinear, align_corners=False.
    flat = win.permute(1, 2, 3, 0).reshape(-1, length)[None, :, :, None]
    ref = functional.interpolate(flat, size=(out_len, 1), mode="bilinear", align_corners=False)
    ref = ref[0, :, :, 0].reshape(2, 25, 3, out_len).permute(3, 0, 1, 2).numpy()
    out = crop_resize(x, start, length, out_len)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-6)


def test_equal_length_is_a_copy_and_single_frame_is_constant():
    x = np.random.default_rng(0).standard_normal((64, 2, 25, 3)).astype(np.float32)
    np.testing.assert_array_equal(resize(x, 64), x)
    const = crop_resize(x, 10, 1, 8)
    np.testing.assert_allclose(const, np.broadcast_to(x[10], const.shape), atol=1e-6)


def test_hand_computed_upsampling():
    x = np.array([0.0, 4.0], np.float32).reshape(2, 1, 1, 1)
    # 2 -> 4 frames: sources max(0, (j + .5) / 2 - .5) = 0, .25, .75, 1.25 -> clamp at the end.
    np.testing.assert_allclose(resize(x, 4).ravel(), [0.0, 1.0, 3.0, 4.0])


def test_batch_matches_single_windows():
    rng = np.random.default_rng(1)
    stream = rng.standard_normal((300, 2, 25, 3)).astype(np.float32)
    starts, lengths = np.array([0, 50, 120, 299]), np.array([40, 70, 180, 1])
    out = crop_resize_batch(stream, starts, lengths, 64)
    assert out.shape == (4, 64, 2, 25, 3)
    for b in range(4):
        np.testing.assert_array_equal(out[b], crop_resize(stream, starts[b], lengths[b], 64))
    with pytest.raises(ValueError, match="outside"):
        crop_resize_batch(stream, np.array([290]), np.array([20]), 64)


def test_window_validation():
    x = np.zeros((10, 1, 25, 3), np.float32)
    with pytest.raises(ValueError):
        crop_resize(x, 5, 6, 4)
    with pytest.raises(ValueError):
        crop_resize(x, 0, 0, 4)
    with pytest.raises(ValueError):
        crop_resize(x, 0, 5, 0)


def test_random_window_follows_the_isc_rule():
    for n in (10, 64, 100, 300):
        for seed in range(20):
            start, length = random_window(n, (0.5, 1.0), 64, np.random.default_rng(seed))
            rng = np.random.default_rng(seed)
            ratio = rng.random() * 0.5 + 0.5
            want = min(max(int(math.floor(n * ratio)), 64), n)
            assert length == want
            assert start == int(rng.integers(0, n - want + 1))
            assert 0 <= start and start + length <= n


def test_center_window():
    assert center_window(100, 0.95) == (2, 96)
    assert center_window(10, 0.9) == (0, 10)
    assert center_window(300, 0.5) == (75, 150)
