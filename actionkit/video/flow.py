"""Optical flow as the action-recognition field computes it: TV-L1, clipped and quantised.

The convention (two-stream networks, TSN, I3D, MMAction2, denseflow): OpenCV's
``DualTVL1OpticalFlow`` with its default parameters, on grey frames already resized to
the store's size; flow t goes from frame t to frame t+1; each component is clipped to
``[-bound, bound]`` pixels (bound 20) and mapped linearly to 0..255, rounded (denseflow)
or truncated (MMAction2), then stored as greyscale JPEGs, one for x and one for y.

A flow estimator is anything with the :class:`FlowEstimator` shape, so a faster (e.g.
GPU) implementation can replace TV-L1 behind the same call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

ROUNDING = ("round", "truncate")


class FlowEstimator(Protocol):
    """Dense optical flow between two grey frames."""

    name: str

    def params(self) -> dict[str, Any]:
        """The parameters, recorded in the store."""

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        """uint8 grey ``[H, W]`` x 2 -> float32 ``[H, W, 2]`` (dx, dy in pixels, prev -> nxt)."""


@dataclass
class TVL1:
    """OpenCV's Dual TV-L1 (``cv2.optflow.DualTVL1OpticalFlow``), its defaults as the field uses them.

    Attributes:
        tau: Time step of the numerical scheme.
        lambda_: Weight of the data term (smaller: smoother flow).
        theta: Coupling of the two variables of the scheme.
        nscales: Pyramid levels.
        warps: Warpings per level.
        epsilon: Stopping threshold of the inner iterations.
        inner_iterations, outer_iterations, scale_step, gamma, median_filtering: The
            remaining OpenCV parameters, at OpenCV's defaults.
    """

    name = "tvl1"
    tau: float = 0.25
    lambda_: float = 0.15
    theta: float = 0.3
    nscales: int = 5
    warps: int = 5
    epsilon: float = 0.01
    inner_iterations: int = 30
    outer_iterations: int = 10
    scale_step: float = 0.8
    gamma: float = 0.0
    median_filtering: int = 5
    _impl: Any = field(default=None, init=False, repr=False, compare=False)
    _pid: int = field(default=-1, init=False, repr=False, compare=False)

    def params(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}

    def _opencv(self):
        import os

        # One OpenCV object per process: an object inherited through fork is never shared.
        if self._impl is None or self._pid != os.getpid():
            self._impl = cv2.optflow.DualTVL1OpticalFlow_create(
                tau=self.tau, lambda_=self.lambda_, theta=self.theta, nscales=self.nscales, warps=self.warps,
                epsilon=self.epsilon, innnerIterations=self.inner_iterations,
                outerIterations=self.outer_iterations, scaleStep=self.scale_step, gamma=self.gamma,
                medianFiltering=self.median_filtering)
            self._pid = os.getpid()
        return self._impl

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        if prev.shape != nxt.shape or prev.ndim != 2 or prev.dtype != np.uint8:
            raise ValueError(f"TV-L1 needs two uint8 grey frames of one size, got {prev.dtype} {prev.shape} "
                             f"and {nxt.dtype} {nxt.shape}")
        return self._opencv().calc(prev, nxt, None)


FLOW_ESTIMATORS: dict[str, Callable[..., FlowEstimator]] = {"tvl1": TVL1}


def build_flow_estimator(name: str, **kwargs: Any) -> FlowEstimator:
    """The flow estimator registered as ``name``.

    Raises:
        KeyError: an unknown name (the message lists the known ones).
    """
    try:
        factory = FLOW_ESTIMATORS[name]
    except KeyError:
        raise KeyError(f"unknown flow estimator {name!r}; known: {', '.join(FLOW_ESTIMATORS)}") from None
    return factory(**kwargs)


def quantize_flow(flow: np.ndarray, bound: float = 20.0, rounding: str = "round") -> np.ndarray:
    """float32 flow ``[..., 2]`` -> uint8: ``(clip(f, -b, b) + b) * 255 / (2b)``, rounded or truncated.

    Zero motion maps to 127.5: level 128 when rounding, 127 when truncating.
    """
    if rounding not in ROUNDING:
        raise ValueError(f"rounding {rounding!r} is not one of {ROUNDING}")
    scaled = (np.clip(flow, -bound, bound) + bound) * (255.0 / (2 * bound))
    scaled = np.floor(scaled + 0.5) if rounding == "round" else np.floor(scaled)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def dequantize_flow(q: np.ndarray, bound: float = 20.0) -> np.ndarray:
    """uint8 levels -> float32 pixels, the inverse of the linear map (``q * 2b / 255 - b``)."""
    return (q.astype(np.float32) * (2 * bound / 255.0) - bound).astype(np.float32)


def video_flow(grey_frames: Iterable[np.ndarray], estimator: FlowEstimator) -> Iterator[np.ndarray]:
    """Flow between consecutive frames, lazily: T frames give T-1 float32 ``[H, W, 2]`` fields."""
    prev = None
    for frame in grey_frames:
        if prev is not None:
            yield estimator(prev, frame)
        prev = frame


def set_opencv_threads(n: int) -> None:
    """Cap OpenCV's own thread pool (1 in each worker process, so processes do not oversubscribe)."""
    cv2.setNumThreads(int(n))


def flow_to_colour(flow: np.ndarray, bound: float = 20.0) -> np.ndarray:
    """float32 flow ``[H, W, 2]`` -> uint8 RGB ``[H, W, 3]``: hue = direction, brightness = magnitude.

    Magnitudes at or above ``bound`` are full brightness; no motion is black.
    """
    dx, dy = flow[..., 0].astype(np.float32), flow[..., 1].astype(np.float32)
    magnitude, angle = cv2.cartToPolar(dx, dy, angleInDegrees=True)
    hsv = np.empty((*flow.shape[:2], 3), dtype=np.uint8)
    hsv[..., 0] = (angle / 2).astype(np.uint8)  # OpenCV's 8-bit hue runs 0..179
    hsv[..., 1] = 255
    hsv[..., 2] = np.clip(magnitude / bound * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


__all__ = ["FLOW_ESTIMATORS", "FlowEstimator", "TVL1", "build_flow_estimator", "dequantize_flow", "flow_to_colour",
           "quantize_flow", "set_opencv_threads", "video_flow"]
