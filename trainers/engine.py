"""The one training loop every method runs in.

The loop owns devices, DDP, bf16 autocast on GPU, gradient accumulation, learning-rate
schedules, atomic checkpoints (``RUN/checkpoints/last.pt`` after every epoch and on
SIGTERM), bit-for-bit resume (weights, optimiser, RNG states, epoch and sampler
position), a NaN guard, ``metrics.jsonl`` and ``summary.json``. A method supplies only
its modules and its loss (:class:`trainers.method.Method`).
"""

from __future__ import annotations

import json
import math
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset

from actionkit.results.metrics import summarize
from actionkit.results.scores import Scores, save_scores
from actionkit.trainers.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from actionkit.trainers.config import OptimConfig, save_config, to_dict
from actionkit.trainers.distributed import Context, all_reduce_mean, barrier
from actionkit.trainers.method import Method
from actionkit.trainers.progress import EpochProgress, run_header
from actionkit.trainers.sampler import ResumableSampler
from actionkit.trainers.tensorboard import ScalarWriter


class DivergedError(RuntimeError):
    """The loss became NaN or infinite; a checkpoint of the state before the step was written."""


def make_optimizer(params, cfg: OptimConfig) -> torch.optim.Optimizer:
    if cfg.name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                               weight_decay=cfg.weight_decay)
    if cfg.name in ("adam", "adamw"):
        cls = torch.optim.Adam if cfg.name == "adam" else torch.optim.AdamW
        return cls(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimiser {cfg.name!r}; valid: sgd, adam, adamw")


def lr_factor(step: int, steps_per_epoch: int, epochs: int, cfg: OptimConfig) -> float:
    """Multiplier of the base rate at optimiser step ``step`` (0-based)."""
    warm = cfg.warmup_epochs * steps_per_epoch
    if step < warm:
        return (step + 1) / (warm + 1)
    epoch = step // steps_per_epoch
    if cfg.schedule == "step":
        return cfg.gamma ** sum(epoch >= m for m in cfg.milestones)
    if cfg.schedule == "cosine":
        total = max(epochs * steps_per_epoch - warm, 1)
        return 0.5 * (1 + math.cos(math.pi * min(step - warm, total) / total))
    if cfg.schedule == "constant":
        return 1.0
    raise ValueError(f"unknown schedule {cfg.schedule!r}; valid: step, cosine, constant")


def _batch_len(batch: Any) -> int:
    """Samples in a batch (its ``label`` tensor's length)."""
    if isinstance(batch, dict) and "label" in batch:
        return len(batch["label"])
    raise ValueError("a batch must be a dict with a 'label' entry (one per sample)")


def _batch_names(dataset: Any, batch: Any) -> str:
    """``" (samples a, b, ...)"``: the batch's sample names when the dataset can tell them."""
    try:
        names = dataset.item_names(batch["index"].tolist())
    except Exception:  # datasets without names, batches without an index
        return ""
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return f" (batch of samples {shown})"


def _to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(v, device) for v in batch)
    return batch


@dataclass
class TrainState:
    """Where a run is: the next epoch to run, optimiser steps done, samples consumed in the epoch,
    and the epoch's running loss sums over its ``micro`` batches so far (so that a resumed
    epoch logs the same means as an uninterrupted one)."""

    epoch: int = 0
    step: int = 0
    position: int = 0
    sums: dict[str, float] = field(default_factory=dict)
    micro: int = 0


