"""TV-L1 flow: OpenCV's defaults, a known shift, the field's quantisation, the registry."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from realdata import real_path

from actionkit.video.flow import (
    TVL1,
    build_flow_estimator,
    dequantize_flow,
    flow_to_colour,
    quantize_flow,
    video_flow,
)


def texture(h=48, w=64, seed=0):
    noise = np.random.default_rng(seed).integers(0, 255, (h + 20, w + 20)).astype(np.uint8)
    return cv2.GaussianBlur(noise, (7, 7), 1.5)


def test_defaults_are_opencvs():
    cv = cv2.optflow.DualTVL1OpticalFlow_create()
    ours = TVL1()
    assert (ours.tau, ours.lambda_, ours.theta) == (cv.getTau(), cv.getLambda(), cv.getTheta())
    assert (ours.nscales, ours.warps, ours.epsilon) == (cv.getScalesNumber(), cv.getWarpingsNumber(), cv.getEpsilon())
    assert (ours.inner_iterations, ours.outer_iterations) == (cv.getInnerIterations(), cv.getOuterIterations())
    assert (ours.scale_step, ours.gamma, ours.median_filtering) == (cv.getScaleStep(), cv.getGamma(),
                                                                   cv.getMedianFiltering())
    assert ours.params()["tau"] == 0.25 and "_impl" not in ours.params()


def test_known_shift_is_recovered():
    big = texture()
    prev = np.ascontiguousarray(big[10:58, 10:74])
    nxt = np.ascontiguousarray(big[11:59, 8:72])  # content moves +2 px in x, -1 px in y
    flow = TVL1()(prev, nxt)
    assert flow.shape == (48, 64, 2) and flow.dtype == np.float32
    inner = flow[8:-8, 8:-8].reshape(-1, 2).mean(axis=0)
    np.testing.assert_allclose(inner, [2.0, -1.0], atol=0.25)


def test_quantisation_conventions():
    f = np.array([[-25.0, -20.0], [0.0, 20.0], [25.0, 0.1]], np.float32)
    assert quantize_flow(f).tolist() == [[0, 0], [128, 255], [255, 128]]
    assert quantize_flow(f, rounding="truncate").tolist() == [[0, 0], [127, 255], [255, 128]]
    levels = np.arange(256, dtype=np.uint8)
    np.testing.assert_array_equal(quantize_flow(dequantize_flow(levels)), levels)
    values = np.linspace(-20, 20, 1001, dtype=np.float32)
    assert np.abs(dequantize_flow(quantize_flow(values)) - values).max() <= 20 / 255 + 1e-5  # half a level
    with pytest.raises(ValueError, match="rounding"):
        quantize_flow(f, rounding="ceil")


def test_video_flow_and_registry():
    frames = [np.ascontiguousarray(texture(seed=0)[t:t + 48, :64]) for t in range(4)]
    flows = list(video_flow(frames, build_flow_estimator("tvl1")))
    assert len(flows) == 3
    with pytest.raises(KeyError, match="known: tvl1"):
        build_flow_estimator("farneback")
    colour = flow_to_colour(flows[0])
    assert colour.shape == (48, 64, 3) and colour.dtype == np.uint8
    assert flow_to_colour(np.zeros((4, 4, 2), np.float32)).max() == 0  # no motion is black


def test_real_frames_match_opencv_called_directly():
    import av

    frames = []
    with av.open(str(real_path("videos", "demo.mp4"))) as container:
        for frame in container.decode(video=0):
            frames.append(cv2.cvtColor(frame.to_ndarray(format="rgb24"), cv2.COLOR_RGB2GRAY))
            if len(frames) == 2:
                break
    small = [cv2.resize(f, (170, 128), interpolation=cv2.INTER_AREA) for f in frames]
    ours = quantize_flow(TVL1()(small[0], small[1]))
    direct = cv2.optflow.DualTVL1OpticalFlow_create().calc(small[0], small[1], None)
    want = np.round((np.clip(direct, -20, 20) + 20) * 255 / 40).astype(np.uint8)
    assert np.abs(ours.astype(int) - want.astype(int)).max() <= 1
