"""``actionkit eval test`` on a run that trained a classifier on a skeleton store (``supervised``).

The run's own model (backbone and classifier, not a re-trained probe) from its last
checkpoint, on the test part of its config, in store order: the same figures as the
end-of-training test, and its per-sample scores (``RUN/results/test.scores.npz``). Runs
that finished before scores were written get their scores this way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch.utils.data import DataLoader

from actionkit.data import collate
from actionkit.trainers.config import from_dict
from actionkit.trainers.distributed import Context


def run_classifier_test(ckpt_path: Path, ckpt: dict[str, Any], entry: Any, ctx: Context,
                        batch_size: int | None = None, store: Path | None = None) -> dict[str, Any]:
    """Test a run's own classifier on its test part (the caller writes ``RUN/results/test.json`` and its scores).

    Args:
        ckpt_path: The checkpoint (``RUN/checkpoints/last.pt``).
        ckpt: Its loaded content.
        entry: The run method's :class:`~actionkit.trainers.registry.MethodEntry`.
        ctx: The device to test on.
        batch_size: Samples per batch (default: the larger of the run's batch and 64).
        store: Test on this store instead of the one the run recorded.

    Raises:
        ValueError: the method's evaluation gives no per-sample scores (it has no classifier
            of its own: evaluate its encoder with linear, knn or finetune).
    """
    cfg = from_dict(entry.config, ckpt["config"])
    if store is not None:
        cfg.data.store = str(Path(store).expanduser().resolve())
    method, _, test_set = entry.build(cfg)
    method.load_state_dict(ckpt["model"])
    method.to(ctx.device).eval()
    batch = batch_size or max(int(getattr(cfg.data, "batch_size", 64)), 64)
    loader = DataLoader(test_set, batch_size=batch, shuffle=False, num_workers=0, collate_fn=collate)
    results: dict[str, Any] = dict(method.evaluate(loader, ctx.device))
    if "scores" not in results:
        raise ValueError(f"{ckpt_path}: method {ckpt['method']} has no classifier of its own to test; "
                         f"evaluate its encoder with linear, knn or finetune")  # fmt: skip
    results.update({"checkpoint": str(ckpt_path), "epoch": ckpt["state"]["epoch"], "test": len(test_set)})
    return results
