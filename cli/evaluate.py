"""``actionkit eval PROTOCOL RUN``: evaluation protocols over a run's encoder."""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from actionkit.cli.display import console, fail
from actionkit.cli.fuse import fuse_command


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
                from actionkit.trainers.video_eval import run_test_protocol

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
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun only rank 0 speaks
        return
    table = Table(title=f"{protocol} on {run}", show_header=False, title_justify="left")
    for key, value in results.items():
        if key == "per_class":  # in the results file; `actionkit report` shows it as a table
            continue
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
    console.print(f"written to {path}")


#: The protocols ``eval_command`` runs; each is a subcommand of ``actionkit eval`` beside ``fuse``.
PROTOCOL_NAMES = ("linear", "knn", "finetune", "semi", "transfer", "test")

eval_app = typer.Typer(help="Evaluate a run (one subcommand per protocol), or fuse several evaluations.",
                       no_args_is_help=True)
eval_app.command("fuse")(fuse_command)


def _protocol_command(name: str):
    """``eval_command`` with its protocol fixed to ``name`` (the signature Typer reads lacks ``protocol``)."""

    def command(**kwargs) -> None:
        eval_command(name, **kwargs)

    signature = inspect.signature(eval_command, eval_str=True)
    command.__signature__ = signature.replace(parameters=[p for p in signature.parameters.values()
                                                          if p.name != "protocol"])  # fmt: skip
    command.__doc__ = f"The {name} protocol: " + (eval_command.__doc__ or "")
    return command


for _name in PROTOCOL_NAMES:
    eval_app.command(_name)(_protocol_command(_name))
