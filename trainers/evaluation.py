"""Evaluation protocols for skeleton encoders: linear, kNN, finetune, semi, transfer.

Every protocol reports the final epoch (never the best test epoch), prints a table and
writes ``RUN/results/<protocol>.json``. The encoder of a run is its method's
``backbone`` (every skeleton method names its encoder so); ``random_init`` evaluates
an untrained backbone of the run's config, the baseline a self-supervised method must
beat.

- ``linear``: the encoder frozen; a linear classifier trained on its features of the
  training part (features computed once, from the test-view transform), with the
  method's protocol (``EncoderRecipe.linear``: I2MD SGD lr 0.1 80 epochs, ASMa Adam
  lr 1e-3 150 epochs).
  With ``align`` (ASMa's two encoders f_theta and f_phi, both frozen): the feature-
  alignment module and its classifier trained on their per-frame features
  (:mod:`actionkit.trainers.probe`).
- ``knn``: k=1 nearest neighbour by cosine similarity of L2-normalised features.
- ``finetune``: encoder + linear head trained end to end with the supervised recipe.
- ``semi``: ``finetune`` on a class-balanced, seeded fraction of the training part,
  repeated with different seeds; mean and standard deviation.
- ``transfer``: ``finetune`` on another store (e.g. pretrain NTU-60, finetune PKU-MMD II).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from actionkit import open_store
from actionkit.data import SkeletonDataset, collate
from actionkit.results.metrics import summarize
from actionkit.results.scores import Scores, save_scores, scores_of_dataset, scores_path
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.config import from_dict, to_dict
from actionkit.trainers.distributed import Context, barrier
from actionkit.trainers.engine import Trainer
from actionkit.trainers.method import EncoderRecipe, finetuned_path
from actionkit.trainers.probe import (
    alignment_path,
    classifier_logits,
    linear_probe_logits,
    standardize_pair,
    train_alignment,
)
from actionkit.trainers.registry import METHODS, get_method
from actionkit.trainers.supervised import Supervised, SupervisedConfig


@torch.no_grad()
def extract_features(encoder: torch.nn.Module, dataset: Dataset, device: torch.device, batch_size: int = 128,
                     key: str = "x", per_frame: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoder features of every item, in order: ``(N, D)`` float32 and labels ``(N,)``.

    ``key`` is the batch entry fed to the encoder (``x``, or a derived ``motion``/``bone``).
    ``per_frame``: the encoder's ``forward_frames`` features ``(N, T', D)`` instead (what
    the feature-alignment module reads).

    Raises:
        ValueError: ``per_frame`` for an encoder without per-frame features.
    """
    if per_frame and not hasattr(encoder, "forward_frames"):
        raise ValueError(f"{type(encoder).__name__} has no per-frame features (forward_frames); "
                         "the alignment module needs them")  # fmt: skip
    forward = encoder.forward_frames if per_frame else encoder
    encoder.eval().to(device)
    feats, labels = [], []
    for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0, collate_fn=collate):
        feats.append(forward(batch[key].to(device)).float().cpu())
        labels.append(batch["label"])
    return torch.cat(feats), torch.cat(labels)


def knn_accuracy(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                 k: int = 1, chunk: int = 1024) -> float:
    """Top-1 of a k-nearest-neighbour vote by cosine similarity (k=1: the nearest)."""
    train_n = F.normalize(train_x, dim=1)
    hits = 0
    for lo in range(0, len(test_x), chunk):
        sim = F.normalize(test_x[lo:lo + chunk], dim=1) @ train_n.T
        idx = sim.topk(k, dim=1).indices
        votes = train_y[idx]
        pred = votes[:, 0] if k == 1 else torch.mode(votes, dim=1).values
        hits += int((pred == test_y[lo:lo + chunk]).sum())
    return hits / max(len(test_x), 1)


