"""The tiny settings of the video trainers' tests (``--set`` overrides of their ``motion-cpu`` presets).

A module of its own so that the per-method tests and the shared resume test use the same.
"""

from __future__ import annotations

from typing import Any

from actionkit.trainers.registry import resolve_config

TINY: dict[str, list[str]] = {
    "dmcl": ["model.width=0.125", "data.crop=24", "data.max_shift=2", "data.segments=4", "data.batch_size=4",
             "data.eval_batch_size=4", "data.workers=0", "data.test_clips=2", "run.epochs=2", "run.eval_every=1",
             "run.log_every=1", "optim.warmup_epochs=0"],
    "cmpl": ["model.primary_width=0.125", "model.aux_width=0.0625", "data.crop=24", "data.test_size=24",
             "data.primary_frames=4", "data.primary_stride=2", "data.aux_frames=8", "data.aux_stride=1",
             "data.labeled_per_class=1", "data.mu=2", "data.batch_size=2", "data.eval_batch_size=4",
             "data.workers=0", "data.test_clips=2", "run.epochs=1", "run.log_every=1", "optim.warmup_epochs=0",
             "loss.tau=0.2"],
    "mml": ["model.width=0.0625", "data.crop=24", "data.segments=2", "data.batch_size=4", "data.eval_batch_size=4",
            "data.workers=0", "run.epochs=1", "run.eval_every=1", "run.log_every=1", "optim.warmup_epochs=0",
            "data.test_views=uniform1+dense1"],
}  # fmt: skip


def tiny_config(method: str, store, *extra: str, variant: str | None = None, modalities: str | None = None) -> Any:
    """``method``'s ``motion-cpu`` preset with :data:`TINY`, then ``extra``, on ``store``."""
    return resolve_config(method, "motion-cpu", [*TINY[method], *extra], str(store), variant=variant,
                          modalities=modalities)  # fmt: skip
