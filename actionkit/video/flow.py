"""Optical flow the way action recognition computes it: TV-L1, clipped, quantised to uint8.

The field's convention (two-stream networks, TSN, I3D; the denseflow tool and
MMAction2's extraction script): OpenCV's ``DualTVL1OpticalFlow`` at its default
parameters, run on grey frames already resized to the stored size. Flow t goes from
frame t to frame t+1, so a clip of T frames has T-1 flows. Each component (dx, dy, in
pixels) is clipped to ``[-bound, bound]`` (bound 20) and mapped linearly onto 0..255,
rounded (denseflow) or truncated (MMAction2).

Estimators share one small interface, :class:`FlowEstimator`, so that a faster one can
replace OpenCV without touching the callers: :class:`actionkit.video.tvl1_torch.TorchTVL1`
is the same TV-L1 in torch, many frame pairs at once on a GPU (``device="cuda"``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

ROUNDINGS = ("round", "truncate")
#: Where flow is computed: ``cpu`` (OpenCV), ``cuda`` (torch on the GPU), ``auto`` (cuda if available, else cpu).
FLOW_DEVICES = ("cpu", "cuda", "auto")


@runtime_checkable
class FlowEstimator(Protocol):
    """Dense optical flow between two grey frames of one size.

    Attributes:
        name: The registry name (a key of :data:`FLOW_ESTIMATORS`).
        implementation: What computes it (``opencv``, ``torch``), recorded in the store.
    """

    name: str
    implementation: str

    def params(self) -> dict[str, Any]:
        """Every parameter that changes the output, as JSON-able values (recorded in the store)."""
        ...

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        """Flow from ``prev`` to ``nxt``.

        Args:
            prev: uint8 grey ``[H, W]``, frame t.
            nxt: uint8 grey ``[H, W]``, frame t+1.

        Returns:
            float32 ``[H, W, 2]``: (dx, dy) in pixels; a point at (x, y) in ``prev`` is
            at (x + dx, y + dy) in ``nxt``.
        """
        ...


class TVL1(FlowEstimator):
    """OpenCV's Dual TV-L1 flow (``cv2.optflow.DualTVL1OpticalFlow``).

    The defaults are OpenCV's own (checked against its getters in the tests), which is
    what the field means by "TV-L1 flow".

    The OpenCV object is made on first use and reused for later calls, one per process:
    an estimator copied into a worker by fork or pickling makes its own there rather
    than touching the parent's.

    Args:
        tau: Time step of the numerical scheme.
        lambda_: Weight of the data term; smaller gives smoother flow.
        theta: Tightness coupling the data and smoothness terms.
        nscales: Pyramid levels.
        warps: Warpings per pyramid level.
        epsilon: Stopping threshold of the iterations at each warping.
        inner_iterations: Iterations per warping.
        outer_iterations: Outer iterations per warping.
        scale_step: Size ratio between pyramid levels.
        gamma: Weight of the illumination term (0: none).
        median_filtering: Median filter size applied to the flow between warpings.
    """

    name = "tvl1"
    implementation = "opencv"

    def __init__(self, *, tau: float = 0.25, lambda_: float = 0.15, theta: float = 0.3, nscales: int = 5,
                 warps: int = 5, epsilon: float = 0.01, inner_iterations: int = 30, outer_iterations: int = 10,
                 scale_step: float = 0.8, gamma: float = 0.0, median_filtering: int = 5):
        self.tau = float(tau)
        self.lambda_ = float(lambda_)
        self.theta = float(theta)
        self.nscales = int(nscales)
        self.warps = int(warps)
        self.epsilon = float(epsilon)
        self.inner_iterations = int(inner_iterations)
        self.outer_iterations = int(outer_iterations)
        self.scale_step = float(scale_step)
        self.gamma = float(gamma)
        self.median_filtering = int(median_filtering)
        self._impl: Any = None
        self._pid = -1

    def params(self) -> dict[str, Any]:
        """The eleven parameters by name (``lambda_`` keeps its underscore)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self) -> str:
        return f"TVL1({', '.join(f'{k}={v!r}' for k, v in self.params().items())})"

    def __getstate__(self) -> dict[str, Any]:
        return {**vars(self), "_impl": None, "_pid": -1}  # cv2 objects do not pickle

    def _opencv(self) -> Any:
        if self._impl is None or self._pid != os.getpid():
            impl = cv2.optflow.DualTVL1OpticalFlow_create()
            impl.setTau(self.tau)
            impl.setLambda(self.lambda_)
            impl.setTheta(self.theta)
            impl.setScalesNumber(self.nscales)
            impl.setWarpingsNumber(self.warps)
            impl.setEpsilon(self.epsilon)
            impl.setInnerIterations(self.inner_iterations)
            impl.setOuterIterations(self.outer_iterations)
            impl.setScaleStep(self.scale_step)
            impl.setGamma(self.gamma)
            impl.setMedianFiltering(self.median_filtering)
            impl.setUseInitialFlow(False)
            self._impl, self._pid = impl, os.getpid()
        return self._impl

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        """uint8 grey ``[H, W]`` x 2 -> float32 ``[H, W, 2]`` (see :class:`FlowEstimator`).

        Raises:
            ValueError: frames that are not uint8 ``[H, W]`` of one size.
        """
        if prev.dtype != np.uint8 or nxt.dtype != np.uint8 or prev.ndim != 2 or prev.shape != nxt.shape:
            raise ValueError(f"TV-L1 needs two uint8 grey [H, W] frames of one size, got {prev.dtype} "
                             f"{prev.shape} and {nxt.dtype} {nxt.shape}")
        impl = self._opencv()
        # OpenCV lowers the object's own scale count for good when a frame is too small for
        # it (fewer than 16 px at the coarsest level); restoring it keeps calls independent.
        impl.setScalesNumber(self.nscales)
        return impl.calc(prev, nxt, None)


