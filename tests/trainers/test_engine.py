"""The training loop: bit-for-bit resume, NaN guard, DDP equivalence, schedules."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from ranks import run_two_ranks
from torch.utils.data import Dataset
from videotiny import tiny_config

from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.config import DataConfig, OptimConfig, RunConfig
from actionkit.trainers.distributed import Context
from actionkit.trainers.engine import DivergedError, Trainer, lr_factor
from actionkit.trainers.method import Method
from actionkit.trainers.registry import train


class Toy(Dataset):
    """Random features with a learnable linear rule; per-item noise seeded by (epoch, index)."""

    def __init__(self, n: int = 64):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 8, generator=g)
        self.y = (self.x[:, 0] > 0).long()
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        g = torch.Generator().manual_seed(self.epoch * 100_003 + i)
        return {"x": self.x[i] + 0.1 * torch.randn(8, generator=g), "label": self.y[i]}


class ToyMethod(Method):
    name = "toy"

    def __init__(self, nan_at: int = -1):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                       torch.nn.Linear(16, 2))
        self.calls, self.nan_at = 0, nan_at

    def forward(self, batch):
        self.calls += 1
        loss = torch.nn.functional.cross_entropy(self.net(batch["x"]), batch["label"])
        if self.calls == self.nan_at:
            loss = loss * float("nan")
        return {"loss": loss}

    @torch.no_grad()
    def evaluate(self, loader, device):
        hits = total = 0
        for b in loader:
            hits += int((self.net(b["x"]).argmax(1) == b["label"]).sum())
            total += len(b["label"])
        return {"top1": hits / total}


@dataclass
class ToyConfig:
    data: DataConfig = field(default_factory=lambda: DataConfig(batch_size=8, workers=0))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=0.1, milestones=(2,), warmup_epochs=1))
    run: RunConfig = field(default_factory=lambda: RunConfig(epochs=3, log_every=1))


CPU = Context(0, 1, 0, torch.device("cpu"))


def run(out: Path, cfg: ToyConfig, resume: Path | None = None, method: ToyMethod | None = None) -> dict:
    torch.manual_seed(cfg.run.seed)
    method = method or ToyMethod()
    return Trainer(method, Toy(), Toy(), cfg, out, CPU, resume=resume).fit(), method


def weights(method: Method) -> dict:
    return {k: v.clone() for k, v in method.state_dict().items()}


@pytest.mark.parametrize("workers", [0, 2])
def test_resume_at_epoch_boundary_is_bit_for_bit(tmp_path, workers):
    cfg = ToyConfig()
    cfg.data.workers = workers
    full, m_full = run(tmp_path / "full", cfg)
    cfg_short = ToyConfig()
    cfg_short.data.workers = workers
    cfg_short.run.max_steps = 8  # exactly one epoch of 64 / 8
    part, _ = run(tmp_path / "part", cfg_short)
    assert part.get("interrupted") and part["epoch"] == 0 and part["position"] == 64
    resumed, m_res = run(tmp_path / "part", cfg, resume=tmp_path / "part")
    for k, v in weights(m_full).items():
        assert torch.equal(v, weights(m_res)[k]), k
    assert full["top1"] == resumed["top1"]


def test_resume_mid_epoch_is_bit_for_bit(tmp_path):
    full, m_full = run(tmp_path / "full", ToyConfig())
    cfg = ToyConfig()
    cfg.run.max_steps = 11  # stops in the middle of epoch 1
    part, _ = run(tmp_path / "part", cfg)
    assert part["interrupted"] and part["epoch"] == 1 and part["position"] == 3 * 8
    _, m_res = run(tmp_path / "part", ToyConfig(), resume=tmp_path / "part")
    for k, v in weights(m_full).items():
        assert torch.equal(v, weights(m_res)[k]), k


def test_run_folder_contents(tmp_path):
    summary, _ = run(tmp_path / "r", ToyConfig())
    assert (tmp_path / "r" / "config.json").exists() and (tmp_path / "r" / "checkpoints" / "last.pt").exists()
    lines = [json.loads(x) for x in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    epochs = [r for r in lines if "epoch_seconds" in r]
    assert [r["epoch"] for r in epochs] == [0, 1, 2] and "test_top1" in epochs[-1]
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["top1"] == summary["top1"]


def test_nan_guard_stops_with_a_checkpoint(tmp_path):
    with pytest.raises(DivergedError, match="diverged.pt"):
        run(tmp_path / "r", ToyConfig(), method=ToyMethod(nan_at=5))
    assert (tmp_path / "r" / "checkpoints" / "diverged.pt").exists()


def test_checkpoint_of_another_method_is_refused(tmp_path):
    run(tmp_path / "r", ToyConfig())

    class Other(ToyMethod):
        name = "other"

    with pytest.raises(ValueError, match="method 'toy'"):
        Trainer(Other(), Toy(), None, ToyConfig(), tmp_path / "r", CPU, resume=tmp_path / "r")


def test_lr_schedule():
    cfg = OptimConfig(lr=1.0, milestones=(2,), warmup_epochs=1, gamma=0.1)
    assert lr_factor(0, 10, 5, cfg) == pytest.approx(1 / 11)
    assert lr_factor(9, 10, 5, cfg) == pytest.approx(10 / 11)
    assert lr_factor(10, 10, 5, cfg) == 1.0 and lr_factor(20, 10, 5, cfg) == pytest.approx(0.1)
    cos = OptimConfig(schedule="cosine")
    assert lr_factor(0, 10, 5, cos) == 1.0 and lr_factor(25, 10, 5, cos) == pytest.approx(0.5)


DDP_SCRIPT = r"""
import sys, torch
sys.path.insert(0, sys.argv[2])
from test_engine import Toy, ToyMethod, ToyConfig
from actionkit.trainers.distributed import setup, teardown
from actionkit.trainers.engine import Trainer
ctx = setup("cpu")
cfg = ToyConfig()
cfg.optim.warmup_epochs = 0
torch.manual_seed(0)
m = ToyMethod()
m.net[2].p = 0.0  # no dropout: ranks would draw different masks
Trainer(m, Toy(), None, cfg, sys.argv[1], ctx).fit()
if ctx.is_main:
    torch.save(m.state_dict(), sys.argv[1] + "/final.pt")
