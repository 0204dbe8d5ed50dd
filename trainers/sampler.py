"""A deterministic, resumable, rank-aware sampler.

The order of an epoch depends only on (seed, epoch), so every process agrees on it
without communication, and a resumed run continues from the exact position.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler


class ResumableSampler(Sampler[int]):
    """Indices ``0..n-1`` for one epoch, this rank's share, from a saved position.

    Every rank gets ``ceil(n * repeat / world)`` indices (the permutation is padded by
    wrapping), so all ranks take the same number of steps.

    Args:
        n: Dataset length.
        shuffle: Permute each epoch (training) or keep the order (evaluation).
        seed: Seed of the permutations.
        rank: This process's rank.
        world: Number of processes.
        repeat: Passes over the data per epoch.
    """

    def __init__(self, n: int, shuffle: bool = True, seed: int = 0, rank: int = 0, world: int = 1, repeat: int = 1):
        if n <= 0:
            raise ValueError("cannot sample from an empty dataset")
        self.n, self.shuffle, self.seed = n, shuffle, seed
        self.rank, self.world, self.repeat = rank, world, repeat
        self.epoch = 0
        self.position = 0  # indices of this rank already consumed in this epoch

    def set_epoch(self, epoch: int, position: int = 0) -> None:
        self.epoch, self.position = epoch, position

    def epoch_indices(self) -> np.ndarray:
        """This rank's indices of the current epoch, in order."""
        if self.shuffle:
            rng = np.random.default_rng([self.seed, self.epoch])
            order = np.concatenate([rng.permutation(self.n) for _ in range(self.repeat)])
        else:
            order = np.tile(np.arange(self.n), self.repeat)
        per_rank = -(-len(order) // self.world)
        order = np.resize(order, per_rank * self.world)  # wrap to equal shares
        return order[self.rank::self.world]

    def __iter__(self) -> Iterator[int]:
        return iter(self.epoch_indices()[self.position:].tolist())

    def __len__(self) -> int:
        return len(self.epoch_indices()) - self.position