FLOW_ESTIMATORS: dict[str, Callable[..., FlowEstimator]] = {"tvl1": TVL1}


def build_flow_estimator(name: str, device: str = "cpu", **kwargs: Any) -> FlowEstimator:
    """The estimator registered as ``name``, made with ``kwargs``, computing on ``device``.

    Args:
        name: A key of :data:`FLOW_ESTIMATORS`.
        device: ``cpu``: OpenCV; ``cuda``: :class:`~actionkit.video.tvl1_torch.TorchTVL1` on
            the GPU (``tvl1`` only); ``auto``: ``cuda`` when torch sees a GPU, else ``cpu``.
        kwargs: The algorithm's parameters.

    Raises:
        KeyError: an unknown name; the message lists the known ones.
        ValueError: an unknown device, ``cuda`` without a GPU, or a GPU asked for an
            estimator that has no GPU implementation.
    """
    if name not in FLOW_ESTIMATORS:
        raise KeyError(f"unknown flow estimator {name!r}; known: {', '.join(sorted(FLOW_ESTIMATORS))}")
    if device not in FLOW_DEVICES:
        raise ValueError(f"unknown flow device {device!r}; expected one of {', '.join(FLOW_DEVICES)}")
    if device != "cpu":
        import torch

        if device == "cuda" or torch.cuda.is_available():
            if name != "tvl1":
                raise ValueError(f"flow estimator {name!r} has no GPU implementation; use device cpu")
            from actionkit.video.tvl1_torch import TorchTVL1

            return TorchTVL1(device="cuda", **kwargs)
    return FLOW_ESTIMATORS[name](**kwargs)


def flow_pairs(grey_frames: np.ndarray, estimator: FlowEstimator) -> np.ndarray:
    """Flow between consecutive frames of one video, in batches when the estimator batches.

    Args:
        grey_frames: uint8 ``[T, H, W]``.
        estimator: A :class:`FlowEstimator`; one with a ``flow_pairs`` method (the torch
            TV-L1) computes many pairs at once.

    Returns:
        float32 ``[T-1, H, W, 2]``: flow t goes from frame t to frame t+1.
    """
    batched = getattr(estimator, "flow_pairs", None)
    if batched is not None:
        return batched(grey_frames)
    flows = list(video_flow(grey_frames, estimator))
    if not flows:
        return np.zeros((0, *grey_frames.shape[1:], 2), dtype=np.float32)
    return np.stack(flows)


