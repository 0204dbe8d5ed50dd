"""``actionkit info``, ``verify`` and ``show``: looking at a store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from actionkit.cli.commands import CONTEXT

StorePath = Annotated[Path, typer.Argument(help="A store, e.g. data/ntu60.zarr.", show_default=False, metavar="STORE")]


def info_command(store: StorePath) -> None:
    """Classes, streams, splits, counts, size and provenance of a store."""
    from actionkit import open_store
    from actionkit.cli.display import console, fail, info_table
    from actionkit.store.errors import StoreError
    from actionkit.store.inspect import summarize

    try:
        opened = open_store(store)
    except StoreError as exc:
        fail(str(exc))
    console.print(info_table(summarize(opened), opened.classes))


def verify_command(store: StorePath) -> None:
    """Check a store end to end: schema, offsets, splits, finiteness, checksums, derived streams."""
    from actionkit.cli.display import console, err_console
    from actionkit.store.inspect import verify_store

    report = verify_store(store)
    for check, problems in report.results:
        if not problems:
            console.print(f"[green]ok[/]   {check}", highlight=False, soft_wrap=True)
        for line in problems:
            err_console.print(f"[bold red]bad[/]  {line}", highlight=False, soft_wrap=True)
    for line in report.warnings:
        err_console.print(f"[yellow]warn[/] {line}", highlight=False, soft_wrap=True)
    if not report.ok:
        err_console.print(f"[bold red]not ok[/]: {store}: {len(report.problems)} problem(s) found", highlight=False,
                          soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"[bold green]ok[/]: {store} verified" + (" (with warnings)" if report.warnings else ""),
                  highlight=False, soft_wrap=True)


def show_command(
    store: Annotated[Path, typer.Argument(help="A store, e.g. data/nwucla.zarr or data/nwucla-rgbd.zarr.",
                                          show_default=False, metavar="STORE")],
    sample: Annotated[str, typer.Option(help="Sample index, or sample name.")] = "0",
    out: Annotated[Optional[Path], typer.Option(
        help="The file to write. Default: <sample name>.png (video, --sheet) or .gif / .mp4 (skeleton).")] = None,
    columns: Annotated[int, typer.Option(help="Frames shown per stream (video) or in the strip (--sheet).")] = 8,
    streams: Annotated[Optional[str], typer.Option(
        help="Video: streams to show, comma-separated (default: all). Skeleton: the stream drawn (joint).")] = None,
    format_: Annotated[str, typer.Option("--format", help="Skeleton: gif or mp4.")] = "gif",
    sheet: Annotated[bool, typer.Option("--sheet", help="Skeleton: a PNG strip of evenly spaced frames.")] = False,
) -> None:
    """Look at one sample: video stores as a PNG contact sheet (RGB, depth, colour-wheel flow, RGB difference);
    skeleton stores as an animation of the bodies from the front and the side (GIF / MP4), or a --sheet strip."""
    from actionkit import open_store
    from actionkit.cli.display import console, fail
    from actionkit.store.errors import StoreError
    from actionkit.video.sheet import contact_sheet, write_png

    try:
        opened = open_store(store)
    except StoreError as exc:
        fail(str(exc))
    names = opened.samples["name"].tolist()
    index = int(sample) if sample.lstrip("-").isdigit() else (names.index(sample) if sample in names else None)
    if index is None or not -len(names) <= index < len(names):
        fail(f"{store}: no sample {sample!r} ({len(names)} samples; give an index or a name)")
    index %= len(names)
    if opened.attrs.get("kind") == "skeleton":
        from actionkit.cli.show import show_skeleton

        show_skeleton(opened, index, out, format_, sheet, columns, streams or "joint")
        return
    try:
        image = contact_sheet(opened, index, columns, tuple(streams.split(",")) if streams else None)
        path = out or Path(f"{names[index]}.png")
        write_png(image, path)
    except (ValueError, KeyError, OSError) as exc:
        fail(str(exc))
    console.print(f"wrote {path} ({image.shape[1]}x{image.shape[0]}): sample {index} {names[index]}")


def register(app: typer.Typer) -> None:
    app.command("info", context_settings=CONTEXT, short_help="What a store holds.")(info_command)
    app.command("verify", context_settings=CONTEXT, short_help="Check a store end to end.")(verify_command)
    app.command("show", context_settings=CONTEXT,
                short_help="Look at a sample: video contact sheet, skeleton GIF / MP4 / strip.")(show_command)
