"""``actionkit export STORE --format F --out PATH``: a store in the files another project's loader reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from actionkit.cli.display import console, err_console, fail, human_bytes


def _names(value: str | None) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


def export_command(
    store: Annotated[Path, typer.Argument(help="A store, e.g. data/ntu60.zarr.")],
    format: Annotated[str, typer.Option(
        "--format", "-f", help="pyskl, stgcn, ctrgcn, sgn (skeleton stores); rawframes, videolist (video stores).")],
    out: Annotated[Path, typer.Option(help="Where to write: the .pkl file for pyskl, a folder for the others.")],
    protocol: Annotated[Optional[str], typer.Option(
        help="Split protocol(s), comma-separated (default: all of the store's).")] = None,
    parts: Annotated[Optional[str], typer.Option(
        help="Parts of each protocol, comma-separated (default: all; ctrgcn and sgn: train,test).")] = None,
    stream: Annotated[str, typer.Option(help="Skeleton stream: joint, motion or bone.")] = "joint",
    normalize: Annotated[str, typer.Option(
        help="Load-time normalisation applied first (none, agcn, aimclr, pyskl, ctrgcn, ctrgcn_ucla); "
             "agcn loops each body into the padding as 2s-AGCN's data_gen.")] = "none",
    frames: Annotated[Optional[int], typer.Option(
        help="Fixed-length formats: resample every sample to N evenly spaced frames.")] = None,
    pad: Annotated[Optional[int], typer.Option(
        help="Fixed-length formats: zero-pad every sample to N frames, cutting longer ones (default 300).")] = None,
) -> None:
    """Write a store in the format another project reads unmodified (PYSKL, st-gcn/2s-AGCN/CMD, CTR-GCN, SGN,
    MMAction2)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from actionkit import open_store
    from actionkit.export import FORMATS, ExportError, ExportOptions, export, samples_to_write
    from actionkit.store.errors import StoreError

    if format not in FORMATS:
        fail(f"--format {format!r} is not one of {', '.join(FORMATS)}")
    for flag, value in (("--frames", frames), ("--pad", pad)):
        if value is not None and value < 1:
            fail(f"{flag} must be at least 1, got {value}")
    if frames and pad:
        fail("give --frames (resample) or --pad (zero-pad), not both")
    options = ExportOptions(protocols=_names(protocol), parts=_names(parts), stream=stream, normalize=normalize,
                            frames=frames, pad=pad)
    try:
        opened = open_store(store)
        total = samples_to_write(opened, format, options)
        progress = Progress(TextColumn(f"[bold]export {format}[/]"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("samples"), TimeElapsedColumn(), console=err_console)
        with progress:
            task = progress.add_task(format, total=total)
            report = export(opened, format, out, options, lambda n: progress.advance(task, n))
    except (StoreError, ExportError, OSError, ValueError, ImportError) as exc:  # ImportError: a missing extra
        fail(str(exc))
    console.print(f"[bold green]exported[/] {report.samples:,} samples of {store} as {format} -> {report.out} "
                  f"({human_bytes(report.bytes)})", highlight=False)
    for f in report.files[:12]:
        console.print(f"  {f}", highlight=False)
    if len(report.files) > 12:
        console.print(f"  ... {len(report.files) - 12} more files", highlight=False)
    for note in report.notes:
        console.print(f"[yellow]note[/] {note}", highlight=False)


def register(app: typer.Typer) -> None:
    from actionkit.cli.commands import CONTEXT

    app.command("export", context_settings=CONTEXT, short_help="A store in another project's files.")(export_command)
