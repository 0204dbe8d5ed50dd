"""The torch TV-L1 against OpenCV: each primitive, the whole flow on small real frames, batching, the registry."""

from __future__ import annotations

import itertools
import pickle

import cv2
import numpy as np
import pytest
import torch
from realdata import real_path

from actionkit.video import tvl1_ops as ops
from actionkit.video.flow import TVL1, FlowEstimator, FlowStream, build_flow_estimator, quantize_flow, video_flow
from actionkit.video.tvl1_torch import TorchTVL1, TVL1Params

RNG = np.random.default_rng(0)


def smooth_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).uniform(0, 255, (height, width)).astype(np.float32)
    return cv2.GaussianBlur(noise, (5, 5), 1.0)


def real_grey(clip: str, indices: list[int], width: int, height: int) -> np.ndarray:
    """Frames of a genuine clip, resized and greyed as the prepare pipeline does: uint8 ``[T, H, W]``."""
    from actionkit.codecs.video import read_frames
    from actionkit.video.images import resize_to, rgb_to_grey

    frames = read_frames(real_path("videos", clip), indices, backend="pyav")
    return np.stack([rgb_to_grey(resize_to(f, width, height, "area")) for f in frames])


@pytest.fixture(scope="module")
def real_pairs():
    """Consecutive-frame pairs from the three genuine clips at small sizes: (prev, next) uint8 ``[N, H, W]``."""
    clips = [("demo.mp4", [0, 1, 2, 3], 96, 72), ("test.avi", [20, 21, 22], 96, 72),
             ("S001C001P001R001A001_rgb.avi", [40, 41, 42], 128, 72)]
    return [(g[:-1], g[1:]) for g in (real_grey(c, i, w, h) for c, i, w, h in clips)]


def test_pyramid_resize_equals_opencvs():
    image = smooth_image(61, 83)
    want = cv2.resize(image, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_LINEAR)
    size = ops.pyramid_size(61, 83, 0.8)
    assert size == want.shape == (49, 66)  # 48.8 and 66.4, each rounded
    ours = ops.resize_linear(torch.from_numpy(image)[None], size, (1.25, 1.25))[0].numpy()
    np.testing.assert_allclose(ours, want, atol=1e-3)
    up = cv2.resize(want, (83, 61), interpolation=cv2.INTER_LINEAR)  # the flow's way back up
    np.testing.assert_allclose(ops.resize_linear(torch.from_numpy(want)[None], (61, 83))[0].numpy(), up, atol=1e-3)


def test_bicubic_warp_equals_opencvs_remap_inside_and_outside():
    image = smooth_image(20, 30, seed=1)
    map_x = RNG.uniform(-4, 33, (40, 40)).astype(np.float32)  # also off the image: taps there read 0
    map_y = RNG.uniform(-4, 23, (40, 40)).astype(np.float32)
    want = cv2.remap(image, map_x, map_y, cv2.INTER_CUBIC)
    ours = ops.remap_cubic(torch.from_numpy(image)[None, None], torch.from_numpy(map_x)[None],
                           torch.from_numpy(map_y)[None])[0, 0].numpy()
    np.testing.assert_allclose(ours, want, atol=1e-3)


def test_median_equals_opencvs_median_blur():
    flow = RNG.normal(0, 2, (2, 2, 17, 23)).astype(np.float32)
    for method in ("network", "sort"):
        ours = ops.median5(torch.from_numpy(flow), method).numpy()
        for n, c in itertools.product(range(2), range(2)):
            np.testing.assert_array_equal(ours[n, c], cv2.medianBlur(flow[n, c], 5))


def test_selection_network_finds_the_rank_by_the_zero_one_principle():
    net = ops.selection_network(9, 4)
    for bits in itertools.product((0, 1), repeat=9):  # a comparator network right on all 0/1 inputs is right
        wires = list(bits)
        for low, high, _, _ in net:
            wires[low], wires[high] = min(wires[low], wires[high]), max(wires[low], wires[high])
        assert wires[4] == sorted(bits)[4]
    assert len(ops.MEDIAN25) < 120


def test_finite_differences_follow_opencvs_borders():
    x = torch.tensor([[[1.0, 4.0, 9.0], [2.0, 2.0, 2.0]]])
    dx, dy = ops.centered_gradient(x)
    assert dx.tolist() == [[[1.5, 4.0, 2.5], [0.0, 0.0, 0.0]]] and dy.tolist() == [[[0.5, -1.0, -3.5]] * 2]
    fx, fy = ops.forward_gradient(x)
    assert fx.tolist() == [[[3.0, 5.0, 0.0], [0.0, 0.0, 0.0]]] and fy.tolist() == [[[1.0, -2.0, -7.0], [0, 0, 0]]]
    div = ops.divergence(x, x)
    assert div.tolist() == [[[2.0, 7.0, 14.0], [3.0, -2.0, -7.0]]]


