"""TV-L1 optical flow in torch: OpenCV's ``DualTVL1OpticalFlow``, batched over frame pairs, on CPU or CUDA.

The algorithm of Zach, Pock and Bischof (2007) in the form of Sanchez, Meinhardt-Llopis
and Facciolo (IPOL 2013) that OpenCV implements (``optflow/src/tvl1flow.cpp``), step
for step, so that its output matches OpenCV's to float rounding:

1. Pyramid: level 0 is the frame as float (0..255); level s is level s-1 resized by
   ``scale_step`` (``INTER_LINEAR``, each side rounded), stopping before a side would
   drop under 16 pixels.
2. From the coarsest level, with zero flow there: the centred gradient of frame t+1;
   then ``warps`` times: warp frame t+1 and its gradient by the current flow (bicubic,
   zero outside the image) and linearise the data term around it; then up to
   ``outer_iterations`` times: median-filter the flow (5x5), then up to
   ``inner_iterations`` primal-dual steps (thresholding for v, divergence of the dual
   p, the flow u, the forward gradient of u, the dual update), each one stopping the
   warp as soon as the squared change of u summed over the image falls to
   ``epsilon^2 * area``. The dual variables start at zero at each level and carry over
   between warps.
3. Upsample the flow to the next finer level (``INTER_LINEAR``) and scale it by
   ``1 / scale_step``.

Batching: all pairs of a batch share one size and run the same sequence of operations;
each pair keeps its own stopping state, and a pair that has stopped keeps its flow and
dual variables unchanged (the result equals running each pair alone; the tests check
it). A batch leaves a warp as soon as every pair in it has stopped.

The per-step arithmetic is in :func:`primal_dual_step`, which ``torch.compile`` can
fuse into a few kernels together with the median filter (``compile=True``); the plain
path is the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from actionkit.video.tvl1_ops import (
    centered_gradient,
    divergence,
    flt_epsilon,
    forward_gradient,
    median5,
    pyramid_size,
    remap_cubic,
    resize_linear,
)

#: OpenCV stops adding pyramid levels before a side would be shorter than this.
MIN_LEVEL_SIDE = 16


@dataclass(frozen=True)
class TVL1Params:
    """OpenCV's ``DualTVL1OpticalFlow`` parameters, at its defaults (``useInitialFlow`` is false).

    Attributes:
        tau: Time step of the numerical scheme.
        lambda_: Weight of the data term.
        theta: Tightness coupling the data and smoothness terms.
        nscales: Pyramid levels.
        warps: Warpings per pyramid level.
        epsilon: Stopping threshold.
        inner_iterations: Primal-dual steps between median filterings.
        outer_iterations: Median filterings per warping.
        scale_step: Size ratio between pyramid levels.
        gamma: Weight of the illumination term; only 0 is implemented.
        median_filtering: Median window applied to the flow (5, or 1 for none).
    """

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

    def __post_init__(self) -> None:
        if self.gamma != 0:
            raise ValueError("the torch TV-L1 implements gamma = 0 only (no illumination term); "
                             "use the OpenCV estimator for gamma > 0")
        if self.median_filtering not in (0, 1, 5):
            raise ValueError(f"the torch TV-L1 implements median filtering 5 (or 0/1: none), got "
                             f"{self.median_filtering}")
        if self.nscales < 1 or self.warps < 1 or not 0 < self.scale_step < 1:
            raise ValueError("nscales and warps must be at least 1 and scale_step in (0, 1)")


def primal_dual_step(state: Tensor, active: Tensor, i1wx: Tensor, i1wy: Tensor, grad: Tensor, rho_c: Tensor,
                     l_t: float, theta: float, taut: float) -> tuple[Tensor, Tensor]:
    """One inner iteration of OpenCV's TV-L1 for a batch, frozen where ``active`` is false.

    Args:
        state: float32 ``[N, 6, H, W]``: u1, u2 (the flow), p11, p12, p21, p22 (the dual).
        active: bool ``[N]``: the pairs still iterating.
        i1wx, i1wy: float32 ``[N, H, W]``: the warped gradient of frame t+1.
        grad: float32 ``[N, H, W]``: ``i1wx^2 + i1wy^2``.
        rho_c: float32 ``[N, H, W]``: the constant part of the linearised residual.
        l_t: ``lambda * theta``.
        theta: Coupling weight.
        taut: ``tau / theta``.

    Returns:
        (the new state ``[N, 6, H, W]``, the squared change of u summed per pair ``[N]``,
        0 where not active).
    """
    u1, u2 = state[:, 0], state[:, 1]
    # estimateV: the thresholding step.
    rho = rho_c + (i1wx * u1 + i1wy * u2)
    bound = l_t * grad
    usable = grad > flt_epsilon()
    step = torch.where(rho < -bound, torch.full_like(rho, l_t),
                       torch.where(rho > bound, torch.full_like(rho, -l_t),
                                   torch.where(usable, -rho / torch.where(usable, grad, torch.ones_like(grad)),
                                               torch.zeros_like(rho))))
    v1 = u1 + step * i1wx
    v2 = u2 + step * i1wy
    # estimateU with the divergence of the dual.
    n1 = v1 + theta * divergence(state[:, 2], state[:, 3])
    n2 = v2 + theta * divergence(state[:, 4], state[:, 5])
    error = ((n1 - u1) * (n1 - u1) + (n2 - u2) * (n2 - u2)).sum(dim=(1, 2))
    # estimateDualVariables on the forward gradient of the new u.
    u1x, u1y = forward_gradient(n1)
    u2x, u2y = forward_gradient(n2)
    ng1 = 1.0 + taut * torch.hypot(u1x, u1y)
    ng2 = 1.0 + taut * torch.hypot(u2x, u2y)
    new = torch.stack([n1, n2,
                       (state[:, 2] + taut * u1x) / ng1, (state[:, 3] + taut * u1y) / ng1,
                       (state[:, 4] + taut * u2x) / ng2, (state[:, 5] + taut * u2y) / ng2], dim=1)
    keep = active.view(-1, 1, 1, 1)
    return torch.where(keep, new, state), torch.where(active, error, torch.zeros_like(error))


class TorchTVL1:
    """Batched TV-L1 flow in torch with OpenCV's algorithm and defaults (a :class:`FlowEstimator`).

    Takes OpenCV's parameters by the names :class:`actionkit.video.flow.TVL1` uses, and
    reports the same :meth:`params`, so a store records one algorithm whichever
    implementation computed it.

    Args:
        device: ``"cpu"``, ``"cuda"``, a ``torch.device``, or ``"auto"`` (CUDA when
            available).
        batch_size: Frame pairs computed together by :meth:`flow_pairs`.
        compile: Fuse the primal-dual step and the median filter with ``torch.compile``.
        sync_every: Inner iterations between the host's checks that some pair is still
            iterating (each check waits for the device). Default: 1 on CPU, 10 on CUDA.
            The result does not depend on it: stopped pairs are frozen on the device.
        **params: :class:`TVL1Params` fields (``tau``, ``lambda_``, ...).
    """

    name = "tvl1"
    implementation = "torch"

    def __init__(self, *, device: str | torch.device = "auto", batch_size: int = 16, compile: bool = False,
                 sync_every: int | None = None, **params: float):
        self.tvl1 = TVL1Params(**params)
        self.device = resolve_device(device)
        self.batch_size = int(batch_size)
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.compile = bool(compile)
        self.sync_every = int(sync_every or (10 if self.device.type == "cuda" else 1))
        self._kernels: tuple[Callable[..., tuple[Tensor, Tensor]], Callable[[Tensor], Tensor]] | None = None

    def params(self) -> dict[str, Any]:
        """The eleven TV-L1 parameters by name, as :meth:`actionkit.video.flow.TVL1.params`."""
        return asdict(self.tvl1)

    def __repr__(self) -> str:
        return f"TorchTVL1(device={str(self.device)!r}, batch_size={self.batch_size}, compile={self.compile})"

    def __getstate__(self) -> dict[str, Any]:
        return {**vars(self), "_kernels": None}  # compiled functions stay in their process

    def _step_and_median(self) -> tuple[Callable[..., tuple[Tensor, Tensor]], Callable[[Tensor], Tensor]]:
        if self._kernels is None:
            if self.compile:
                self._kernels = (torch.compile(primal_dual_step, dynamic=True),
                                 torch.compile(median5, dynamic=True))
            else:
                self._kernels = (primal_dual_step, median5)
        return self._kernels

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        """One pair, as the OpenCV estimator: uint8 grey ``[H, W]`` x 2 -> float32 ``[H, W, 2]``.

        Raises:
            ValueError: frames that are not uint8 ``[H, W]`` of one size.
        """
        if prev.dtype != np.uint8 or nxt.dtype != np.uint8 or prev.ndim != 2 or prev.shape != nxt.shape:
            raise ValueError(f"TV-L1 needs two uint8 grey [H, W] frames of one size, got {prev.dtype} "
                             f"{prev.shape} and {nxt.dtype} {nxt.shape}")
        return self.batch(torch.from_numpy(prev)[None], torch.from_numpy(nxt)[None])[0].cpu().numpy()

    @torch.no_grad()
    def batch(self, prev: Tensor, nxt: Tensor) -> Tensor:
        """Flow from ``prev[i]`` to ``nxt[i]`` for every i, all at once.

        Args:
            prev: ``[N, H, W]`` grey frames t (uint8 0..255 or float on that scale), any device.
            nxt: ``[N, H, W]`` grey frames t+1.

        Returns:
            float32 ``[N, H, W, 2]`` on :attr:`device`: (dx, dy) in pixels.

        Raises:
            ValueError: frames of different shapes, or not ``[N, H, W]``.
        """
        if prev.shape != nxt.shape or prev.ndim != 3:
            raise ValueError(f"TV-L1 needs two [N, H, W] batches of one shape, got {tuple(prev.shape)} "
                             f"and {tuple(nxt.shape)}")
        p = self.tvl1
        i0s = [prev.to(self.device, torch.float32)]
        i1s = [nxt.to(self.device, torch.float32)]
        for _ in range(1, p.nscales):
            size = pyramid_size(*i0s[-1].shape[-2:], p.scale_step)
            if min(size) < MIN_LEVEL_SIDE:
                break
            scale = (1.0 / p.scale_step, 1.0 / p.scale_step)
            i0s.append(resize_linear(i0s[-1], size, scale))
            i1s.append(resize_linear(i1s[-1], size, scale))
        flow = torch.zeros((prev.shape[0], 2) + i0s[-1].shape[-2:], dtype=torch.float32, device=self.device)
        for level in range(len(i0s) - 1, -1, -1):
            flow = self._one_scale(i0s[level], i1s[level], flow)
            if level:
                flow = resize_linear(flow, i0s[level - 1].shape[-2:]) * np.float32(1.0 / p.scale_step)
        return flow.permute(0, 2, 3, 1).contiguous()

    def _one_scale(self, i0: Tensor, i1: Tensor, flow: Tensor) -> Tensor:
        """TV-L1 at one pyramid level: ``[N, H, W]`` x 2 and the initial flow ``[N, 2, H, W]`` -> flow."""
        p = self.tvl1
        step, median = self._step_and_median()
        n, height, width = i0.shape
        i1x, i1y = centered_gradient(i1)
        images = torch.stack([i1, i1x, i1y], dim=1)
        state = torch.cat([flow, torch.zeros((n, 4, height, width), dtype=flow.dtype, device=flow.device)], dim=1)
        grid_y, grid_x = torch.meshgrid(torch.arange(height, dtype=torch.float32, device=i0.device),
                                        torch.arange(width, dtype=torch.float32, device=i0.device), indexing="ij")
        threshold = float(np.float32(p.epsilon * p.epsilon * height * width))
        l_t, taut = float(np.float32(p.lambda_ * p.theta)), float(np.float32(p.tau / p.theta))
        theta = float(np.float32(p.theta))
        for _ in range(p.warps):
            u1, u2 = state[:, 0], state[:, 1]
            warped = remap_cubic(images, grid_x + u1, grid_y + u2)
            i1w, i1wx, i1wy = warped[:, 0], warped[:, 1], warped[:, 2]
            grad = i1wx * i1wx + i1wy * i1wy
            rho_c = i1w - i1wx * u1 - i1wy * u2 - i0
            active = torch.ones(n, dtype=torch.bool, device=i0.device)
            for _ in range(p.outer_iterations):
                if p.median_filtering > 1:
                    filtered = median(state[:, :2])
                    state = torch.cat([torch.where(active.view(-1, 1, 1, 1), filtered, state[:, :2]),
                                       state[:, 2:]], dim=1)
                for inner in range(p.inner_iterations):
                    state, error = step(state, active, i1wx, i1wy, grad, rho_c, l_t, theta, taut)
                    active = active & (error > threshold)
                    if (inner + 1) % self.sync_every == 0 and not bool(active.any()):
                        break
                if not bool(active.any()):
                    break
        return state[:, :2]

    def flow_pairs(self, frames: np.ndarray | Tensor) -> np.ndarray:
        """Flow between consecutive frames of one video, :attr:`batch_size` pairs at a time.

        Args:
            frames: ``[T, H, W]`` uint8 grey frames.

        Returns:
            float32 ``[T-1, H, W, 2]`` numpy: flow t goes from frame t to frame t+1.
        """
        frames = torch.as_tensor(frames)
        if frames.ndim != 3:
            raise ValueError(f"expected [T, H, W] grey frames, got shape {tuple(frames.shape)}")
        frames = frames.to(self.device)  # one copy to the device; pairs share their frames there
        out = []
        for start in range(0, max(frames.shape[0] - 1, 0), self.batch_size):
            stop = min(start + self.batch_size, frames.shape[0] - 1)
            out.append(self.batch(frames[start:stop], frames[start + 1:stop + 1]).cpu().numpy())
        if not out:
            return np.zeros((0, *frames.shape[1:], 2), dtype=np.float32)
        return np.concatenate(out)


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; other names as ``torch.device``.

    Raises:
        ValueError: CUDA asked for but not available.
    """
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA asked for but torch sees no CUDA device; use --flow-device cpu or auto")
    return device


__all__ = ["MIN_LEVEL_SIDE", "TVL1Params", "TorchTVL1", "primal_dual_step", "resolve_device"]
