"""A planted checkpoint cannot run code: checkpoints and weights load with weights_only=True."""

from __future__ import annotations

import pytest
import torch

from actionkit.models.weights import load_weights
from actionkit.trainers.checkpoint import load_checkpoint


class Payload:
    """Unpickling this creates a file: the proof that a load ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def test_planted_last_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    torch.save({"method": "supervised", "model": {}, "x": Payload(marker)}, run / "checkpoints" / "last.pt")
    with pytest.raises(ValueError, match="last.pt: refused"):  # before: the payload ran
        load_checkpoint(run)
    assert not marker.exists()


def test_planted_weight_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"state_dict": {"w": torch.zeros(1)}, "x": Payload(marker)}, tmp_path / "w.pt")
    with pytest.raises(ValueError, match="refused"):
        load_weights(torch.nn.Linear(1, 1), tmp_path / "w.pt")
    assert not marker.exists()