@pytest.fixture(scope="module")
def small_video():
    """Four genuine frames at 64x48 (for the batching tests): uint8 ``[4, 48, 64]``."""
    return real_grey("demo.mp4", [100, 101, 102, 103], 64, 48)


def test_flow_agrees_with_opencv_on_real_frames(real_pairs):
    ours, want = [], []
    tvl1 = TVL1()
    for prev, nxt in real_pairs:
        ours.append(TorchTVL1(device="cpu").batch(torch.from_numpy(prev), torch.from_numpy(nxt)).numpy())
        want.append(np.stack([tvl1(p, n) for p, n in zip(prev, nxt)]))
    ours = np.concatenate([f.reshape(-1, 2) for f in ours])
    want = np.concatenate([f.reshape(-1, 2) for f in want])
    epe = np.linalg.norm(ours - want, axis=-1)
    levels = np.abs(quantize_flow(ours).astype(int) - quantize_flow(want).astype(int))
    # The bar (99% within a level, mean EPE < 0.1 px), and tighter ones that a faithful port meets on these
    # 72-pixel frames, where border pixels are many (measured: 82.0% of levels equal, mean EPE 0.016 px, median
    # 0.0030 px) and slips fail: no median filter 72.3% / 0.027 / 0.0059, tau 0.2 75.3% / 0.025 / 0.0049,
    # forward instead of centred gradients 54.8% / 0.095 / 0.020.
    assert (levels <= 1).mean() >= 0.99 and epe.mean() < 0.1
    assert (levels == 0).mean() > 0.78 and epe.mean() < 0.022 and np.median(epe) < 0.0045


def test_a_batch_equals_its_pairs_one_by_one(small_video):
    prev, nxt = small_video[:-1], small_video[1:]
    together = TorchTVL1(device="cpu").batch(torch.from_numpy(prev), torch.from_numpy(nxt)).numpy()
    alone = np.stack([TorchTVL1(device="cpu")(p, n) for p, n in zip(prev, nxt)])
    np.testing.assert_array_equal(together, alone)


def test_flow_pairs_batches_a_video_in_order(small_video):
    frames = small_video
    est = TorchTVL1(device="cpu", batch_size=2)
    flows = est.flow_pairs(frames)
    assert flows.shape == (3, 48, 64, 2) and flows.dtype == np.float32
    np.testing.assert_array_equal(flows[2], est(frames[2], frames[3]))
    stream = FlowStream(est)
    streamed = [f for g in frames for f in stream.push(g)]
    assert len(streamed) == 2  # one full batch of two pairs so far
    streamed += stream.finish()
    np.testing.assert_array_equal(np.stack(streamed), flows)
    assert est.flow_pairs(frames[:1]).shape == (0, 48, 64, 2)


def test_opencv_estimator_streams_pair_by_pair(small_video):
    frames = small_video
    stream = FlowStream(TVL1())
    assert stream.push(frames[0]) == [] and len(stream.push(frames[1])) == 1
    rest = [f for g in frames[2:] for f in stream.push(g)] + stream.finish()
    np.testing.assert_array_equal(rest[0], list(video_flow(frames, TVL1()))[1])


def test_parameters_match_opencvs_and_unsupported_ones_are_refused():
    est = TorchTVL1(device="cpu", warps=3)
    assert isinstance(est, FlowEstimator) and est.name == "tvl1" and est.implementation == "torch"
    assert est.params() == TVL1(warps=3).params()
    assert pickle.loads(pickle.dumps(est)).params() == est.params()
    with pytest.raises(ValueError, match="gamma = 0"):
        TVL1Params(gamma=0.1)
    with pytest.raises(ValueError, match="median filtering 5"):
        TorchTVL1(device="cpu", median_filtering=3)
    with pytest.raises(ValueError, match="one shape"):
        est.batch(torch.zeros(2, 20, 20), torch.zeros(2, 20, 21))


def test_devices_pick_the_implementation():
    assert build_flow_estimator("tvl1", device="cpu").implementation == "opencv"
    with pytest.raises(ValueError, match="unknown flow device 'tpu'"):
        build_flow_estimator("tvl1", device="tpu")
    if torch.cuda.is_available():
        assert build_flow_estimator("tvl1", device="auto").implementation == "torch"
    else:
        assert build_flow_estimator("tvl1", device="auto").implementation == "opencv"
        with pytest.raises(ValueError, match="no CUDA device"):
            build_flow_estimator("tvl1", device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_equals_cpu_within_rounding(small_video):
    prev, nxt = torch.from_numpy(small_video[:-1]), torch.from_numpy(small_video[1:])
    on_gpu = TorchTVL1(device="cuda").batch(prev, nxt).cpu().numpy()
    on_cpu = TorchTVL1(device="cpu").batch(prev, nxt).numpy()
    levels = np.abs(quantize_flow(on_gpu).astype(int) - quantize_flow(on_cpu).astype(int))
    assert (levels <= 1).mean() >= 0.99
