"""``actionkit import FORMAT FILE --out STORE``: another project's prepared data as a canonical store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

import_app = typer.Typer(help="Bring another project's prepared data into a canonical store.", no_args_is_help=True)


@import_app.command("pyskl")
def import_pyskl_command(
    file: Annotated[Path, typer.Argument(help="A PYSKL / MMAction2 skeleton annotation pickle (.pkl).")],
    out: Annotated[Path, typer.Option(help="The store to write, e.g. data/ntu60_pyskl.zarr.")],
    layout: Annotated[Optional[str], typer.Option(
        help="Skeleton layout: ntu25, kinect-v1-20, coco17, openpose18, or a layout.json. "
             "Default: guessed from the joints (25 3D, 20 3D, 17 2D, 18 2D).")] = None,
    classes: Annotated[Optional[Path], typer.Option(
        help="Class names, one a line (line i = label i). Default: the labels' numbers.")] = None,
    dataset: Annotated[str, typer.Option(help="The store's dataset id.")] = "pyskl",
    strict: Annotated[bool, typer.Option(help="Stop at the first unusable annotation instead of skipping it.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing store.")] = False,
) -> None:
    """A PYSKL annotation pickle (2D with scores, or 3D) -> a store with its splits. Read without running code."""
    from actionkit.cli.display import console, fail, prepare_progress, prepare_summary
    from actionkit.importers import UnsafePickleError, import_pyskl
    from actionkit.layouts import resolve_layout
    from actionkit.reports import PrepareError
    from actionkit.store.errors import StoreError

    if not file.exists():
        fail(f"{file}: no such file")
    try:
        chosen = resolve_layout(layout) if layout else None
        names = None
        if classes is not None:
            names = [line.strip() for line in classes.read_text().splitlines() if line.strip()]
        with prepare_progress(dataset) as (on_start, on_progress, _on_frames):
            report = import_pyskl(file, out, layout=chosen, classes=names, dataset=dataset, strict=strict,
                                  overwrite=overwrite, on_start=on_start, on_progress=on_progress)
    except UnsafePickleError as exc:
        fail(f"{file}: {exc}")
    except KeyError as exc:
        fail(str(exc.args[0]))
    except (OSError, ValueError, PrepareError, StoreError, EOFError) as exc:
        fail(f"{file}: {exc}" if str(file) not in str(exc) else str(exc))
    console.print(prepare_summary(report))


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import", short_help="Another project's prepared data as a store.")
