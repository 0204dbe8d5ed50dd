"""TV-L1 flow: OpenCV's defaults, a known shift, the field's quantisation, the registry, real frames."""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pytest
from realdata import real_path

from actionkit.video.flow import (
    COLOUR_WHEEL,
    FLOW_ESTIMATORS,
    TVL1,
    FlowEstimator,
    build_flow_estimator,
    dequantize_flow,
    flow_to_colour,
    quantize_flow,
    video_flow,
)

H, W = 48, 64


def texture(seed: int = 0, margin: int = 10) -> np.ndarray:
    """Smooth random grey texture, ``margin`` px larger than a frame on every side."""
    noise = np.random.default_rng(seed).integers(0, 256, (H + 2 * margin, W + 2 * margin), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (7, 7), 1.5)


def crop(image: np.ndarray, top: int, left: int) -> np.ndarray:
    return np.ascontiguousarray(image[top:top + H, left:left + W])


def test_defaults_equal_opencvs():
    cv = cv2.optflow.DualTVL1OpticalFlow_create()
    ours = TVL1().params()
    assert ours == {
        "tau": cv.getTau(), "lambda_": cv.getLambda(), "theta": cv.getTheta(), "nscales": cv.getScalesNumber(),
        "warps": cv.getWarpingsNumber(), "epsilon": cv.getEpsilon(), "inner_iterations": cv.getInnerIterations(),
        "outer_iterations": cv.getOuterIterations(), "scale_step": cv.getScaleStep(), "gamma": cv.getGamma(),
        "median_filtering": cv.getMedianFiltering()}
    assert (ours["tau"], ours["lambda_"], ours["theta"], ours["nscales"], ours["warps"], ours["epsilon"]) == (
        0.25, 0.15, 0.3, 5, 5, 0.01)


def test_parameters_reach_the_opencv_object():
    tvl1 = TVL1(tau=0.2, lambda_=0.1, theta=0.4, nscales=3, warps=2, epsilon=0.02, inner_iterations=7,
                outer_iterations=4, scale_step=0.6, gamma=0.1, median_filtering=3)
    tvl1(crop(texture(), 10, 10), crop(texture(), 10, 11))
    cv = tvl1._opencv()
    assert (cv.getTau(), cv.getLambda(), cv.getTheta(), cv.getScalesNumber(), cv.getWarpingsNumber()) == (
        0.2, 0.1, 0.4, 3, 2)
    assert (cv.getEpsilon(), cv.getInnerIterations(), cv.getOuterIterations(), cv.getScaleStep(), cv.getGamma(),
            cv.getMedianFiltering(), cv.getUseInitialFlow()) == (0.02, 7, 4, 0.6, 0.1, 3, False)
    assert tvl1._opencv() is cv  # made once, then reused


def test_known_shift_is_recovered():
    big = texture()
    prev = crop(big, 10, 10)
    nxt = crop(big, 11, 8)  # content moves +2 px in x and -1 px in y
    flow = TVL1()(prev, nxt)
    assert flow.shape == (H, W, 2) and flow.dtype == np.float32
    np.testing.assert_allclose(flow[8:-8, 8:-8].reshape(-1, 2).mean(axis=0), [2.0, -1.0], atol=0.2)


def test_estimator_refuses_colour_or_mismatched_frames():
    grey = crop(texture(), 0, 0)
    with pytest.raises(ValueError, match="uint8 grey"):
        TVL1()(np.dstack([grey] * 3), np.dstack([grey] * 3))
    with pytest.raises(ValueError, match="one size"):
        TVL1()(grey, grey[:-1])


def test_a_small_frame_does_not_change_later_calls():
    # OpenCV's object lowers its scale count after a frame too small for five levels.
    tvl1 = TVL1()
    tiny = crop(texture(), 0, 0)[:24, :24]
    tvl1(tiny, tiny)
    prev, nxt = crop(texture(seed=5), 10, 10), crop(texture(seed=5), 11, 8)
    np.testing.assert_array_equal(tvl1(prev, nxt), TVL1()(prev, nxt))
    assert tvl1._opencv().getScalesNumber() == 5


def test_pickled_estimator_makes_its_own_opencv_object():
    tvl1 = TVL1(warps=3)
    tvl1(crop(texture(), 0, 0), crop(texture(), 0, 1))
    copy = pickle.loads(pickle.dumps(tvl1))
    assert copy._impl is None and copy.params() == tvl1.params()
    assert copy(crop(texture(), 0, 0), crop(texture(), 0, 1)).shape == (H, W, 2)


