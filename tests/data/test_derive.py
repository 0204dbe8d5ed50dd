"""Device-side motion and bone against the numpy kernels and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from actionkit.data.derive import bone_of, derive_streams, motion_of
from actionkit.kernels.streams import bone, motion
from actionkit.layouts import NTU25


def test_motion_hand_computed():
    x = torch.zeros(1, 1, 3, 1, 1)
    x[0, 0, :, 0, 0] = torch.tensor([1.0, 4.0, 9.0])
    assert motion_of(x)[0, 0, :, 0, 0].tolist() == [3.0, 5.0, 0.0]


def test_bone_hand_computed():
    # joints 0 (root), 1 (child of 0), 2 (child of 1)
    x = torch.tensor([1.0, 3.0, 7.0]).reshape(1, 1, 1, 3, 1)
    assert bone_of(x, [0, 0, 1])[0, 0, 0, :, 0].tolist() == [0.0, 2.0, 4.0]


def test_equal_to_the_numpy_kernels():
    rng = np.random.default_rng(0)
    seq = rng.normal(size=(4, 2, 25, 3)).astype(np.float32)  # [T, M, V, C] per sample
    batch = torch.from_numpy(np.stack([seq, seq[::-1].copy()]).transpose(0, 4, 1, 3, 2).copy())  # [B, C, T, V, M]
    out = derive_streams(batch, NTU25.parents, ("joint", "motion", "bone"))
    assert out["joint"] is batch
    for b, s in enumerate((seq, seq[::-1].copy())):
        np.testing.assert_array_equal(out["motion"][b].numpy(), motion(s).transpose(3, 0, 2, 1))
        np.testing.assert_array_equal(out["bone"][b].numpy(), bone(s, NTU25.parents).transpose(3, 0, 2, 1))


def test_gradients_flow_and_bad_input_fails():
    x = torch.randn(2, 3, 5, 25, 1, requires_grad=True)
    (motion_of(x).sum() + bone_of(x, NTU25.parents).square().sum()).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    with pytest.raises(ValueError, match="unknown stream"):
        derive_streams(x, NTU25.parents, ("velocity",))
    with pytest.raises(ValueError, match="parents must hold 25"):
        bone_of(x, [0, 1])
    with pytest.raises(ValueError, match=r"\[B, C, T, V, M\]"):
        motion_of(x[0])
