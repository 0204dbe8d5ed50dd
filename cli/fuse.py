"""``actionkit eval fuse RUN_OR_SCORES...``: weighted score fusion of several evaluations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from actionkit.cli.display import console, fail


def fuse_command(
    inputs: Annotated[list[Path], typer.Argument(
        help="Run folders (their test scores) or .scores.npz files, two or more.", show_default=False)],
    weights: Annotated[Optional[str], typer.Option(
        help="One weight per input, comma-separated, e.g. 0.6,0.6,0.4,0.4 (default: the recipe's, or all 1).")] = None,
    recipe: Annotated[Optional[str], typer.Option(
        help="2s (joint, bone), 3s (joint, motion, bone), 4s (CTR-GCN: joint, bone, joint motion, bone motion "
             "at 0.6/0.6/0.4/0.4); give the inputs in that order.")] = None,
    out: Annotated[Optional[Path], typer.Option(
        help="Write fused.json and fused.scores.npz to this folder.")] = None,
) -> None:
    """Fuse the softmax scores of several runs, matched by sample name; print each input's and the fused accuracy."""
    from rich.table import Table

    from actionkit.results import find_scores, fuse, get_recipe, load_scores, save_scores, summarize

    try:
        paths = [find_scores(p) for p in inputs]
        scores = [load_scores(p) for p in paths]
        names = [str(p) for p in inputs]
        streams: tuple[str, ...] = ()
        if recipe is not None:
            chosen = get_recipe(recipe)
            if len(inputs) != len(chosen.streams):
                raise ValueError(f"recipe {recipe} fuses {len(chosen.streams)} inputs ({', '.join(chosen.streams)}, "
                                 f"in that order); got {len(inputs)}")
            streams = chosen.streams
            w = list(chosen.weights)
        else:
            w = [1.0] * len(inputs)
        if weights is not None:
            try:
                w = [float(x) for x in weights.split(",") if x.strip()]
            except ValueError:
                raise ValueError(f"--weights {weights}: give numbers separated by commas, e.g. 0.6,0.4") from None
        fused = fuse(scores, w, names)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    table = Table(title=f"fusion of {len(inputs)} inputs ({len(fused)} samples)", title_justify="left")
    for col in ("input", "stream", "weight", "top-1", "top-5", "mean-class"):
        table.add_column(col, justify="right" if col not in ("input", "stream") else "left")
    rows = []
    for i, (name, s) in enumerate(zip(names, scores)):
        fig = summarize(s)
        rows.append({"input": name, "scores": str(paths[i]), "stream": streams[i] if streams else "",
                     "weight": w[i], **{k: fig[k] for k in ("top1", "top5", "mean_class")}})  # fmt: skip
    fig = summarize(fused)
    rows.append({"input": "fused", "stream": recipe or "", "weight": sum(w),
                 **{k: fig[k] for k in ("top1", "top5", "mean_class")}})  # fmt: skip
    for r in rows:
        style = "bold" if r["input"] == "fused" else None
        table.add_row(r["input"], r["stream"], f"{r['weight']:g}", f"{r['top1']:.4f}", f"{r['top5']:.4f}",
                      f"{r['mean_class']:.4f}", style=style)
    console.print(table)
    if out is not None:
        import json

        out.mkdir(parents=True, exist_ok=True)
        save_scores(fused, out / "fused.scores.npz")
        (out / "fused.json").write_text(json.dumps({"recipe": recipe, "inputs": rows, "per_class": fig["per_class"]},
                                                   indent=2) + "\n")
        console.print(f"written to {out / 'fused.json'} and {out / 'fused.scores.npz'}")


def register(app: typer.Typer) -> None:
    from actionkit.cli.evaluate import eval_app

    eval_app.command("fuse", short_help="Fuse several evaluations' scores, matched by sample name.")(fuse_command)
