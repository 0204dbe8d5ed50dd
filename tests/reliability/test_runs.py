"""Stopped and resumed runs: SIGTERM/SIGINT exit 128+signal after the checkpoint; a resumed run
logs the same figures as an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass, field

import pytest
import torch
from clirun import cli
from torch.utils.data import Dataset

from actionkit.trainers.config import DataConfig, OptimConfig, RunConfig
from actionkit.trainers.distributed import Context
from actionkit.trainers.engine import Trainer
from actionkit.trainers.method import Method

CPU = Context(0, 1, 0, torch.device("cpu"))


class Data(Dataset):
    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(64, 8, generator=g)
        self.y = (self.x[:, 0] > 0).long()

    def __len__(self):
        return 64

    def __getitem__(self, i):
        return {"x": self.x[i], "label": self.y[i]}


class Linear(Method):
    name = "linear"

    def __init__(self, signal_at: int = 0, signum: int = signal.SIGTERM):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
        self.calls, self.signal_at, self.signum = 0, signal_at, signum

    def forward(self, batch):
        self.calls += 1
        if self.calls == self.signal_at:
            os.kill(os.getpid(), self.signum)  # the scheduler stops the job mid-epoch
        return {"loss": torch.nn.functional.cross_entropy(self.net(batch["x"]), batch["label"])}


@dataclass
class Cfg:
    data: DataConfig = field(default_factory=lambda: DataConfig(batch_size=8, workers=0))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=0.1))
    run: RunConfig = field(default_factory=lambda: RunConfig(epochs=2, log_every=1))


def fit(out, method, resume=None):
    torch.manual_seed(0)
    return Trainer(method, Data(), None, Cfg(), out, CPU, resume=resume).fit()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signalled_run_checkpoints_and_exits_128_plus_signal(tmp_path, monkeypatch, signum):
    summary = fit(tmp_path / "run", Linear(signal_at=3, signum=signum))  # before: SIGINT raised KeyboardInterrupt
    assert summary["interrupted"] and summary["signal"] == signum and summary["step"] == 3
    assert (tmp_path / "run" / "checkpoints" / "last.pt").exists()

    import actionkit.trainers.registry as registry

    monkeypatch.setattr(registry, "train", lambda *a, **k: summary)
    result = cli("train", "supervised", "--store", tmp_path / "any.zarr")
    assert result.exit_code == 128 + signum, result.output  # before: 0


def test_resumed_run_logs_the_same_figures(tmp_path):
    fit(tmp_path / "whole", Linear())
    stopped = fit(tmp_path / "cut", Linear(signal_at=5))
    assert stopped["interrupted"] and stopped["epoch"] == 0
    fit(tmp_path / "cut", Linear(), resume=tmp_path / "cut")

    def figures(run):
        lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
        return [{k: v for k, v in r.items() if k not in ("epoch_seconds", "samples_per_s")} for r in lines]

    # before: the interrupted epoch's running mean covered only the steps after the resume
    assert figures(tmp_path / "cut") == figures(tmp_path / "whole")
