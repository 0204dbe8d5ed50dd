"""Rich rendering shared by the commands: summary tables, progress, errors."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from actionkit.reports import PrepareReport

console = Console()
err_console = Console(stderr=True)


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def fail(message: str, code: int = 1) -> None:
    """Print an error paragraph and exit."""
    import typer

    from actionkit.cli.errors import say

    say(message)
    raise typer.Exit(code)


class FramesColumn(ProgressColumn):
    """Frames done and frames per second (video prepares, whose samples can take minutes each)."""

    def render(self, task: Task) -> Text:
        frames = task.fields.get("frames")
        if frames is None:
            return Text("")
        rate = frames / task.elapsed if task.elapsed else 0.0
        rate = f", {rate:,.{1 if rate < 10 else 0}f}/s" if task.elapsed else ""
        return Text(f"{frames:,} frames{rate}")


@contextmanager
def prepare_progress(dataset: str, *, frames: bool = False):
    """A progress bar; yields ``(on_start, on_progress, on_frames)`` callbacks for :mod:`actionkit.prepare`.

    Args:
        dataset: Shown before the bar.
        frames: Also count frames as the workers finish them (``on_frames`` of
            :func:`actionkit.prepare.prepare_video`).
    """
    progress = Progress(
        TextColumn(f"[bold]{dataset}[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("samples"),
        FramesColumn(), TimeElapsedColumn(), TimeRemainingColumn(), console=err_console, transient=False,
    )
    task = None

    def on_start(total: int, done: int) -> None:
        nonlocal task
        if done:
            err_console.print(f"resuming an interrupted prepare: {done} of {total} samples already done")
        task = progress.add_task(dataset, total=total, completed=done, **({"frames": 0} if frames else {}))

    def on_progress(n: int) -> None:
        progress.advance(task, n)

    def on_frames(n: int) -> None:
        if task is not None:
            progress.update(task, frames=progress.tasks[task].fields["frames"] + n)

    with progress:
        yield on_start, on_progress, on_frames


#: More skipped files than this are listed in a file beside the store, not on the screen.
SKIPPED_SHOWN = 50


def write_skipped_list(report: PrepareReport) -> Path | None:
    """When many files were skipped, list every one (path, tab, reason) in ``<store>.skipped.txt``.

    Returns:
        The file written, or None when the summary lists them all itself.
    """
    if len(report.skipped) <= SKIPPED_SHOWN:
        return None
    path = Path(report.out).with_name(Path(report.out).name + ".skipped.txt")
    path.write_text("".join(f"{s.path}\t{s.reason}\n" for s in report.skipped))
    return path


def print_skipped(report: PrepareReport, skipped_list: Path | None) -> None:
    """Every skipped file on its own unwrapped line (paths stay whole), or where they are listed."""
    if skipped_list is not None:
        console.print(f"skipped files: all {len(report.skipped):,} listed in {skipped_list}", highlight=False,
                      soft_wrap=True)
        return
    for s in report.skipped:
        console.print(f"skipped {s.path}: {s.reason}", highlight=False, soft_wrap=True, markup=False)


def prepare_summary(report: PrepareReport, skipped_list: Path | None = None) -> Table:
    table = Table(title=f"prepared {report.dataset} -> {report.out}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("samples", f"{report.samples:,} ({report.frames:,} frames)")
    for protocol, parts in report.splits.items():
        table.add_row(f"split {protocol}", " / ".join(f"{part} {n:,}" for part, n in parts.items()))
    table.add_row("raw files", f"{report.raw_files:,}")
    for rule, n in report.excluded.items():
        table.add_row("excluded", f"{n:,}: {rule}")
    if report.skipped:
        # "line 57: joint count 24, expected 25" counts as "joint count 24, expected 25".
        reasons = Counter(re.sub(r"^line \d+: ", "", s.reason) for s in report.skipped)
        listed = (f"every one listed in {skipped_list}" if skipped_list
                  else "each listed below the table and in the store's attributes")
        table.add_row("skipped", f"{len(report.skipped):,} ({listed})")
        for reason, n in reasons.most_common(5):
            table.add_row("", f"{n:,}: {reason}")
    else:
        table.add_row("skipped", "0")
    if report.notes:
        table.add_row("notes", f"{len(report.notes):,} on stored samples (listed in the store's attributes)")
        for n in report.notes[:3]:
            table.add_row("", f"e.g. {n.name}: {n.note}")
    for w in report.warnings:
        table.add_row("[yellow]warning[/]", w)
    if report.status:
        table.add_row("status", report.status)
    table.add_row("size", human_bytes(report.bytes))
    rate = (report.samples + len(report.skipped)) / report.seconds if report.seconds else 0.0
    resumed = f", resumed after {report.resumed_from:,}" if report.resumed_from else ""
    table.add_row("time", f"{report.seconds:.1f} s ({rate:,.{0 if rate >= 10 else 2}f} samples/s{resumed})")
    return table


def info_table(summary: dict[str, Any], classes: tuple[str, ...]) -> Table:
    table = Table(title=f"{summary['dataset']}: {summary['path']}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    if summary["description"]:
        table.add_row("dataset", summary["description"])
    table.add_row("kind / layout", f"{summary['kind']} / {summary['layout']}")
    table.add_row("samples", f"{summary['samples']:,}")
    table.add_row(
        "frames",
        f"{summary['frames_total']:,} in all; per sample {summary['frames_min']}-{summary['frames_max']}, "
        f"mean {summary['frames_mean']:.1f}",
    )
    table.add_row("classes", f"{summary['classes']} ({summary['classes_present']} present)")
    counts = summary["per_class"]
    shown = [f"{i}:{classes[i]} ({counts[i]})" for i in range(len(classes)) if counts[i]][:12]
    more = summary["classes_present"] - len(shown)
    table.add_row("", ", ".join(shown) + (f", ... {more} more" if more > 0 else ""))
    for name, spec in summary["streams"].items():
        if spec.get("encoded"):
            rows = spec["shape"][0]
            what = (f"{rows:,} video files" if spec.get("per_sample") else
                    f"{rows:,} frames x {spec['parts']} {spec['codec'].upper()}" if spec["parts"] > 1 else
                    f"{rows:,} {spec['codec'].upper()} frames")
            size = f", short side {spec['short_side']}" if "short_side" in spec else ""
            table.add_row(f"stream {name}", f"{what} ({spec['dtype']}{size}), {human_bytes(spec['bytes'])}")
            continue
        shape = "x".join("N" if d is None else str(d) for d in spec["shape"])
        table.add_row(f"stream {name}", f"{spec['dtype']} [{shape}], {human_bytes(spec['bytes'])}")
    for protocol, parts in summary["splits"].items():
        table.add_row(f"split {protocol}", " / ".join(f"{part} {n:,}" for part, n in parts.items()))
    table.add_row("skipped", f"{summary['skipped']:,}")
    for rule, n in summary["excluded"].items():
        table.add_row("excluded", f"{n:,}: {rule}")
    src = summary["source"]
    table.add_row("source", f"{src.get('files', 0):,} raw files, fingerprint {src.get('fingerprint', '')}")
    if src.get("options"):
        table.add_row("options", ", ".join(f"{k}={v}" for k, v in src["options"].items()))
    table.add_row("size", human_bytes(summary["bytes"]))
    tool = summary["tool"]
    table.add_row("made by", f"{tool.get('name', '?')} {tool.get('version', '?')} at {summary['created']}")
    return table