class Trainer:
    """Runs a method over a training set, evaluating on a test set.

    Args:
        method: The method (its modules and loss).
        train_set: Items are dicts the method's ``forward`` understands; may define
            ``set_epoch(epoch)`` (per-epoch augmentation seeds).
        eval_set: Optional held-out set for ``method.evaluate``.
        cfg: The full run config (saved to the run folder); must have ``run``,
            ``optim`` and ``data`` fields.
        out: The run folder.
        ctx: Processes and device (:func:`trainers.distributed.setup`).
        resume: A run folder or checkpoint to continue from.
        console: Where progress goes (rank 0 only).
        continue_with: How a user continues the run after a signal stopped it (printed then);
            default ``resume with --resume OUT``.
        collate_fn: The loaders' collate function (e.g. :func:`actionkit.data.collate`,
            which keeps batched datasets' batches without a copy).
    """

    def __init__(self, method: Method, train_set: Dataset, eval_set: Dataset | None, cfg: Any, out: Path,
                 ctx: Context, resume: Path | None = None, console: Console | None = None,
                 collate_fn: Callable | None = None, continue_with: str | None = None):
        self.cfg, self.run, self.optim_cfg = cfg, cfg.run, cfg.optim
        self.out, self.ctx = Path(out), ctx
        self.console = console or Console(stderr=True)
        self.collate_fn = collate_fn
        self.continue_with = continue_with or f"resume with --resume {self.out}"
        self.method = method.to(ctx.device)
        self.model = (DistributedDataParallel(self.method,
                                              device_ids=[ctx.device] if ctx.device.type == "cuda" else None)
                      if ctx.distributed else self.method)
        self.optimizer = make_optimizer(self.method.parameter_groups(), self.optim_cfg)
        self.train_set, self.eval_set = train_set, eval_set
        per_rank = cfg.data.batch_size // (ctx.world * self.run.grad_accum)
        if per_rank < 1:
            raise ValueError(f"batch_size {cfg.data.batch_size} is smaller than processes x grad_accum")
        self.micro_batch = per_rank
        self.sampler = ResumableSampler(len(train_set), True, self.run.seed, ctx.rank, ctx.world,
                                        getattr(cfg.data, "repeat", 1))
        self.steps_per_epoch = max(len(self.sampler.epoch_indices()) // (per_rank * self.run.grad_accum), 1)
        self.state = TrainState()
        self._stop = 0  # the signal that asked the run to stop
        #: The end-of-training test's per-sample scores (``RUN/scores.npz``), when the method gives them.
        self.final_scores: Scores | None = None
        self.progress = EpochProgress(self.console, enabled=ctx.is_main)
        self.tensorboard: ScalarWriter | None = None
        if resume is not None:
            self._load(resume)
        elif (self.out / "checkpoints" / "last.pt").exists():
            raise ValueError(f"{self.out} already holds a run; continue it with --resume {self.out}, "
                             f"or choose another --out")
        if ctx.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            save_config(cfg, self.out / "config.json")
            for name, content in method.run_files().items():
                (self.out / name).write_text(json.dumps(content, indent=1) + "\n")

    # ------------------------------------------------------------------ state
    def _payload(self) -> dict[str, Any]:
        return {
            "method": self.method.name,
            "model": self.method.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "state": {**vars(self.state), "sums": dict(self.state.sums)},
            "rng": rng_state(),
            "config": to_dict(self.cfg),
        }

    def save(self, name: str = "last.pt") -> Path:
        path = self.out / "checkpoints" / name
        if self.ctx.is_main:
            save_checkpoint(path, self._payload())
        barrier()
        return path

    def _load(self, resume: Path) -> None:
        ckpt = load_checkpoint(resume)
        if ckpt.get("method") != self.method.name:
            raise ValueError(f"{resume}: a checkpoint of method {ckpt.get('method')!r}, not {self.method.name!r}")
        try:
            self.method.load_state_dict(ckpt["model"])
        except RuntimeError as exc:
            raise ValueError(f"{resume}: the checkpoint does not fit this model (another backbone or "
                             f"config?): {str(exc).splitlines()[0]}") from None
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.state = TrainState(**ckpt["state"])
        set_rng_state(ckpt["rng"])

    # ------------------------------------------------------------------ loop
    def _loader(self, dataset: Dataset, sampler, batch: int, drop_last: bool, epoch: int) -> DataLoader:
        workers = getattr(self.cfg.data, "workers", 0)
        # The loader's own generator: workers' seeds must not come from (and advance) the
        # global torch RNG, or a resumed run would draw different dropout masks.
        generator = torch.Generator().manual_seed(self.run.seed * 1_000_003 + epoch)
        # Datasets that decode with OpenCV ask for forkserver workers (a forked OpenCV
        # thread pool deadlocks) and a per-worker setup (``worker_context``, ``worker_init``).
        context = getattr(dataset, "worker_context", "fork")
        return DataLoader(dataset, batch_size=batch, sampler=sampler, num_workers=workers, drop_last=drop_last,
                          persistent_workers=False, pin_memory=self.ctx.device.type == "cuda",
                          multiprocessing_context=context if workers else None, generator=generator,
                          worker_init_fn=getattr(dataset, "worker_init", None) if workers else None,
                          collate_fn=self.collate_fn)

    def _log(self, record: dict[str, Any]) -> None:
        if self.ctx.is_main:
            with open(self.out / "metrics.jsonl", "a") as fh:
                fh.write(json.dumps(record) + "\n")
            if self.tensorboard is not None:
                self.tensorboard.log(record)

    def _header(self) -> str:
        store = getattr(self.cfg.data, "store", "?")
        return run_header(self.method.name, str(store), getattr(self.run, "preset", ""), self.run.epochs,
                          len(self.sampler.epoch_indices()) * self.ctx.world, self.steps_per_epoch, self.ctx.world,
                          self.ctx.device.type)

    def _on_signal(self, signum, frame) -> None:
        self._stop = signum

    def fit(self) -> dict[str, Any]:
        """Train to ``run.epochs`` (from where a resumed run stopped); return the summary.

        A SIGTERM or SIGINT stops the run after the current step with a checkpoint; the
        summary then has ``interrupted`` and ``signal`` (callers exit with 128 + signal).
        """
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        if getattr(self.run, "tensorboard", False) and self.ctx.is_main:
            self.tensorboard = ScalarWriter(self.out / "tensorboard")
        try:
            return self._fit()
        finally:
            self.progress.stop()
            if self.tensorboard is not None:
                self.tensorboard.close()
                self.tensorboard = None
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _fit(self) -> dict[str, Any]:
        run, device = self.run, self.ctx.device
        use_amp = run.amp and device.type == "cuda"
        final: dict[str, float] = {}
        started = time.perf_counter()
        self.progress.header(self._header())
        for epoch in range(self.state.epoch, run.epochs):
            if hasattr(self.train_set, "set_epoch"):
                self.train_set.set_epoch(epoch)
            self.sampler.set_epoch(epoch, self.state.position)
            self.method.start_epoch(epoch)
            self.model.train()
            loader = self._loader(self.train_set, self.sampler, self.micro_batch, drop_last=True, epoch=epoch)
            # A resumed epoch goes on from the running sums of its interrupted part.
            t0, seen, interrupted = time.perf_counter(), 0, False
            sums, micro = dict(self.state.sums), self.state.micro
            self.progress.start(epoch, run.epochs, self.steps_per_epoch)
            for batch in loader:
                batch = _to_device(batch, device)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                    losses = self.model(batch)
                loss = losses["loss"]
                if not torch.isfinite(loss).all():
                    path = self.save("diverged.pt")
                    raise DivergedError(f"{self.out}: loss became {loss.item()} at epoch {epoch + 1}, step "
                                        f"{self.state.step}{_batch_names(self.train_set, batch)}; the state before "
                                        f"this step is in {path}; check the data (actionkit verify STORE) or lower "
                                        f"the learning rate")
                (loss / run.grad_accum).backward()
                micro += 1
                for k, v in losses.items():
                    sums[k] = sums.get(k, 0.0) + float(v.detach())
                n = _batch_len(batch)
                seen += n
                self.state.position += n
                stepped = micro % run.grad_accum == 0
                self.progress.update(n * self.ctx.world, float(losses["loss"].detach()), int(stepped))
                if not stepped:
                    continue
                lr = self.optim_cfg.lr * lr_factor(self.state.step, self.steps_per_epoch, run.epochs, self.optim_cfg)
                for group in self.optimizer.param_groups:
                    group["lr"] = lr * group.get("lr_scale", 1.0)
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                self.method.after_step()
                self.state.step += 1
                if self.state.step % run.log_every == 0:
                    self._log({"epoch": epoch, "step": self.state.step, "lr": lr,
                               **{k: v / micro for k, v in sums.items()}})
                if self._stop or (run.max_steps and self.state.step >= run.max_steps):
                    interrupted = True
                    break
            epoch_s = time.perf_counter() - t0
            self.progress.stop()
            if interrupted:
                self.state.sums, self.state.micro = sums, micro
                path = self.save()
                reason = signal.Signals(self._stop).name if self._stop else f"max_steps {run.max_steps}"
                if self.ctx.is_main:
                    self.console.print(f"stopped by {reason} at epoch {epoch + 1}, step {self.state.step}; "
                                       f"{self.continue_with}")
                return {"interrupted": True, "checkpoint": str(path), "signal": int(self._stop),
                        "epoch": self.state.epoch, "step": self.state.step, "position": self.state.position}
            self.state = TrainState(epoch + 1, self.state.step, 0)
            means = {k: float(all_reduce_mean(torch.tensor(v / max(micro, 1))).item()) for k, v in sums.items()}
            record = {"epoch": epoch, "step": self.state.step, "epoch_seconds": round(epoch_s, 3),
                      "samples_per_s": round(seen * self.ctx.world / max(epoch_s, 1e-9), 1),
                      **{f"train_{k}": v for k, v in means.items()}}
            last = epoch + 1 == run.epochs
            if self.eval_set is not None and ((epoch + 1) % run.eval_every == 0 or last) and self.ctx.is_main:
                final = self.evaluate()
                scores = final.pop("scores", None)
                if last and scores is not None:
                    self.final_scores = scores
                    save_scores(scores, self.out / "scores.npz")
                record.update({f"test_{k}": v for k, v in final.items()})
            self._log(record)
            if self.ctx.is_main:
                shown = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in record.items()
                                  if k != "epoch")  # the 1-based epoch leads the line; metrics.jsonl keeps 0-based
                self.console.print(f"[bold]epoch {epoch + 1}/{run.epochs}[/] {shown}", highlight=False)
            self.save()
        summary = {"epochs": run.epochs, "steps": self.state.step, "seconds": round(time.perf_counter() - started, 1),
                   **final}
        if self.final_scores is not None:
            summary["per_class"] = summarize(self.final_scores)["per_class"]
        if self.ctx.is_main:
            (self.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary

    def evaluate(self) -> dict[str, float]:
        """``method.evaluate`` on the held-out set, in order, on this process."""
        assert self.eval_set is not None
        self.method.eval()
        batch = getattr(self.cfg.data, "eval_batch_size", 0) or max(self.micro_batch, 64)
        loader = self._loader(self.eval_set, None, batch, drop_last=False, epoch=-1)
        return self.method.evaluate(loader, self.ctx.device)