def test_quantisation_ends_clipping_and_rounding():
    f = np.array([-25.0, -20.0, 0.0, 20.0, 25.0, 0.1], np.float32)
    assert quantize_flow(f).tolist() == [0, 0, 128, 255, 255, 128]
    # 0.1 px is level 128.14: both agree; zero (127.5) is a tie, to even when rounding.
    assert quantize_flow(f, rounding="truncate").tolist() == [0, 0, 127, 255, 255, 128]
    near = np.array([-19.9, 0.06, 10.0], np.float32)  # levels 0.64, 127.88, 191.25
    assert quantize_flow(near).tolist() == [1, 128, 191]
    assert quantize_flow(near, rounding="truncate").tolist() == [0, 127, 191]
    assert quantize_flow(np.full((3, 4, 2), 40.0), bound=40.0).shape == (3, 4, 2)
    with pytest.raises(ValueError, match="rounding 'ceil'"):
        quantize_flow(f, rounding="ceil")


def test_dequantize_inverts_within_half_a_level():
    levels = np.arange(256, dtype=np.uint8)
    np.testing.assert_array_equal(quantize_flow(dequantize_flow(levels)), levels)
    values = np.linspace(-20, 20, 4001, dtype=np.float32)
    step = 40 / 255
    error = dequantize_flow(quantize_flow(values)) - values
    assert dequantize_flow(levels).dtype == np.float32 and np.abs(error).max() <= step / 2 + 1e-5
    truncated = dequantize_flow(quantize_flow(values, rounding="truncate")) - values
    assert -step - 1e-5 <= truncated.min() and truncated.max() <= 1e-5
    assert dequantize_flow(np.uint8(128)) == pytest.approx(step / 2, abs=1e-6)  # zero motion reads as +0.078


def test_video_flow_yields_one_flow_per_pair_lazily():
    big = texture(seed=3)
    frames = [crop(big, 10, 10 + t) for t in range(4)]
    seen = []

    def frames_seen():
        for f in frames:
            seen.append(f)
            yield f

    flows = video_flow(frames_seen(), build_flow_estimator("tvl1"))
    first = next(flows)
    assert len(seen) == 2 and first.shape == (H, W, 2)
    assert len([first, *flows]) == 3
    assert list(video_flow(frames[:1], TVL1())) == []


def test_registry_builds_and_fails_loudly():
    assert isinstance(build_flow_estimator("tvl1", warps=3), FlowEstimator)
    assert build_flow_estimator("tvl1", warps=3).params()["warps"] == 3
    assert set(FLOW_ESTIMATORS) == {"tvl1"}
    with pytest.raises(KeyError, match="'farneback'.*known: tvl1"):
        build_flow_estimator("farneback")


def test_flow_colour_wheel():
    flow = np.zeros((2, 3, 2), np.float32)
    flow[0, 1] = (20, 0)   # right, full speed
    flow[0, 2] = (0, -40)  # up, beyond the bound (darkened by 0.75)
    flow[1, 0] = (-5, 0)   # left, a quarter
    flow[1, 1] = (0, 20)   # down, full speed
    colour = flow_to_colour(flow)
    assert colour.shape == (2, 3, 3) and colour.dtype == np.uint8
    assert len(COLOUR_WHEEL) == 55
    assert colour[0, 0].tolist() == [255, 255, 255]  # no motion: white
    assert colour[0, 1].tolist() == [255, 0, 0]      # right: red, the start of the wheel
    # up: position 40.5 of 55, between blue and magenta: (255 * 4.5 / 13 ~ 88, 0, 255) x 0.75
    assert colour[0, 2].tolist() == [66, 0, 191]
    # left: position 27, cyan to blue: (0, 255 - floor(255 * 2 / 11) = 209, 255), a quarter saturated
    assert np.abs(colour[1, 0].astype(int) - [191, 243.5, 255]).max() <= 0.5
    r, g, b = colour[1, 1].tolist()                  # down: yellow, with a trace of green
    assert r == 255 and 220 < g < 240 and b == 0
    np.testing.assert_array_equal(flow_to_colour(quantize_flow(flow)), flow_to_colour(
        dequantize_flow(quantize_flow(flow))))
    with pytest.raises(ValueError, match=r"\[H, W, 2\]"):
        flow_to_colour(flow[..., 0])


def test_real_frames_match_opencv_called_directly():
    av = pytest.importorskip("av")
    path = real_path("videos", "demo.mp4")
    grey = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            grey.append(cv2.cvtColor(frame.to_ndarray(format="rgb24"), cv2.COLOR_RGB2GRAY))
            if len(grey) == 3:
                break
    assert len(grey) == 3 and grey[0].shape == (256, 340)
    ours = [quantize_flow(f) for f in video_flow(grey, TVL1())]
    direct = cv2.optflow.DualTVL1OpticalFlow_create()
    for t, q in enumerate(ours):
        raw = direct.calc(grey[t], grey[t + 1], None)
        want = np.rint((np.clip(raw.astype(np.float64), -20, 20) + 20) * 255 / 40).astype(np.uint8)
        assert q.shape == (256, 340, 2)
        assert np.abs(q.astype(int) - want).max() <= 1
