"""Model size and cost: parameter counts and forward FLOPs.

FLOPs are counted by :class:`torch.utils.flop_counter.FlopCounterMode`, which counts a
multiply-add as 2 FLOPs and covers matrix products, convolutions and attention kernels
(elementwise ops, normalisation and activations are not counted). Papers that report
"FLOPs" measured with thop/fvcore usually report multiply-adds (MACs): divide by 2 to
compare.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["count_parameters", "count_flops"]


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameter elements (shared parameters counted once).

    Args:
        model: Any module.
        trainable_only: Count only parameters with ``requires_grad``.

    Returns:
        The count.
    """
    return sum(
        p.numel() for p in model.parameters() if p.requires_grad or not trainable_only
    )


def count_flops(model: nn.Module, input_shape: Sequence[int], **forward_kwargs) -> int:
    """Forward FLOPs for one sample, in eval mode.

    Args:
        model: A backbone (or any module taking one float tensor).
        input_shape: One sample's shape without the batch axis, e.g. ``(3, 64, 25, 2)``
            for ``(C, T, V, M)``; a shape with a leading batch axis of size B is also
            accepted and the total is divided by B.
        **forward_kwargs: Extra keyword arguments for ``model.forward``.

    Returns:
        FLOPs of one forward pass of one sample (2 per multiply-add).
    """
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 4:
        shape = (1, *shape)
    batch = shape[0]
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            model(torch.zeros(shape, device=device), **forward_kwargs)
    finally:
        model.train(was_training)
    return counter.get_total_flops() // batch