class FlowStream:
    """Flow of a video whose frames arrive one at a time, computed in the estimator's batches.

    Push grey frames in order; each push returns the flows that became ready (none until
    a batch of pairs is full), and :meth:`finish` returns the rest. Only one batch of
    frames is held. An estimator without ``batch_size`` (OpenCV) gets pairs one by one.

    Args:
        estimator: A :class:`FlowEstimator`.
    """

    def __init__(self, estimator: FlowEstimator):
        self.estimator = estimator
        self.batch_size = int(getattr(estimator, "batch_size", 1))
        self._frames: list[np.ndarray] = []

    def push(self, grey: np.ndarray) -> list[np.ndarray]:
        """Add frame t (uint8 ``[H, W]``); the float32 ``[H, W, 2]`` flows now ready, in order."""
        self._frames.append(grey)
        if len(self._frames) <= self.batch_size:
            return []
        return self._flush()

    def finish(self) -> list[np.ndarray]:
        """The flows still pending at the end of the video."""
        return self._flush() if len(self._frames) > 1 else []

    def _flush(self) -> list[np.ndarray]:
        flows = list(flow_pairs(np.stack(self._frames), self.estimator))
        self._frames = self._frames[-1:]
        return flows


def quantize_flow(flow: np.ndarray, bound: float = 20.0, rounding: str = "round") -> np.ndarray:
    """Clip and map flow onto 0..255: ``v = (clip(f, -b, b) + b) * 255 / (2 b)``.

    -bound maps to 0 and +bound to 255. Zero motion lands at 127.5, between two levels:
    it is stored as 128 with ``"round"`` and as 127 with ``"truncate"``, so neither level
    reads back as exactly zero (see :func:`dequantize_flow`).

    Args:
        flow: float ``[..., 2]`` (or any shape) in pixels.
        bound: Clip limit in pixels, ``b``.
        rounding: ``"round"`` to the nearest level, ties to even (denseflow's
            ``cvRound``), or ``"truncate"`` (MMAction2's ``astype(np.uint8)``, which is
            the floor since ``v >= 0``).

    Returns:
        uint8 of ``flow``'s shape.

    Raises:
        ValueError: an unknown rounding or a non-positive bound.
    """
    if rounding not in ROUNDINGS:
        raise ValueError(f"unknown rounding {rounding!r}; expected one of {', '.join(ROUNDINGS)}")
    if bound <= 0:
        raise ValueError(f"bound must be positive, got {bound}")
    # float64 and the multiply-then-divide order of denseflow's cvRound(255 * (v - L) / (H - L)).
    levels = (np.clip(flow, -bound, bound).astype(np.float64) + bound) * 255.0 / (2 * bound)
    levels = np.rint(levels) if rounding == "round" else np.floor(levels)
    return np.clip(levels, 0, 255).astype(np.uint8)  # clip guards float error at +bound


def dequantize_flow(levels: np.ndarray, bound: float = 20.0) -> np.ndarray:
    """uint8 levels -> float32 pixels, the inverse of the linear map: ``q * 2b / 255 - b``.

    Level 128 reads as +0.078 px and 127 as -0.078 px at bound 20 (half a level; a level
    is ``2b / 255`` = 0.157 px). Rounded data is recovered within half a level; truncated
    data is biased down by up to one level.
    """
    return (levels.astype(np.float32) * np.float32(2 * bound / 255.0) - np.float32(bound)).astype(np.float32)