def knn_class_scores(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, num_classes: int,
                     k: int = 1, chunk: int = 1024) -> tuple[torch.Tensor, str]:
    """Per-sample class scores of the kNN vote, for the scores file.

    k=1: each class's highest cosine similarity to a training sample of it (kind
    ``similarities``; its argmax is the nearest neighbour's class). k>1: the fraction of
    the k neighbours in each class (kind ``probabilities``).

    Returns:
        ``(N_test, classes)`` float32 and the kind.
    """
    train_n = F.normalize(train_x, dim=1)
    parts = []
    for lo in range(0, len(test_x), chunk):
        sim = F.normalize(test_x[lo:lo + chunk], dim=1) @ train_n.T
        if k == 1:
            best = torch.full((len(sim), num_classes), -2.0)
            parts.append(best.scatter_reduce(1, train_y.expand(len(sim), -1), sim, reduce="amax"))
        else:
            votes = train_y[sim.topk(k, dim=1).indices]
            parts.append(F.one_hot(votes, num_classes).float().mean(1))
    out = torch.cat(parts) if parts else torch.zeros(0, num_classes)
    return out, "similarities" if k == 1 else "probabilities"


def balanced_subset(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of a class-balanced ``fraction`` of ``labels`` (at least one per class)."""
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        n = max(1, int(round(len(idx) * fraction)))
        picked.append(rng.choice(idx, size=min(n, len(idx)), replace=False))
    return np.sort(np.concatenate(picked))


@dataclasses.dataclass
class RunEncoder:
    """A run's encoder and how to feed and finetune it."""

    encoder: torch.nn.Module
    recipe: EncoderRecipe
    run: Path

    @property
    def config(self) -> SupervisedConfig:
        """The finetune protocol's config (data, optimiser, schedule)."""
        return self.recipe.finetune


def load_encoder(run: Path, random_init: bool = False, modality: str | None = None,
                 store: Path | None = None) -> RunEncoder:
    """The encoder of a run folder's last checkpoint (or a fresh one with ``random_init``).

    Args:
        run: A run folder (or checkpoint).
        random_init: An untrained encoder of the run's config instead: the baseline.
        modality: Which of a multi-modal run's encoders (``joint``, ``motion``, ``bone``);
            None for the method's default (joint).
        store: Evaluate on this store instead of the one the run recorded.

    Raises:
        FileNotFoundError: no checkpoint in ``run``.
        ValueError: the run's method has no evaluable encoder, has no such modality, or
            its checkpoint does not fit the config.
    """
    ckpt = load_checkpoint(run)
    method = ckpt.get("method")
    entry = METHODS.get(method)
    if entry is None or entry.encoder_recipe is None:
        raise ValueError(f"{run}: runs of method {method!r} have no encoder the protocols can evaluate")
    config = ckpt["config"]
    if store is not None:
        config = {**config, "data": {**config["data"], "store": str(Path(store).expanduser().resolve())}}
    recipe = entry.encoder_recipe(config, modality)
    torch.manual_seed(recipe.finetune.run.seed)
    encoder = recipe.build_encoder(open_store(recipe.finetune.data.store), None if random_init else ckpt["model"],
                                   f"{run} ({method})")  # fmt: skip
    return RunEncoder(encoder, recipe, Path(run))


def _datasets(enc: RunEncoder, store: Path, train_aug: bool) -> tuple[SkeletonDataset, SkeletonDataset]:
    data = enc.config.data
    return (enc.recipe.dataset(store, data.protocol, data.train_part, train=train_aug),
            enc.recipe.dataset(store, data.protocol, data.test_part, train=False))


def evaluate_features(enc: RunEncoder, protocol_name: str, device: torch.device, **kwargs: Any) -> dict[str, Any]:
    """``linear`` or ``knn`` on the run's own store and split."""
    cfg, key = enc.config, enc.recipe.input_key
    train, test = _datasets(enc, Path(cfg.data.store), train_aug=False)
    tx, ty = extract_features(enc.encoder, train, device, key=key)
    vx, vy = extract_features(enc.encoder, test, device, key=key)
    items = np.arange(len(test))
    if protocol_name == "knn":
        k = kwargs.get("k", 1)
        class_scores, kind = knn_class_scores(tx, ty, vx, train.num_classes, k=k)
        return {"top1": knn_accuracy(tx, ty, vx, vy, k=k), "k": k, "train": len(train), "test": len(test),
                "scores": scores_of_dataset(test, items, vy.numpy(), class_scores.numpy(), kind)}
    standardize, protocol = kwargs.get("standardize", False), enc.recipe.linear
    epochs = kwargs.get("epochs") or protocol.epochs
    views = None
    if protocol.train_view == "train":  # the reference's training crops, redrawn every epoch
        augmented = enc.recipe.dataset(Path(cfg.data.store), cfg.data.protocol, cfg.data.train_part, train=True)

        def views(epoch: int) -> torch.Tensor:
            augmented.set_epoch(epoch)
            return extract_features(enc.encoder, augmented, device, key=key)[0]

        tx = views(0)
    elif protocol.train_view != "test":
        raise ValueError(f"linear protocol train_view must be test or train, got {protocol.train_view!r}")
    result, logits = linear_probe_logits(tx, ty, vx, vy, train.num_classes, epochs=epochs, lr=protocol.lr,
                                         milestones=protocol.milestones, seed=cfg.run.seed, standardize=standardize,
                                         optimizer=protocol.optimizer, weight_decay=protocol.weight_decay,
                                         train_views=views)  # fmt: skip
    return {**result, "epochs": epochs, "lr": protocol.lr, "optimizer": protocol.optimizer,
            "train_view": protocol.train_view, "standardize": standardize, "train": len(train), "test": len(test),
            "scores": scores_of_dataset(test, items, vy.numpy(), logits.numpy())}


class ProtocolInterrupted(RuntimeError):
    """A finetuning protocol stopped by a signal; its checkpoint is kept and no result is written.

    Attributes:
        signal: The signal's number (the command exits with 128 + it).
        out: The finetuning's folder, which the same command continues.
    """

    def __init__(self, signum: int, out: Path):
        name = signal.Signals(signum).name if signum else "its step limit"
        super().__init__(f"{out}: finetuning stopped by {name}; no result is written; its checkpoint is kept: "
                         f"run the same command again to continue it")  # fmt: skip
        self.signal, self.out = signum, Path(out)


def _continued(out: Path, cfg: Any, ctx: Context) -> Path | None:
    """``out`` when it holds an interrupted finetuning of this very config (to resume); else None, ``out`` cleared.

    A finished finetuning, or one of another config (other epochs, store, fraction), is an
    earlier result this call replaces: its folder is removed so that the new one starts over.
    """
    if not (out / "checkpoints" / "last.pt").exists():
        return None
    if not (out / "summary.json").exists() and load_checkpoint(out).get("config") == to_dict(cfg):
        return out
    barrier()  # every rank has looked before rank 0 removes it
    if ctx.is_main:
        shutil.rmtree(out)
    barrier()
    return None


def finetune(enc: RunEncoder, ctx: Context, out: Path, store: Path | None = None, fraction: float = 1.0,
             subset_seed: int = 0, epochs: int | None = None, transfer: bool = False) -> dict[str, Any]:
    """Encoder + linear head trained end to end; optionally on a fraction or another store (``transfer``).

    ``out`` holds the finetuning (checkpoints, metrics, scores). A finetuning stopped by
    SIGTERM or SIGINT raises :class:`ProtocolInterrupted` after its checkpoint; the same call
    again continues it. Any other earlier content of ``out`` is replaced.
    """
    cfg = dataclasses.replace(enc.recipe.transfer if transfer and enc.recipe.transfer is not None else enc.config)
    if epochs is not None:
        cfg.run = dataclasses.replace(cfg.run, epochs=epochs)
    store = Path(store or cfg.data.store)
    cfg.data = dataclasses.replace(cfg.data, store=str(store))
    train, test = _datasets(enc, store, train_aug=True)
    if fraction < 1.0:
        train = train.subset(balanced_subset(train.labels, fraction, subset_seed))
    encoder = enc.encoder
    method = Supervised(encoder, train.num_classes, cfg.model.dropout, input_key=enc.recipe.input_key)
    trainer = Trainer(method, train, test, cfg, out, ctx, resume=_continued(out, cfg, ctx), collate_fn=collate,
                      continue_with="run the same command again to continue")  # fmt: skip
    summary = trainer.fit()
    if summary.get("interrupted"):
        raise ProtocolInterrupted(int(summary.get("signal", 0)), out)
    return {"top1": summary.get("top1"), "top5": summary.get("top5"), "epochs": cfg.run.epochs,
            "train": len(train), "test": len(test), "scores": trainer.final_scores}


def write_results(run: Path, protocol: str, results: dict[str, Any]) -> Path:
    """Write ``RUN/results/<protocol>.json``; per-sample scores go beside it.

    A ``scores`` entry (:class:`~actionkit.results.Scores`, or a list of them, one per
    repeat) is taken out of ``results``, written to ``<protocol>.scores.npz`` (repeats:
    ``<protocol>-r<i>.scores.npz``), and its mean-class and per-class accuracy are added
    to the results (``mean_class`` a list for repeats).
    """
    path = Path(run) / "results" / f"{protocol}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    scores = results.pop("scores", None)
    if isinstance(scores, Scores):
        save_scores(scores, scores_path(path))
        figures = summarize(scores)
        results.update(mean_class=figures["mean_class"], per_class=figures["per_class"])
        results.setdefault("top5", figures["top5"])
    elif scores:
        for i, s in enumerate(scores):
            if s is not None:
                save_scores(s, path.with_name(f"{protocol}-r{i}.scores.npz"))
        results["mean_class"] = [summarize(s)["mean_class"] for s in scores if s is not None]
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


@dataclasses.dataclass
class EvalOptions:
    """Options of ``actionkit eval`` (each protocol reads the ones it needs)."""

    random_init: bool = False
    k: int = 1
    epochs: int | None = None
    fraction: float = 0.01
    repeats: int = 5
    target: Path | None = None
    standardize: bool = False
    modality: str | None = None
    align: bool = False
    store: Path | None = None


#: The two encoders the feature-alignment module fuses (ASMa's f_theta and f_phi).
ALIGNED_ENCODERS = ("theta", "phi")


def _load_aligned_pair(run: Path, random_init: bool, modality: str, store: Path | None = None) -> RunEncoder:
    try:
        return load_encoder(run, random_init=random_init, modality=modality, store=store)
    except ValueError as exc:
        raise ValueError(f"--align needs a run with the two encoders {' and '.join(ALIGNED_ENCODERS)} "
                         f"(an asma run): {exc}") from None  # fmt: skip


def load_finetuned(enc: RunEncoder, modality: str | None) -> RunEncoder:
    """``enc`` with the weights ``eval finetune`` left in its encoder (for ASMa's combined fine-tuning)."""
    store = open_store(enc.config.data.store)
    return RunEncoder(enc.recipe.build_finetuned(store, enc.run, modality), enc.recipe, enc.run)


def evaluate_aligned(enc: RunEncoder, device: torch.device, random_init: bool = False,
                     epochs: int | None = None, standardize: bool = False, combined: bool = False) -> dict[str, Any]:
    """``linear --align``: both encoders frozen, the alignment module and classifier trained.

    Args:
        enc: The run's first aligned encoder (f_theta); f_phi is loaded beside it and
            fed the same samples.
        standardize: z-score each encoder's features first (a fair untrained baseline).
            The module is then saved beside the plain one (``...-standardized.pt``), which
            stays the one ``asma-distill`` reads as its teacher.
        combined: ``finetune --align``, ASMa's combined fine-tuning: the two encoders as
            ``eval finetune`` left them (``--modality phi`` for f_phi), the module trained
            with the recipe's ``combined`` protocol (50 epochs, lr 1e-4) and saved in
            ``eval/finetune-align/`` (ASMa-Distill's fine-tuned teacher).

    The test part's logits, labels and store indices are saved beside the module
    (``test-scores.pt``): 3s-ASMa fuses the joint, motion and bone runs' scores.

    Raises:
        ValueError: The run has no f_theta / f_phi pair (only ASMa runs have).
        FileNotFoundError: ``combined`` before both encoders were fine-tuned.
    """
    run, cfg = enc.run, enc.config
    phi = _load_aligned_pair(run, random_init, ALIGNED_ENCODERS[1], Path(cfg.data.store))
    if combined:
        enc, phi = load_finetuned(enc, None), load_finetuned(phi, ALIGNED_ENCODERS[1])
    train_set, test_set = _datasets(enc, Path(cfg.data.store), train_aug=False)
    key = enc.recipe.input_key
    (t_theta, t_y), (v_theta, v_y) = (extract_features(enc.encoder, d, device, key=key, per_frame=True)
                                      for d in (train_set, test_set))  # fmt: skip
    t_phi, v_phi = (extract_features(phi.encoder, d, device, key=key, per_frame=True)[0]
                    for d in (train_set, test_set))  # fmt: skip
    protocol = (enc.recipe.combined or enc.recipe.linear) if combined else enc.recipe.linear
    result, module = train_alignment((t_theta, t_phi, t_y), (v_theta, v_phi, v_y), train_set.num_classes, protocol,
                                     epochs=epochs, seed=cfg.run.seed, device=device,
                                     standardize=standardize)  # fmt: skip
    saved = alignment_path(run, random_init, combined)
    if standardize:
        saved = saved.with_name(saved.stem + "-standardized.pt")
    saved.parent.mkdir(parents=True, exist_ok=True)
    tmp = saved.with_suffix(".tmp")
    torch.save({"state_dict": module.state_dict(), "dim": module.dim, "num_classes": train_set.num_classes,
                "num_heads": module.num_heads, "top1": result["top1"], "standardized": standardize}, tmp)  # fmt: skip
    tmp.replace(saved)
    # the module was trained on standardised features when asked: score the test part alike
    test_pair = standardize_pair(t_theta, t_phi, v_theta, v_phi)[2:] if standardize else (v_theta, v_phi)
    logits = classifier_logits(module, test_pair, device=device)
    torch.save({"logits": logits, "labels": v_y, "sample_ids": torch.from_numpy(test_set.sample_ids.copy())},
               saved.with_name(saved.stem + "-test-scores.pt"))
    result["scores"] = scores_of_dataset(test_set, np.arange(len(test_set)), v_y.numpy(), logits.numpy())
    return {**result, "epochs": epochs or protocol.epochs, "lr": protocol.lr, "optimizer": protocol.optimizer,
            "align": True, "standardize": standardize, "alignment": str(saved), "train": len(train_set),
            "test": len(test_set)}


def _linear(enc: RunEncoder, ctx: Context, opts: EvalOptions) -> dict[str, Any]:
    if opts.align:
        return evaluate_aligned(enc, ctx.device, random_init=opts.random_init, epochs=opts.epochs,
                                standardize=opts.standardize)
    return evaluate_features(enc, "linear", ctx.device, epochs=opts.epochs, standardize=opts.standardize)


def _knn(enc: RunEncoder, ctx: Context, opts: EvalOptions) -> dict[str, Any]:
    return evaluate_features(enc, "knn", ctx.device, k=opts.k)


def _finetune(enc: RunEncoder, ctx: Context, opts: EvalOptions) -> dict[str, Any]:
    if opts.align:
        return evaluate_aligned(enc, ctx.device, epochs=opts.epochs, standardize=opts.standardize, combined=True)
    return finetune(enc, ctx, finetuned_path(enc.run, opts.modality), epochs=opts.epochs)


def _semi(enc: RunEncoder, ctx: Context, opts: EvalOptions) -> dict[str, Any]:
    initial = {k: v.clone() for k, v in enc.encoder.state_dict().items()}
    scores, per_sample = [], []
    for r in range(opts.repeats):
        enc.encoder.load_state_dict(initial)
        out = enc.run / "eval" / f"semi-{opts.fraction:g}-{r}"
        result = finetune(enc, ctx, out, fraction=opts.fraction, subset_seed=r, epochs=opts.epochs)
        scores.append(result["top1"])
        per_sample.append(result["scores"])
    return {"top1_mean": float(np.mean(scores)), "top1_std": float(np.std(scores)), "top1": scores,
            "fraction": opts.fraction, "repeats": opts.repeats, "scores": per_sample}


def _transfer(enc: RunEncoder, ctx: Context, opts: EvalOptions) -> dict[str, Any]:
    if opts.target is None:
        raise ValueError("transfer needs --target STORE (e.g. data/pkummd2.zarr)")
    return {**finetune(enc, ctx, enc.run / "eval" / "transfer", store=opts.target, epochs=opts.epochs,
                       transfer=True),
            "target": str(opts.target)}


#: Protocol name -> function(encoder, context, options) -> results.
PROTOCOLS: dict[str, Callable[[RunEncoder, Context, EvalOptions], dict[str, Any]]] = {
    "linear": _linear,
    "knn": _knn,
    "finetune": _finetune,
    "semi": _semi,
    "transfer": _transfer,
}


def run_protocol(protocol: str, run: Path, ctx: Context, opts: EvalOptions) -> tuple[dict[str, Any], Path]:
    """Run one protocol on a run folder's encoder; write and return its results.

    Raises:
        KeyError: an unknown protocol (the message lists them).
    """
    if protocol not in PROTOCOLS:
        raise KeyError(f"unknown protocol {protocol!r}; protocols: {', '.join(PROTOCOLS)}, and test for video "
                       "runs (run_test_protocol)")  # fmt: skip
    if opts.align and (protocol not in ("linear", "finetune") or opts.modality or
                       (protocol == "finetune" and opts.random_init)):
        raise ValueError("--align fuses both encoders: use it with linear (frozen pre-trained encoders) or "
                         "finetune (ASMa's combined fine-tuning, after `eval finetune RUN` and "
                         "`eval finetune RUN --modality phi`), without --modality or --random-init")  # fmt: skip
    if opts.align:
        enc = _load_aligned_pair(Path(run), opts.random_init, ALIGNED_ENCODERS[0], opts.store)
    else:
        enc = load_encoder(Path(run), random_init=opts.random_init, modality=opts.modality, store=opts.store)
    results = PROTOCOLS[protocol](enc, ctx, opts)
    results["encoder"] = "random initialisation" if opts.random_init else str(run)
    results["modality"] = enc.recipe.derived or enc.recipe.stream
    name = protocol + (f"-{opts.modality}" if opts.modality else "") + ("-aligned" if opts.align else "")
    name += "-standardized" if protocol == "linear" and opts.standardize else ""
    name += "-random-init" if opts.random_init else ""
    return results, write_results(Path(run), name, results)


def run_test_protocol(run: Path, ctx: Context, modalities: tuple[str, ...] | None = None,
             batch_size: int | None = None, workers: int | None = None,
             store: Path | None = None) -> tuple[dict[str, Any], Path]:
    """A run's test protocol on its last checkpoint (``actionkit eval test``); writes ``RUN/results/test*.json``.

    Args:
        run: The run folder (or a checkpoint file in it).
        ctx: The device to test on.
        modalities: Test with these modality networks only (default: all of the run's).
        batch_size: Videos per batch (default: the run's ``data.eval_batch_size``).
        workers: Loader workers (default: the run's).
        store: Test on this store instead of the one the run recorded.

    Returns:
        The results and the file they were written to (``test.json``, or
        ``test-rgb+depth.json`` for a subset).

    Raises:
        ValueError: The run's method has neither a video test protocol nor a classifier of its own
            (see :func:`~actionkit.trainers.classifier_test.run_classifier_test`), or a modality it did not
            train.
    """
    path = Path(run)
    ckpt_path = path / "checkpoints" / "last.pt" if path.is_dir() else path
    ckpt = load_checkpoint(ckpt_path)
    entry = get_method(ckpt["method"])
    if entry.test_set is None:  # a skeleton classifier (supervised): its own test part, with per-sample scores
        from actionkit.trainers.classifier_test import run_classifier_test

        if modalities:
            raise ValueError(f"{run}: a {ckpt['method']} run has one network and no video modalities; "
                             f"leave out --modalities")

        results = run_classifier_test(ckpt_path, ckpt, entry, ctx, batch_size, store)
        return results, write_results(ckpt_path.parent.parent, "test", results)
    cfg = from_dict(entry.config, ckpt["config"])
    if store is not None:
        cfg.data.store = str(Path(store).expanduser().resolve())
    method, _, _ = entry.build(cfg)
    method.load_state_dict(ckpt["model"])
    trained = tuple(getattr(method, "modalities", ()))
    chosen = tuple(modalities) if modalities else trained
    unknown = [m for m in chosen if m not in trained]
    if unknown:
        raise ValueError(f"{run}: the run trained {', '.join(trained)}; it has no {', '.join(unknown)} network")
    dataset = entry.test_set(cfg, chosen)
    batch = batch_size or getattr(cfg.data, "eval_batch_size", 1) or 1
    nworkers = cfg.data.workers if workers is None else workers
    loader = DataLoader(dataset, batch_size=batch, shuffle=False, num_workers=nworkers,
                        multiprocessing_context=getattr(dataset, "worker_context", None) if nworkers else None,
                        worker_init_fn=getattr(dataset, "worker_init", None) if nworkers else None)
    method.to(ctx.device).eval()
    results: dict[str, Any] = dict(method.evaluate(loader, ctx.device))
    results.update({"modalities": list(chosen), "videos": len(dataset), "checkpoint": str(ckpt_path),
                    "epoch": ckpt["state"]["epoch"]})
    name = "test" + (f"-{'+'.join(chosen)}" if modalities else "")
    return results, write_results(ckpt_path.parent.parent, name, results)