teardown()
"""


def test_two_process_ddp_matches_single_process(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    here = str(Path(__file__).parent)
    run_two_ranks(script, str(tmp_path / "ddp"), here)
    cfg = ToyConfig()
    cfg.optim.warmup_epochs = 0
    torch.manual_seed(0)
    single = ToyMethod()
    single.net[2].p = 0.0
    Trainer(single, Toy(), None, cfg, tmp_path / "single", CPU).fit()
    ddp = torch.load(tmp_path / "ddp" / "final.pt")
    # Same global batch of 8 (4 per rank, gradients averaged): the same samples per step,
    # the same updates, up to float summation order.
    for k, v in single.state_dict().items():
        torch.testing.assert_close(ddp[k], v, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("method", "variant"), [("dmcl", None), ("cmpl", None), ("mml", "mml")])
def test_video_trainers_resume_exactly(video_store, tmp_path, method, variant):
    """Stopped after one step and resumed, a video trainer ends bit for bit where an unstopped run does."""
    extra = ("run.epochs=2", "run.eval_every=5")
    train(method, tiny_config(method, video_store, *extra, variant=variant), out=tmp_path / "full")
    stopped = train(method, tiny_config(method, video_store, *extra, "run.max_steps=1", variant=variant),
                    out=tmp_path / "part")  # fmt: skip
    assert stopped["interrupted"] and stopped["step"] == 1
    train(method, None, resume=tmp_path / "part")
    a, b = (load_checkpoint(tmp_path / name) for name in ("full", "part"))
    assert a["state"] == b["state"] and a["state"]["epoch"] == 2
    assert set(a["model"]) == set(b["model"])
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert a["optimizer"]["param_groups"] == b["optimizer"]["param_groups"]
    state_a, state_b = a["optimizer"]["state"], b["optimizer"]["state"]
    assert state_a.keys() == state_b.keys() and len(state_a) > 0  # every parameter's state, not a zip's shorter side
    for p in state_a:
        assert state_a[p].keys() == state_b[p].keys(), p
        for k in state_a[p]:
            assert torch.equal(torch.as_tensor(state_a[p][k]), torch.as_tensor(state_b[p][k])), (p, k)
