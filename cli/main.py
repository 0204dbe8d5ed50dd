"""The ``actionkit`` Typer application: commands only parse arguments and call the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from actionkit.cli.evaluate import eval_app
from actionkit.cli.prepare import prepare_command
from actionkit.cli.report import report_command
from actionkit.cli.train import train_command

app = typer.Typer(
    name="actionkit",
    help="Raw action-recognition downloads -> canonical Zarr stores -> trained, evaluated models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.command("prepare")(prepare_command)
app.command("train")(train_command)
app.add_typer(eval_app, name="eval")
app.command("report")(report_command)


@app.command("info")
def info_command(store: Annotated[Path, typer.Argument(help="A store, e.g. data/ntu60.zarr.")]) -> None:
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


@app.command("verify")
def verify_command(store: Annotated[Path, typer.Argument(help="A store, e.g. data/ntu60.zarr.")]) -> None:
    """Check a store end to end: schema, offsets, splits, finiteness, checksums, derived streams."""
    from actionkit.cli.display import console, err_console
    from actionkit.store.inspect import verify_store

    report = verify_store(store)
    for line in report.checked:
        console.print(f"[green]ok[/]  {line}", highlight=False)
    for line in report.problems:
        err_console.print(f"[bold red]bad[/] {line}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
    console.print(f"[bold green]{store} verified[/]")


@app.command("show")
def show_command(
    store: Annotated[Path, typer.Argument(help="A store, e.g. data/nwucla.zarr or data/nwucla-rgbd.zarr.")],
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


@app.command("demo")
def demo_command(
    out: Annotated[Optional[Path], typer.Option(help="The demo store. Default: $ACTIONKIT_DATA/demo.zarr.")] = None,
    samples_per_class: Annotated[int, typer.Option(help="Generated files per action class.")] = 8,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 0,
    train: Annotated[bool, typer.Option(help="Go on to a short supervised training run on the store.")] = True,
) -> None:
    """Generate a small NTU-format dataset, prepare it as NTU-60, show it, and train on it (no downloads)."""
    from actionkit import open_store
    from actionkit.cli.display import console, info_table, prepare_summary
    from actionkit.demo import run_demo
    from actionkit.sources.registry import data_root
    from actionkit.store.inspect import summarize

    store = out or data_root() / "demo.zarr"
    report = run_demo(store, samples_per_class=samples_per_class, seed=seed)
    console.print(prepare_summary(report))
    opened = open_store(store)
    console.print(info_table(summarize(opened), opened.classes))
    if not train:
        return
    from actionkit.trainers.registry import resolve_config
    from actionkit.trainers.registry import train as run_training

    run = data_root().parent / "runs" / "supervised" / "demo" if out is None else store.parent / "demo-run"
    cfg = resolve_config("supervised", "demo", [], str(store))
    if run.exists():  # the demo's own run folder: every demo starts afresh
        import shutil

        shutil.rmtree(run)
    console.print(f"[bold]training[/] {cfg.model.backbone} on {store} ({cfg.data.protocol} split, "
                  f"{cfg.run.epochs} epochs) -> {run}")
    summary = run_training("supervised", cfg, out=run)
    console.print(f"[bold green]demo done[/]: test top-1 {summary['top1']:.3f} on the {cfg.data.protocol} test part "
                  f"after {summary['epochs']} epochs ({summary['seconds']:.0f} s); run folder {run}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