def video_flow(grey_frames: Iterable[np.ndarray], estimator: FlowEstimator) -> Iterator[np.ndarray]:
    """Flow between consecutive frames, one pair at a time (only two frames held).

    Args:
        grey_frames: uint8 ``[H, W]`` frames, in order.
        estimator: A :class:`FlowEstimator`.

    Yields:
        float32 ``[H, W, 2]``, frame t -> t+1: T frames yield T-1 flows.
    """
    prev = None
    for frame in grey_frames:
        if prev is not None:
            yield estimator(prev, frame)
        prev = frame


def set_opencv_threads(n: int) -> None:
    """Size OpenCV's thread pool for this process (``cv2.setNumThreads``).

    The pipeline calls it with 1 in each worker process: several processes each
    running OpenCV's default pool (one thread per core) would oversubscribe the cores.
    """
    cv2.setNumThreads(int(n))


def _colour_wheel() -> np.ndarray:
    """The Middlebury colour wheel (Baker et al., "A Database and Evaluation Methodology for
    Optical Flow", IJCV 2011): 55 hues, float ``(55, 3)`` RGB in [0, 255], in the order red,
    yellow, green, cyan, blue, magenta, with segment lengths 15, 6, 4, 11, 13, 6 (more
    hues where the eye tells them apart)."""
    segments = ((15, (255, 0, 0), (255, 255, 0)), (6, (255, 255, 0), (0, 255, 0)),
                (4, (0, 255, 0), (0, 255, 255)), (11, (0, 255, 255), (0, 0, 255)),
                (13, (0, 0, 255), (255, 0, 255)), (6, (255, 0, 255), (255, 0, 0)))  # fmt: skip
    rows = []
    for n, start, stop in segments:
        t = np.floor(255 * np.arange(n) / n)[:, None] / 255
        rows.append(np.asarray(start, float) + t * (np.asarray(stop, float) - np.asarray(start, float)))
    return np.concatenate(rows)


COLOUR_WHEEL = _colour_wheel()


def flow_to_colour(flow: np.ndarray, bound: float = 20.0) -> np.ndarray:
    """Flow as a picture for people, in the Middlebury colour-wheel coding.

    Hue follows the direction (image coordinates, y down) around Baker et al.'s wheel:
    right red, down yellow, left cyan-blue, up blue-violet; saturation grows linearly with
    the magnitude up to ``bound`` pixels (full colour at and beyond it, darkened a little
    beyond, as in the reference code); no motion is white.

    Args:
        flow: float ``[H, W, 2]`` in pixels, or uint8 ``[H, W, 2]`` quantised levels
            (dequantised with ``bound`` first).
        bound: Magnitude shown at full saturation, and the quantisation bound for uint8.

    Returns:
        uint8 RGB ``[H, W, 3]``.

    Raises:
        ValueError: not ``[H, W, 2]``.
    """
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f"expected flow [H, W, 2], got shape {flow.shape}")
    if flow.dtype == np.uint8:
        flow = dequantize_flow(flow, bound)
    u = flow[..., 0].astype(np.float64) / bound
    v = flow[..., 1].astype(np.float64) / bound
    radius = np.hypot(u, v)
    n = len(COLOUR_WHEEL)
    position = (np.arctan2(-v, -u) / np.pi + 1) / 2 * (n - 1)  # 0 .. n-1 around the wheel
    k0 = np.floor(position).astype(np.int64)
    k1 = (k0 + 1) % n
    f = (position - k0)[..., None]
    colour = ((1 - f) * COLOUR_WHEEL[k0] + f * COLOUR_WHEEL[k1]) / 255
    small = (radius <= 1)[..., None]
    r = radius[..., None]
    colour = np.where(small, 1 - r * (1 - colour), colour * 0.75)
    return np.rint(colour * 255).clip(0, 255).astype(np.uint8)


__all__ = [
    "COLOUR_WHEEL",
    "FLOW_DEVICES",
    "FLOW_ESTIMATORS",
    "FlowStream",
    "ROUNDINGS",
    "TVL1",
    "FlowEstimator",
    "build_flow_estimator",
    "dequantize_flow",
    "flow_pairs",
    "flow_to_colour",
    "quantize_flow",
    "set_opencv_threads",
    "video_flow",
]
