"""The image operations of OpenCV's TV-L1, in torch, batched and bit-faithful where it matters.

Each function reproduces one OpenCV primitive that ``DualTVL1OpticalFlow`` calls, on
float32 batches ``[N, H, W]`` (or ``[N, C, H, W]``), on any device:

- :func:`resize_linear`: ``cv::resize`` with ``INTER_LINEAR`` on float images: the
  half-pixel source coordinate ``(d + 0.5) * scale - 0.5`` and its fraction in double,
  two taps blended as ``a + t (b - a)`` with one rounding (OpenCV 5's fused
  multiply-add), coordinates clamped to the image (replicated border); bit-exact.
  The scale is given separately from the output size because OpenCV's pyramid asks
  for ``fx = 0.8`` (scale 1.25, output size rounded) while its flow upsampling asks
  for an output size (scale = input / output).
- :func:`remap_cubic`: ``cv::remap`` with ``INTER_CUBIC`` and a constant zero border:
  cubic convolution (A = -0.75) at the exact float position (OpenCV 5 no longer rounds
  positions to 1/32 pixel as 4.x did), taps outside the image reading 0.
- :func:`median5`: ``cv::medianBlur`` with a 5x5 window on float (replicated border).
- :func:`centered_gradient`, :func:`forward_gradient`, :func:`divergence`: the
  finite differences of ``tvl1flow.cpp`` with its border rules.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

#: The cubic kernel's free parameter in OpenCV (``interpolateCubic``).
CUBIC_A = -0.75


def _linear_taps(n_in: int, n_out: int, scale: float, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """Source indices (i0, i1) and the float32 weight of i1 for each output position of one axis.

    The position and its fraction are computed in double and only the weight rounded
    to float, as OpenCV 5 does (4.x rounded the position to float first).
    """
    pos = (torch.arange(n_out, dtype=torch.float64, device=device) + 0.5) * scale - 0.5
    i0 = torch.floor(pos)
    frac = pos - i0
    i0 = i0.to(torch.int64)
    low = i0 < 0
    high = i0 >= n_in - 1
    frac = torch.where(low | high, torch.zeros_like(frac), frac)
    i0 = torch.where(low, torch.zeros_like(i0), torch.where(high, torch.full_like(i0, n_in - 1), i0))
    i1 = torch.clamp(i0 + 1, max=n_in - 1)
    return i0, i1, frac.to(torch.float32)


def _lerp_fma(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """``a + t * (b - a)`` with the multiply-add rounded once (a fused multiply-add), in float32.

    The product of two floats is exact in double, so doing the multiply-add in double
    and rounding to float gives the FMA's result (bar the rare double-rounding tie).
    """
    return (a.double() + t.double() * (b - a).double()).float()


def resize_linear(x: Tensor, size: tuple[int, int], scale: tuple[float, float] | None = None) -> Tensor:
    """``cv::resize(..., INTER_LINEAR)`` of float images, batched (bit-exact to OpenCV 5 on x86).

    Args:
        x: float32 ``[..., H, W]``.
        size: Output ``(h, w)``.
        scale: Source pixels per output pixel ``(sy, sx)``; default ``(H / h, W / w)``
            (OpenCV's scale when it is given an output size; with factors ``fx, fy`` it
            uses ``1 / fx`` and ``1 / fy`` instead).

    Returns:
        float32 ``[..., h, w]``.
    """
    height, width = x.shape[-2:]
    out_h, out_w = size
    sy, sx = scale if scale is not None else (height / out_h, width / out_w)
    r0, r1, fy = _linear_taps(height, out_h, sy, x.device)
    c0, c1, fx = _linear_taps(width, out_w, sx, x.device)
    # Horizontal pass then vertical, each a linear interpolation with one rounding.
    rows = _lerp_fma(x.index_select(-1, c0), x.index_select(-1, c1), fx)
    return _lerp_fma(rows.index_select(-2, r0), rows.index_select(-2, r1), fy.unsqueeze(-1))


def pyramid_size(height: int, width: int, factor: float) -> tuple[int, int]:
    """The size ``cv::resize`` gives for factors ``fx = fy = factor``: each side rounded."""
    return _round_half_even(height * factor), _round_half_even(width * factor)


def _round_half_even(value: float) -> int:
    """``saturate_cast<int>(double)`` (``cvRound``): nearest, ties to even."""
    return int(round(value))


def cubic_weights(frac: Tensor) -> Tensor:
    """OpenCV's cubic convolution weights (``interpolateCubic``, A = -0.75) at fractions ``frac``.

    Args:
        frac: float32 ``[...]`` in [0, 1).

    Returns:
        float32 ``[..., 4]``: weights of the taps at offsets -1, 0, 1, 2.
    """
    a = CUBIC_A
    x = frac
    w0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
    w1 = ((a + 2) * x - (a + 3)) * x * x + 1
    w2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
    w3 = 1 - w0 - w1 - w2
    return torch.stack([w0, w1, w2, w3], dim=-1)


def remap_cubic(images: Tensor, map_x: Tensor, map_y: Tensor) -> Tensor:
    """``cv::remap(src, dst, map_x, map_y, INTER_CUBIC)`` (constant 0 border), batched.

    Args:
        images: float32 ``[N, C, H, W]``: C images sampled at the same positions.
        map_x: float32 ``[N, h, w]``: source x of each output pixel.
        map_y: float32 ``[N, h, w]``: source y.

    Returns:
        float32 ``[N, C, h, w]``.
    """
    n, c, height, width = images.shape
    fx = torch.floor(map_x)
    fy = torch.floor(map_y)
    wx = cubic_weights(map_x - fx)  # [N, h, w, 4]
    wy = cubic_weights(map_y - fy)
    ix = fx.to(torch.int64) - 1  # top-left tap of the 4x4 window
    iy = fy.to(torch.int64) - 1
    flat = images.reshape(n, c, height * width)
    zero = torch.zeros_like(map_x)
    out = None
    for r in range(4):
        yr = iy + r
        y_ok = (yr >= 0) & (yr < height)
        row_start = yr.clamp(0, height - 1) * width
        row = None
        for k in range(4):
            xk = ix + k
            ok = y_ok & (xk >= 0) & (xk < width)
            index = (row_start + xk.clamp(0, width - 1)).reshape(n, 1, -1).expand(n, c, -1)
            taps = flat.gather(2, index).reshape(n, c, *map_x.shape[1:])
            term = taps * torch.where(ok, wx[..., k], zero).unsqueeze(1)  # taps outside the image read 0
            row = term if row is None else row + term
        term = row * wy[..., r].unsqueeze(1)
        out = term if out is None else out + term
    return out


def _odd_even_merge_sort(n: int) -> list[tuple[int, int]]:
    """Batcher's odd-even merge sorting network for ``n`` (a power of two) wires: (low, high) pairs."""
    pairs = []
    p = 1
    while p < n:
        k = p
        while k >= 1:
            for j in range(k % p, n - k, 2 * k):
                for i in range(min(k, n - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return pairs


def selection_network(n: int, rank: int) -> list[tuple[int, int, bool, bool]]:
    """Compare-exchanges that put the ``rank``-th smallest of ``n`` values on wire ``rank``.

    Batcher's network for the next power of two, with the wires past ``n`` read as
    +inf (their comparators do nothing) and every comparator that cannot reach wire
    ``rank`` removed.

    Returns:
        (low wire, high wire, low output used, high output used) in order.
    """
    size = 1
    while size < n:
        size *= 2
    needed, kept = {rank}, []
    for low, high in reversed([(a, b) for a, b in _odd_even_merge_sort(size) if b < n]):
        if low in needed or high in needed:
            kept.append((low, high, low in needed, high in needed))
            needed |= {low, high}
    return kept[::-1]


#: The median of 25 (rank 12): 113 comparators, 202 min/max operations.
MEDIAN25 = selection_network(25, 12)


def median5(x: Tensor, method: str = "auto") -> Tensor:
    """``cv::medianBlur(x, 5)`` on float images (replicated border), batched.

    Both methods are exact (the median is an order statistic): ``network`` runs a
    selection network of elementwise min/max over the 25 shifted images (far cheaper
    than sorting on a CPU, and one kernel under ``torch.compile``); ``sort`` gathers the
    25 neighbours and takes their median (two kernels, for an uncompiled GPU).

    Args:
        x: float32 ``[N, C, H, W]``.
        method: ``network``, ``sort`` or ``auto`` (``sort`` on CUDA, else ``network``).

    Returns:
        float32 ``[N, C, H, W]``: each pixel the median of its 5x5 window.
    """
    n, c, height, width = x.shape
    padded = F.pad(x.reshape(n * c, 1, height, width), (2, 2, 2, 2), mode="replicate").reshape(n, c, height + 4,
                                                                                               width + 4)
    if method == "auto":
        method = "sort" if x.is_cuda else "network"
    if method == "sort":
        windows = padded.unfold(2, 5, 1).unfold(3, 5, 1)  # [N, C, H, W, 5, 5]
        return windows.reshape(n, c, height, width, 25).median(dim=-1).values
    if method != "network":
        raise ValueError(f"unknown median method {method!r}; expected network, sort or auto")
    wires = [padded[..., dy:dy + height, dx:dx + width] for dy in range(5) for dx in range(5)]
    for low, high, use_low, use_high in MEDIAN25:
        a, b = wires[low], wires[high]
        if use_low:
            wires[low] = torch.minimum(a, b)
        if use_high:
            wires[high] = torch.maximum(a, b)
    return wires[12].contiguous()


def centered_gradient(x: Tensor) -> tuple[Tensor, Tensor]:
    """Half the central difference, with one-sided halves at the borders (``centeredGradient``).

    Args:
        x: float32 ``[N, H, W]``.

    Returns:
        (dx, dy), each float32 ``[N, H, W]``.
    """
    padded = F.pad(x.unsqueeze(1), (1, 1, 1, 1), mode="replicate").squeeze(1)
    dx = 0.5 * (padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2])
    dy = 0.5 * (padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1])
    return dx, dy


