"""Processes and devices: single process, or DDP under ``torchrun`` (gloo on CPU, NCCL on GPU)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    """Where this process runs.

    Attributes:
        rank: Global rank (0 without DDP).
        world: Number of processes (1 without DDP).
        local_rank: Rank on this machine (selects the GPU).
        device: The torch device of this process.
    """

    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device: str = "auto") -> Context:
    """Initialise the process group when launched by ``torchrun`` and pick the device.

    Args:
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--set run.device=cuda, but torch sees no CUDA device")
    dev = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return Context(rank, world, local_rank, dev)


def teardown(finished: bool = True) -> None:
    """Leave the process group.

    Args:
        finished: This rank's work ended normally. Then a barrier first keeps it from closing
            its connections while a slower peer still talks to it (saving, logging), which
            gloo can answer with an abort at exit. After an error there is no barrier: the
            other ranks may never reach it.
    """
    if dist.is_available() and dist.is_initialized():
        if finished:
            dist.barrier()
        dist.destroy_process_group()


def all_reduce_mean(value: torch.Tensor) -> torch.Tensor:
    """Mean over processes (the value itself without DDP)."""
    if dist.is_available() and dist.is_initialized():
        value = value.clone()
        dist.all_reduce(value)
        value /= dist.get_world_size()
    return value


def all_gather_cat(value: torch.Tensor) -> torch.Tensor:
    """Concatenate a tensor from every process along dim 0 (no gradient)."""
    if not (dist.is_available() and dist.is_initialized()):
        return value
    parts = [torch.empty_like(value) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, value.contiguous())
    return torch.cat(parts)


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
