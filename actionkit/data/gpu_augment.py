"""Batched clip augmentation on the training device, so a GPU is not starved by CPU workers.

Workers then only decode and centre-crop frames to a fixed size; this module does the
random part on whole batches: one random crop (scale and aspect jitter, resized to
``size``) and flip per sample, shared by every frame and every modality of that sample,
through one ``grid_sample`` call per modality, then per-sample colour jitter on RGB.
Inputs are normalised float tensors ``[B, C, T, H, W]`` as :class:`VideoClipDataset`
yields them; a flip negates normalised flow x (the quantised ``q -> 255 - q``, after the
symmetric normalisation around level 127.5 ... 0.5, is a sign change).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


class BatchedClipAugment:
    """Random resized crop + flip (all modalities) and brightness/contrast jitter (RGB), per sample.

    Args:
        size: Output side (square).
        scale: Range of the crop's area as a fraction of the frame.
        ratio: Range of the crop's aspect ratio.
        flip: Probability of a horizontal flip.
        jitter: Brightness and contrast jitter strength on RGB (0: none).
    """

    def __init__(self, size: int = 224, scale: tuple[float, float] = (0.35, 1.0),
                 ratio: tuple[float, float] = (3 / 4, 4 / 3), flip: float = 0.5, jitter: float = 0.4):
        self.size, self.scale, self.ratio, self.flip, self.jitter = size, scale, ratio, flip, jitter

    def params(self, batch: int, generator: torch.Generator | None, device) -> dict[str, torch.Tensor]:
        """Per-sample crop centre, half sizes (in [-1, 1] units), flip sign and jitter factors."""
        u = torch.rand(batch, 7, generator=generator).to(device)
        area = self.scale[0] + (self.scale[1] - self.scale[0]) * u[:, 0]
        log_r = math.log(self.ratio[0]) + (math.log(self.ratio[1]) - math.log(self.ratio[0])) * u[:, 1]
        aspect = torch.exp(log_r)
        half_w = (torch.sqrt(area * aspect)).clamp(max=1.0)
        half_h = (torch.sqrt(area / aspect)).clamp(max=1.0)
        cx = (1 - half_w) * (2 * u[:, 2] - 1)
        cy = (1 - half_h) * (2 * u[:, 3] - 1)
        sign = torch.where(u[:, 4] < self.flip, -1.0, 1.0)
        bright = 1 + self.jitter * (2 * u[:, 5] - 1)
        contrast = 1 + self.jitter * (2 * u[:, 6] - 1)
        return {"cx": cx, "cy": cy, "half_w": half_w, "half_h": half_h, "sign": sign, "bright": bright,
                "contrast": contrast}

    def __call__(self, inputs: dict[str, torch.Tensor], generator: torch.Generator | None = None,
                 stats: dict[str, tuple] | None = None) -> dict[str, torch.Tensor]:
        """Augment a batch: ``{modality: [B, C, T, H, W]}`` -> ``[B, C, T, size, size]``."""
        first = next(iter(inputs.values()))
        b, device = first.shape[0], first.device
        p = self.params(b, generator, device)
        theta = torch.zeros(b, 2, 3, device=device)
        theta[:, 0, 0] = p["half_w"] * p["sign"]
        theta[:, 0, 2] = p["cx"]
        theta[:, 1, 1] = p["half_h"]
        theta[:, 1, 2] = p["cy"]
        out = {}
        for mod, x in inputs.items():
            _, c, t, h, w = x.shape
            frames = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
            grid = F.affine_grid(theta.repeat_interleave(t, dim=0), (b * t, c, self.size, self.size),
                                 align_corners=False)
            mode = "nearest" if mod == "depth" else "bilinear"
            y = F.grid_sample(frames, grid.to(frames.dtype), mode=mode, padding_mode="border", align_corners=False)
            y = y.reshape(b, t, c, self.size, self.size).permute(0, 2, 1, 3, 4)
            if mod == "flow":  # mirrored motion: x component changes sign
                y = torch.cat([y[:, :1] * p["sign"].view(b, 1, 1, 1, 1).to(y.dtype), y[:, 1:]], dim=1)
            if mod == "rgb" and self.jitter > 0:
                mean = y.mean(dim=(1, 2, 3, 4), keepdim=True)
                y = (y - mean) * p["contrast"].view(b, 1, 1, 1, 1) + mean
                y = y * p["bright"].view(b, 1, 1, 1, 1)
            out[mod] = y.contiguous()
        return out
