"""``actionkit prepare DATASET``: raw download -> canonical store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from actionkit.kernels.bodies import BODY_MODES
from actionkit.sources.registry import DATASETS


def prepare_command(
    dataset: Annotated[Literal[tuple(DATASETS)], typer.Argument(  # type: ignore[valid-type]
        help="The dataset (its raw download's format, splits and streams).", show_default=False,
        metavar="DATASET")],
    raw: Annotated[Optional[list[Path]], typer.Option(
        "--raw", metavar="PATH",
        help="The raw download: zip archive(s) or folder(s), repeatable. Default: "
             "$ACTIONKIT_DATA/raw/DATASET.")] = None,
    out: Annotated[Optional[Path], typer.Option(
        help="The store to write. Default: $ACTIONKIT_DATA/DATASET.zarr.")] = None,
    bodies: Annotated[Literal[tuple(BODY_MODES)], typer.Option(  # type: ignore[valid-type]
        help="Body selection (NTU, PKU-MMD).")] = "tracked",
    streams: Annotated[Optional[str], typer.Option(
        help="Streams to store, comma-separated. Skeletons: joint,motion,bone (default all). "
             "Videos: rgb, depth, flow, rgbdiff as frames, or video (the files as downloaded) "
             "(default: the dataset's, e.g. rgb,depth,flow for nwucla-rgbd, video for kinetics400).")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Parsing processes. Default: all cores.")] = None,
    strict: Annotated[bool, typer.Option(help="Stop at the first malformed sample instead of skipping it.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing store.")] = False,
    missing_list: Annotated[Optional[Path], typer.Option(
        help="NTU: a missing-skeleton list replacing the shipped official one.")] = None,
    label_frame_base: Annotated[int, typer.Option(
        help="PKU-MMD: 1 = label frames are 1-based inclusive (seq[start-1:end]); 0 = seq[start:end] as the "
             "reference code.")] = 1,
    limit: Annotated[Optional[int], typer.Option(help="Use only the first N samples (a quick trial).")] = None,
    shard: Annotated[Optional[str], typer.Option(
        metavar="I/N",
        help="Videos: i/n prepares the i-th of n blocks (1-based), one per process or node; the last to "
             "finish merges them into the store.")] = None,
    annotations: Annotated[Optional[Path], typer.Option(
        "--annotations", "--splits", "--labels",
        help="UCF-101: the ucfTrainTestlist folder (--splits); Kinetics: the annotation CSV folder; "
             "Something-Something v2: the label JSON folder (--labels); custom: the labels CSV/TSV "
             "(--labels). Default: searched for under --raw.")] = None,
    layout: Annotated[Optional[str], typer.Option(
        help="custom: the skeleton layout, ntu25, kinect-v1-20, coco17, openpose18 or a layout.json.")] = None,
    classes: Annotated[Optional[Path], typer.Option(
        help="custom: class names, one a line (line i = label i). Default: from the labels file.")] = None,
    align: Annotated[Literal["frame-number", "truncate"], typer.Option(
        help="NW-UCLA videos: pair RGB and depth by frame-number, or truncate both to the shorter (DMCL's code).")
    ] = "frame-number",
    as_video: Annotated[bool, typer.Option(
        "--as-video", help="Videos: keep each video file as downloaded (the video stream), not frames.")] = False,
    short_side: Annotated[int, typer.Option(
        help="Videos: resize frames so the shorter side is this (before flow).")] = 256,
    jpeg_quality: Annotated[int, typer.Option(
        help="Videos: JPEG quality of RGB and RGB-difference images (and of flow with --flow-codec jpeg).")] = 95,
    flow_codec: Annotated[Literal["png", "jpeg"], typer.Option(
        help="Videos: flow images as lossless PNG, or as JPEG like denseflow's files (--jpeg-quality).")] = "png",
    flow_rounding: Annotated[Literal["round", "truncate"], typer.Option(
        help="Videos: flow quantisation, round (denseflow) or truncate (MMAction2).")] = "round",
    min_frames: Annotated[Optional[int], typer.Option(
        min=1, show_default=False,
        help="Videos: skip samples with fewer frames. Default: 2 when flow or rgbdiff is stored, else 1.")] = None,
) -> None:
    """Build the canonical store of DATASET from its raw download (resumes an interrupted run)."""
    from actionkit.cli.display import (
        console,
        fail,
        prepare_progress,
        prepare_summary,
        print_skipped,
        write_skipped_list,
    )
    from actionkit.prepare import PrepareError, prepare
    from actionkit.prepare.parts import parse_shard
    from actionkit.prepare.video import VideoSettings, prepare_video
    from actionkit.sources.registry import SourceOptions, default_raw, default_store, get_dataset
    from actionkit.store.errors import StoreError
    from actionkit.store.schema import SKELETON_STREAMS, VIDEO_STREAMS

    try:
        entry = get_dataset(dataset)
    except KeyError as exc:
        fail(str(exc.args[0]))
    if label_frame_base not in (0, 1):
        fail("--label-frame-base must be 0 or 1")
    raw_paths = list(raw) if raw else [default_raw(dataset)]
    missing = [p for p in raw_paths if not p.expanduser().exists()]
    if missing:
        where = ", ".join(str(p) for p in missing)
        how = "" if raw else " (the default, as --raw was not given; $ACTIONKIT_DATA sets the data folder)"
        fail(
            f"no raw download of {dataset} at {where}{how}. {dataset} is prepared from {entry.download}. "
            f"Download it from the dataset's site, then pass --raw PATH (a zip archive or a folder), "
            f"or put it at {default_raw(dataset)}."
        )
    store = out or default_store(dataset)
    options = SourceOptions(bodies=bodies, missing_list=missing_list, label_frame_base=label_frame_base,
                            annotations=annotations, align=align, layout=layout, classes=classes)
    chosen = tuple(s.strip() for s in streams.split(",") if s.strip()) if streams else entry.streams
    valid = tuple(VIDEO_STREAMS) if entry.kind == "video" else tuple(SKELETON_STREAMS)
    unknown = [s for s in chosen if s not in valid]
    if unknown:
        fail(f"--streams: {', '.join(unknown)} is not a stream of {dataset}; streams: {', '.join(valid)}")
    if as_video:
        chosen = ("video",)
    try:
        source = entry.build(raw_paths, options)
        with prepare_progress(dataset, frames=entry.kind == "video") as (on_start, on_progress, on_frames):
            common = dict(workers=workers, strict=strict, overwrite=overwrite, limit=limit,
                          on_start=on_start, on_progress=on_progress)
            if entry.kind == "video":
                flowing = any(s in chosen for s in ("flow", "rgbdiff"))
                settings = VideoSettings(short_side=short_side, jpeg_quality=jpeg_quality, flow_codec=flow_codec,
                                         flow_rounding=flow_rounding,
                                         min_frames=min_frames if min_frames is not None else
                                         (2 if flowing else 1))
                report = prepare_video(source, store, streams=chosen, settings=settings,
                                       shard=parse_shard(shard) if shard else None, on_frames=on_frames, **common)
            else:
                if shard:
                    raise ValueError("--shard is for video datasets; skeleton datasets prepare in minutes on one "
                                     "machine")
                report = prepare(source, store, streams=chosen, **common)
    except (FileNotFoundError, PrepareError, StoreError, ValueError) as exc:
        fail(str(exc))
    try:
        listing = write_skipped_list(report)
    except OSError as exc:
        fail(f"{exc.filename}: cannot write the list of skipped files ({exc.strerror})")
    console.print(prepare_summary(report, listing))
    print_skipped(report, listing)


def register(app: typer.Typer) -> None:
    from actionkit.cli.commands import CONTEXT

    app.command("prepare", context_settings=CONTEXT, short_help="Raw download -> canonical store.")(prepare_command)