def forward_gradient(u: Tensor) -> tuple[Tensor, Tensor]:
    """Forward differences, zero on the last column (dx) and the last row (dy) (``forwardGradient``).

    Args:
        u: float32 ``[..., H, W]``.

    Returns:
        (dx, dy), each of ``u``'s shape.
    """
    dx = F.pad(u[..., :, 1:] - u[..., :, :-1], (0, 1))
    dy = F.pad(u[..., 1:, :] - u[..., :-1, :], (0, 0, 0, 1))
    return dx, dy


def divergence(v1: Tensor, v2: Tensor) -> Tensor:
    """Backward differences of ``(v1, v2)`` with zeros before the first column and row (``divergence``).

    Args:
        v1, v2: float32 ``[..., H, W]``: the x and y components.

    Returns:
        ``v1[x] - v1[x-1] + v2[y] - v2[y-1]``, of ``v1``'s shape.
    """
    v1x = v1 - F.pad(v1[..., :, :-1], (1, 0))
    v2y = v2 - F.pad(v2[..., :-1, :], (0, 0, 1, 0))
    return v1x + v2y


def flt_epsilon() -> float:
    """``std::numeric_limits<float>::epsilon()``."""
    return math.ldexp(1.0, -23)


__all__ = [
    "CUBIC_A",
    "MEDIAN25",
    "centered_gradient",
    "cubic_weights",
    "divergence",
    "flt_epsilon",
    "forward_gradient",
    "median5",
    "pyramid_size",
    "remap_cubic",
    "resize_linear",
    "selection_network",
]
