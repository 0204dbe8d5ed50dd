"""The resumable sampler: deterministic epochs, equal disjoint rank shares, positions."""

from __future__ import annotations

import numpy as np

from actionkit.trainers.sampler import ResumableSampler


def test_epochs_are_deterministic_and_differ():
    a, b = ResumableSampler(10, seed=3), ResumableSampler(10, seed=3)
    a.set_epoch(1)
    b.set_epoch(1)
    assert list(a) == list(b) and sorted(a) == list(range(10))
    b.set_epoch(2)
    assert list(a) != list(b)


def test_ranks_split_an_epoch_equally():
    shares = [ResumableSampler(10, seed=0, rank=r, world=3) for r in range(3)]
    lists = [list(s) for s in shares]
    assert {len(x) for x in lists} == {4}  # 10 padded to 12 by wrapping
    assert set(np.concatenate(lists)) == set(range(10))


def test_position_skips_what_was_consumed_and_repeat():
    s = ResumableSampler(6, seed=1, repeat=2)
    s.set_epoch(0)
    full = list(s)
    assert len(full) == 12 and sorted(full) == sorted(list(range(6)) * 2)
    s.set_epoch(0, position=5)
    assert list(s) == full[5:] and len(s) == 7
    assert list(ResumableSampler(4, shuffle=False)) == [0, 1, 2, 3]
