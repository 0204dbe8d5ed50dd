"""``actionkit demo``: a generated NTU-format dataset, prepared, shown and trained on (no downloads)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from actionkit.cli.commands import CONTEXT


def demo_command(
    out: Annotated[Optional[Path], typer.Option(help="The demo store. Default: $ACTIONKIT_DATA/demo.zarr.")] = None,
    samples_per_class: Annotated[int, typer.Option(help="Generated files per action class.")] = 8,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 0,
    train: Annotated[bool, typer.Option(help="Go on to a short supervised training run on the store.")] = True,
) -> None:
    """Generate a small NTU-format dataset, prepare it as NTU-60, show it, and train on it (no downloads)."""
    import resource
    import time

    started = time.perf_counter()
    if train:
        import torch  # noqa: F401 (before the prepare: without the [train] extra, fail first, naming it)
    from actionkit import open_store
    from actionkit.cli.display import console, info_table, prepare_summary
    from actionkit.demo import run_demo
    from actionkit.sources.registry import data_root
    from actionkit.store.inspect import summarize

    store = out or data_root() / "demo.zarr"
    # One parsing process: for a hundred small files, starting a pool costs more than it saves.
    report = run_demo(store, samples_per_class=samples_per_class, seed=seed, workers=1)
    console.print(prepare_summary(report))
    opened = open_store(store)
    console.print(info_table(summarize(opened), opened.classes))
    if train:
        _train(store, out is None, opened)
    wall = time.perf_counter() - started
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    console.print(f"the demo took {wall:.0f} s ({cpu:.0f} s of CPU time)", highlight=False)


def _train(store: Path, default_place: bool, opened: Any) -> None:
    """The ``demo`` preset on the demo store; prints its test top-1 beside chance (1 / classes in the test part)."""
    import shutil

    import torch

    from actionkit.cli.display import console
    from actionkit.sources.registry import data_root
    from actionkit.trainers.registry import resolve_config
    from actionkit.trainers.registry import train as run_training

    # One thread: the demo's 5-layer ST-GCN is too small to gain from a second one, and on a busy
    # machine two threads spin on each other (measured under load: 0.9 vs 0.2 CPU-s per step).
    torch.set_num_threads(1)
    run = data_root().parent / "runs" / "supervised" / "demo" if default_place else store.parent / "demo-run"
    cfg = resolve_config("supervised", "demo", [], str(store))
    if run.exists():  # the demo's own run folder: every demo starts afresh
        shutil.rmtree(run)
    classes = len(set(opened.samples["label"][opened.split(cfg.data.protocol, cfg.data.test_part)].tolist()))
    console.print(f"[bold]training[/] {cfg.model.backbone} on {store} ({cfg.data.protocol} split, "
                  f"{cfg.run.epochs} epochs) -> {run}", highlight=False)
    summary = run_training("supervised", cfg, out=run)
    console.print(f"[bold green]demo done[/]: test top-1 {100 * summary['top1']:.1f}% on the {cfg.data.protocol} test "
                  f"part ({classes} classes: chance {100 / classes:.1f}%) after {summary['epochs']} epochs "
                  f"({summary['seconds']:.0f} s of training); run folder {run}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("demo", context_settings=CONTEXT, short_help="Generate, prepare and train on a small dataset.")(
        demo_command)
