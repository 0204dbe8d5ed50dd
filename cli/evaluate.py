"""``actionkit eval PROTOCOL RUN``: evaluation protocols over a run's encoder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from actionkit.cli.display import console, fail


def eval_command(
    protocol: Annotated[str, typer.Argument(help="linear, knn, finetune, semi, transfer; test (video methods).")],
    run: Annotated[Path, typer.Argument(help="A run folder (runs/<method>/<time>).")],
    random_init: Annotated[bool, typer.Option(
        help="Evaluate an untrained encoder of the run's config (the baseline).")] = False,
    k: Annotated[int, typer.Option(help="knn: neighbours.")] = 1,
    epochs: Annotated[Optional[int], typer.Option(
        help="linear/finetune/semi/transfer: epochs (default: the protocol's).")] = None,
    fraction: Annotated[float, typer.Option(help="semi: labelled fraction of the training part.")] = 0.01,
    repeats: Annotated[int, typer.Option(help="semi: repeats with different subsets.")] = 5,
    target: Annotated[Optional[Path], typer.Option(help="transfer: the store to finetune and test on.")] = None,
    modality: Annotated[Optional[str],
                        typer.Option(help="Encoder: joint, motion, bone (i2md); theta, phi (asma).")] = None,
    standardize: Annotated[bool, typer.Option(help="linear: z-score features with training statistics first.")] = False,
    align: Annotated[bool, typer.Option(help="linear: ASMa's feature-alignment module over both encoders.")] = False,
    modalities: Annotated[Optional[str], typer.Option(
        help="test: test with these modality networks only, e.g. rgb or rgb,depth.")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="test: videos per batch.")] = None,
    workers: Annotated[Optional[int], typer.Option(help="test: loader processes.")] = None,
) -> None:
    """Evaluate a run's encoder; prints the results and writes RUN/results/PROTOCOL.json."""
    from rich.table import Table

    from actionkit.store.errors import StoreError
    from actionkit.trainers.distributed import setup, teardown
    from actionkit.trainers.evaluation import EvalOptions, run_protocol

    opts = EvalOptions(random_init=random_init, k=k, epochs=epochs, fraction=fraction, repeats=repeats, target=target,
                       standardize=standardize, modality=modality, align=align)
    try:
        ctx = setup("auto")
        try:
            if protocol == "test":
                from actionkit.trainers.evaluation import run_test_protocol

                mods = tuple(m.strip() for m in modalities.split(",") if m.strip()) if modalities else None
                results, path = run_test_protocol(run, ctx, mods, batch_size, workers)
            else:
                results, path = run_protocol(protocol, run, ctx, opts)
        except BaseException:
            teardown(finished=False)
            raise
        teardown()
    except (KeyError, ValueError, FileNotFoundError, StoreError) as exc:
        fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    table = Table(title=f"{protocol} on {run}", show_header=False, title_justify="left")
    for key, value in results.items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
    console.print(f"written to {path}")
