"""``actionkit report RUN [RUN...] --out DIR``: curves, confusion matrix and per-class table of runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from actionkit.cli.display import console, err_console, fail


def _names(runs: list[Path]) -> list[str]:
    """Short distinct names: the folder names, with their parents when two coincide."""
    names = [r.resolve().name for r in runs]
    if len(set(names)) < len(names):
        names = [f"{r.resolve().parent.name}/{r.resolve().name}" for r in runs]
    return names


def class_markdown(name: str, rows: list[dict[str, Any]]) -> str:
    """A markdown table of every class, worst first."""
    lines = [f"## {name}", "", "| class | samples | accuracy | most often predicted instead | share |",
             "|---|---:|---:|---|---:|"]
    for r in rows:
        instead = f"{r['confused_with']}" if r["confused_with"] else ""
        share = f"{100 * r['confused_share']:.1f}%" if r["confused_with"] else ""
        lines.append(f"| {r['index']} {r['class']} | {r['samples']} | {100 * r['accuracy']:.1f}% | {instead} | "
                     f"{share} |")
    return "\n".join(lines) + "\n"


def report_command(
    runs: Annotated[list[Path], typer.Argument(help="Run folders; their curves are overlaid.", show_default=False)],
    out: Annotated[Path, typer.Option(help="Folder for curves.png, confusion.png and classes.md.")] = Path("report"),
    show: Annotated[int, typer.Option(help="Best and worst classes listed in the terminal.")] = 5,
    scores: Annotated[Optional[Path], typer.Option(
        help="The scores file for the confusion matrix (default: the first run's test scores).")] = None,
) -> None:
    """Figures of runs: curves.png (loss, lr, train/test accuracy), confusion.png and a per-class table."""
    from rich.table import Table

    from actionkit.results import find_scores, load_scores
    from actionkit.results.figures import confusion_figure, curves_figure, read_metrics
    from actionkit.results.metrics import class_table

    names = _names(runs)
    try:
        records = {name: read_metrics(run) for name, run in zip(names, runs)}
        written = [curves_figure(records, out / "curves.png")]
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    markdown = []
    sources = [(scores.name.removesuffix(".npz"), scores)] if scores is not None else list(zip(names, runs))
    for i, (name, source) in enumerate(sources):
        try:
            s = load_scores(find_scores(source))
        except (ValueError, FileNotFoundError) as exc:
            err_console.print(f"[yellow]note:[/] {exc}; no confusion matrix for {name}", highlight=False)
            continue
        target = out / ("confusion.png" if i == 0 else f"confusion-{name.replace('/', '-')}.png")
        written.append(confusion_figure(s, target, title=name))
        rows = class_table(s)
        markdown.append(class_markdown(name, rows))
        table = Table(title=f"{name}: worst and best of {len(rows)} classes", title_justify="left")
        for col in ("class", "samples", "accuracy", "most often predicted instead"):
            table.add_column(col, justify="right" if col in ("samples", "accuracy") else "left")
        shown = rows if len(rows) <= 2 * show else rows[:show] + [None] + rows[-show:]
        for r in shown:
            if r is None:
                table.add_row("...", "", "", "")
                continue
            instead = f"{r['confused_with']} ({100 * r['confused_share']:.0f}%)" if r["confused_with"] else ""
            table.add_row(f"{r['index']} {r['class']}", str(r["samples"]), f"{100 * r['accuracy']:.1f}%", instead)
        console.print(table)
    if markdown:
        (out / "classes.md").write_text("# Per-class accuracy, worst first\n\n" + "\n".join(markdown))
        written.append(out / "classes.md")
    console.print("wrote " + ", ".join(str(p) for p in written))


def register(app: typer.Typer) -> None:
    app.command("report", short_help="Curves, confusion matrix and per-class table of runs.")(report_command)
