"""Non-finite values never reach training silently: the loader names the sample; a diverged
loss names the step and the batch's samples."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import zarr

from actionkit.data.skeleton import SkeletonDataset
from actionkit.data.transforms import Normalize
from actionkit.store.errors import StoreError


def plant_nan(store, row: int) -> None:
    """A NaN written into the joint stream after prepare; the manifest is dropped (as in a store
    from before schema 2), so that only the loader's own check stands in the way."""
    arr = zarr.open_array(store / "joint", mode="r+")
    values = arr[:]
    values[row, 0, 4, 2] = np.nan
    arr[:] = values
    root = json.loads((store / "zarr.json").read_text())
    root["attributes"]["actionkit"].pop("manifest", None)
    (store / "zarr.json").write_text(json.dumps(root))


def test_ctrgcn_ucla_normalisation_does_not_hide_a_nan(store_copy):
    start = zarr.open_array(store_copy / "samples" / "start", mode="r")[:]
    plant_nan(store_copy, int(start[7]) + 2)
    with pytest.raises(StoreError, match=r"stream joint of sample 7 \(a02_s02_e03_v02\).*frame 2"):
        # before: the normalisation turned the NaN into a zeroed axis of the whole sample, rc 0
        SkeletonDataset(store_copy, ("xview", "train"), pre_transform=Normalize("ctrgcn_ucla"))


def test_a_modified_store_is_refused_even_with_its_manifest(store_copy):
    arr = zarr.open_array(store_copy / "joint", mode="r+")
    values = arr[:]
    values[3, 0, 0, 0] = np.inf
    arr[:] = values
    with pytest.raises(StoreError, match="array joint"):
        SkeletonDataset(store_copy, ("xview", "train"))


def test_diverged_loss_names_step_and_samples(tmp_path):
    from dataclasses import dataclass, field

    from torch.utils.data import Dataset

    from actionkit.trainers.config import DataConfig, OptimConfig, RunConfig
    from actionkit.trainers.distributed import Context
    from actionkit.trainers.engine import DivergedError, Trainer
    from actionkit.trainers.method import Method

    class Named(Dataset):
        def __len__(self):
            return 32

        def __getitem__(self, i):
            return {"x": torch.full((4,), float(i)), "label": i % 2, "index": i}

        def item_names(self, positions):
            return [f"clip{p:03d}" for p in positions]

    class Blows(Method):
        name = "blows"

        def __init__(self):
            super().__init__()
            self.net, self.calls = torch.nn.Linear(4, 2), 0

        def forward(self, batch):
            self.calls += 1
            loss = torch.nn.functional.cross_entropy(self.net(batch["x"]), batch["label"])
            return {"loss": loss * float("nan") if self.calls == 3 else loss}

    @dataclass
    class Cfg:
        data: DataConfig = field(default_factory=lambda: DataConfig(batch_size=4, workers=0))
        optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=0.1))
        run: RunConfig = field(default_factory=lambda: RunConfig(epochs=1, log_every=1))

    trainer = Trainer(Blows(), Named(), None, Cfg(), tmp_path / "run", Context(0, 1, 0, torch.device("cpu")))
    with pytest.raises(DivergedError) as caught:
        trainer.fit()
    message = str(caught.value)  # before: no sample named
    assert "step 2" in message and "clip" in message and "diverged.pt" in message, message
    assert (tmp_path / "run" / "checkpoints" / "diverged.pt").exists()
