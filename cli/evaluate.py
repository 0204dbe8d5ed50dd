"""``actionkit eval PROTOCOL RUN``: one subcommand per evaluation protocol, each with its own options.

Another command module adds a protocol with ``eval_app.command("name")`` in its ``register``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from actionkit.cli.commands import CONTEXT, new_app
from actionkit.cli.display import console, fail

eval_app = new_app("Evaluate a run: `actionkit eval PROTOCOL RUN`; each protocol writes RUN/results/PROTOCOL.json.",
                   noun="protocol")

Run = Annotated[Path, typer.Argument(help="A run folder (runs/<method>/<time>).", show_default=False,
                                     metavar="RUN")]
Store = Annotated[Optional[Path], typer.Option(
    metavar="STORE", help="Evaluate on this store instead of the one the run recorded (e.g. the store moved).")]
RandomInit = Annotated[bool, typer.Option(
    "--random-init", help="Evaluate an untrained encoder of the run's config (the baseline).")]
Modality = Annotated[Optional[str], typer.Option(
    metavar="ENCODER",
    help="Which encoder of a multi-encoder run: joint, motion, bone (i2md); theta, phi (asma). Default: the "
         "method's (joint / theta).")]
Epochs = Annotated[Optional[int], typer.Option(metavar="N", help="Training epochs (default: the protocol's).")]


def _protocol(protocol: str, run: Path, **options: Any) -> None:
    """Run an encoder protocol and print its results."""
    from actionkit.trainers.evaluation import EvalOptions, run_protocol

    _evaluate(protocol, run, lambda ctx: run_protocol(protocol, run, ctx, EvalOptions(**options)))


def _evaluate(protocol: str, run: Path, call: Any) -> None:
    from rich.table import Table

    from actionkit.store.errors import StoreError
    from actionkit.trainers.distributed import setup, teardown
    from actionkit.trainers.evaluation import ProtocolInterrupted

    try:
        ctx = setup("auto")
        try:
            results, path = call(ctx)
        except BaseException:
            teardown(finished=False)
            raise
        teardown()
    except ProtocolInterrupted as exc:  # checkpoint kept, nothing written: the shell's convention
        fail(str(exc), code=128 + exc.signal if exc.signal else 1)
    except (KeyError, ValueError, FileNotFoundError, StoreError) as exc:
        fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun only rank 0 speaks
        return
    table = Table(title=f"{protocol} on {run}", show_header=False, title_justify="left")
    for key, value in results.items():
        if key == "per_class":  # in the results file; `actionkit report` shows it as a table
            continue
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
    console.print(f"written to {path}")


@eval_app.command("knn", context_settings=CONTEXT, short_help="kNN accuracy on frozen features.")
def knn_command(run: Run, k: Annotated[int, typer.Option(help="Neighbours (cosine similarity).")] = 1,
                modality: Modality = None, random_init: RandomInit = False, store: Store = None) -> None:
    """k-nearest-neighbour accuracy on the frozen encoder's features."""
    _protocol("knn", run, k=k, modality=modality, random_init=random_init, store=store)


@eval_app.command("linear", context_settings=CONTEXT, short_help="A linear classifier on frozen features.")
def linear_command(
    run: Run,
    epochs: Epochs = None,
    standardize: Annotated[bool, typer.Option(
        "--standardize", help="z-score the features with training statistics first.")] = False,
    align: Annotated[bool, typer.Option(
        "--align", help="ASMa's feature-alignment module over both encoders (asma runs; no --modality).")] = False,
    modality: Modality = None,
    random_init: RandomInit = False,
    store: Store = None,
) -> None:
    """A linear classifier on the frozen encoder's features."""
    _protocol("linear", run, epochs=epochs, standardize=standardize, align=align, modality=modality,
              random_init=random_init, store=store)


@eval_app.command("finetune", context_settings=CONTEXT, short_help="Finetune the encoder with a linear head.")
def finetune_command(
    run: Run,
    epochs: Epochs = None,
    align: Annotated[bool, typer.Option(
        "--align", help="ASMa's combined fine-tuning: the alignment module on both fine-tuned encoders (after "
                        "`eval finetune RUN` and `eval finetune RUN --modality phi`; no --modality).")] = False,
    modality: Modality = None,
    random_init: RandomInit = False,
    store: Store = None,
) -> None:
    """The encoder and a linear head trained end to end on the run's split.

    Stopped by Ctrl-C or SIGTERM, it keeps its checkpoint (in RUN/eval/) and writes no
    result; the same command continues it.
    """
    _protocol("finetune", run, epochs=epochs, align=align, modality=modality, random_init=random_init, store=store)


@eval_app.command("semi", context_settings=CONTEXT, short_help="Finetune on a labelled fraction.")
def semi_command(
    run: Run,
    fraction: Annotated[float, typer.Option(help="Labelled fraction of the training part.")] = 0.01,
    repeats: Annotated[int, typer.Option(help="Repeats with different labelled subsets.")] = 5,
    epochs: Epochs = None,
    modality: Modality = None,
    random_init: RandomInit = False,
    store: Store = None,
) -> None:
    """Finetuning on a labelled fraction of the training part, averaged over repeats.

    Stopped by Ctrl-C or SIGTERM, it keeps its checkpoint (in RUN/eval/) and writes no
    result; the same command continues it.
    """
    _protocol("semi", run, fraction=fraction, repeats=repeats, epochs=epochs, modality=modality,
              random_init=random_init, store=store)


@eval_app.command("transfer", context_settings=CONTEXT, short_help="Finetune and test on another store.")
def transfer_command(
    run: Run,
    target: Annotated[Path, typer.Option(help="The store to finetune and test on, e.g. data/pkummd2.zarr.")],
    epochs: Epochs = None,
    modality: Modality = None,
    random_init: RandomInit = False,
    store: Store = None,
) -> None:
    """Finetuning on another store (e.g. pre-trained on NTU-60, finetuned on PKU-MMD II).

    Stopped by Ctrl-C or SIGTERM, it keeps its checkpoint (in RUN/eval/) and writes no
    result; the same command continues it.
    """
    _protocol("transfer", run, target=target, epochs=epochs, modality=modality, random_init=random_init,
              store=store)


@eval_app.command("test", context_settings=CONTEXT,
                  short_help="The test of a run's own classifier (supervised) or video test (dmcl, mml, cmpl).")
def test_command(
    run: Run,
    modalities: Annotated[Optional[str], typer.Option(
        help="Test with these modality networks only, e.g. rgb or rgb,depth (default: all the run trained).")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Videos per batch (default: the run's).")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Loader processes (default: the run's).")] = None,
    store: Store = None,
) -> None:
    """The multi-view video test of a video method's run (dmcl, mml, cmpl), or a supervised run's own classifier on
    its test part; both write per-sample scores beside the results."""
    from actionkit.trainers.evaluation import run_test_protocol

    mods = tuple(m.strip() for m in modalities.split(",") if m.strip()) if modalities else None
    _evaluate("test", run, lambda ctx: run_test_protocol(run, ctx, mods, batch_size, workers, store=store))


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval", short_help="Evaluate a run (one subcommand per protocol).")
