"""Dataset id -> source: the datasets ``actionkit prepare`` knows, and where their data lives by default."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from actionkit.sources.base import SkeletonSource, VideoSource


@dataclass(frozen=True)
class SourceOptions:
    """Options of ``actionkit prepare`` that change what a source reads.

    Attributes:
        bodies: Body selection for NTU and PKU-MMD (``tracked``, ``energy``, ``first``).
        missing_list: NTU missing-skeleton list replacing the shipped one.
        label_frame_base: PKU-MMD label frames: 1 (1-based inclusive, default) or 0
            (the reference code's ``seq[start:end]``).
        annotations: Split or annotation files kept apart from the videos (UCF-101's
            ``ucfTrainTestlist``).
        align: How RGB and depth frames are paired (NW-UCLA videos): ``frame-number``
            or ``truncate``.
        layout: Custom datasets: a layout name or a layout JSON file.
        classes: Custom datasets: a file of class names, one a line.
    """

    bodies: str = "tracked"
    missing_list: Path | None = None
    label_frame_base: int = 1
    annotations: Path | None = None
    align: str = "frame-number"
    layout: str | None = None
    classes: Path | None = None


@dataclass(frozen=True)
class DatasetEntry:
    """A preparable dataset: how to build its source, and what the user must download.

    Attributes:
        build: Makes the source from the raw paths and the options.
        download: What to download, as said to a user who has not.
        kind: ``skeleton`` or ``video``.
        streams: The streams stored when ``--streams`` is not given.
    """

    build: Callable[[list[Path], SourceOptions], SkeletonSource | VideoSource]
    download: str
    kind: str = "skeleton"
    streams: tuple[str, ...] = ("joint", "motion", "bone")


def _ntu(dataset: str) -> Callable[[list[Path], SourceOptions], SkeletonSource]:
    def build(raw: list[Path], opts: SourceOptions) -> SkeletonSource:
        from actionkit.sources.ntu import NTUSource

        return NTUSource(raw, dataset, bodies=opts.bodies, missing_list=opts.missing_list)

    return build


def _pkummd(phase: int) -> Callable[[list[Path], SourceOptions], SkeletonSource]:
    def build(raw: list[Path], opts: SourceOptions) -> SkeletonSource:
        from actionkit.sources.pkummd import PKUMMD1Source, PKUMMD2Source

        cls = PKUMMD1Source if phase == 1 else PKUMMD2Source
        return cls(raw, bodies=opts.bodies, label_frame_base=opts.label_frame_base)

    return build


def _nwucla(raw: list[Path], opts: SourceOptions) -> SkeletonSource:
    from actionkit.sources.nwucla import NWUCLASource

    return NWUCLASource(raw)


def _nwucla_video(raw: list[Path], opts: SourceOptions) -> VideoSource:
    from actionkit.sources.nwucla_video import NWUCLAVideoSource

    return NWUCLAVideoSource(raw, align=opts.align)


def _ntu_video(variant: str) -> Callable[[list[Path], SourceOptions], VideoSource]:
    def build(raw: list[Path], opts: SourceOptions) -> VideoSource:
        from actionkit.sources.ntu_video import NTUVideoSource

        return NTUVideoSource(raw, variant)

    return build


def _kinetics400(raw: list[Path], opts: SourceOptions) -> VideoSource:
    from actionkit.sources.kinetics import KineticsSource

    return KineticsSource(raw, annotations=opts.annotations, dataset="kinetics400")


def _ssv2(raw: list[Path], opts: SourceOptions) -> VideoSource:
    from actionkit.sources.ssv2 import SSv2Source

    return SSv2Source(raw, labels=opts.annotations)


def _uwa3d(raw: list[Path], opts: SourceOptions) -> VideoSource:
    from actionkit.sources.uwa3d import UWA3DSource

    return UWA3DSource(raw, align=opts.align)


def _ucf101(raw: list[Path], opts: SourceOptions) -> VideoSource:
    from actionkit.sources.ucf101 import UCF101Source

    return UCF101Source(raw, annotations=opts.annotations)


def _custom(raw: list[Path], opts: SourceOptions) -> SkeletonSource:
    from actionkit.layouts import resolve_layout
    from actionkit.sources.custom import CustomSource, channels_from_layout_json

    if not opts.layout:
        raise ValueError("custom datasets need --layout: ntu25, kinect-v1-20, coco17, openpose18 or a layout.json")
    if opts.annotations is None:
        raise ValueError("custom datasets need --labels FILE: a CSV/TSV of name,label[,split or id columns]")
    try:
        layout = resolve_layout(opts.layout)
    except KeyError as exc:
        raise ValueError(str(exc.args[0])) from None
    classes = None
    if opts.classes is not None:
        classes = [ln.strip() for ln in Path(opts.classes).read_text().splitlines() if ln.strip()]
    channels = channels_from_layout_json(Path(opts.layout)) if opts.layout.lower().endswith(".json") else None
    return CustomSource(raw, layout, opts.annotations, classes=classes, channels=channels)


DATASETS: dict[str, DatasetEntry] = {
    "ntu60": DatasetEntry(_ntu("ntu60"), "nturgbd_skeletons_s001_to_s017.zip (or the folder it unpacks to)"),
    "ntu120": DatasetEntry(
        _ntu("ntu120"),
        "nturgbd_skeletons_s001_to_s017.zip and nturgbd_skeletons_s018_to_s032.zip (or their folders), in one folder",
    ),
    "pkummd1": DatasetEntry(
        _pkummd(1),
        "PKU-MMD phase 1: the skeleton folder, the label folder and the split files, in one folder",
    ),
    "pkummd2": DatasetEntry(
        _pkummd(2),
        "PKU-MMD phase 2: the skeleton folder, the label folder and the split files, in one folder",
    ),
    "nwucla": DatasetEntry(_nwucla, "NW-UCLA skeletons: the all_sqe/ JSON folder, or the original "
                           "multiview_action/ folder"),
    "nwucla-rgbd": DatasetEntry(_nwucla_video, "NW-UCLA videos: the original multiview_action/ folder (or zip) with "
                                "view_N/aXX_sYY_eZZ/frame_*_rgb.jpg and _depth.png files",
                                kind="video", streams=("rgb", "depth", "flow")),
    "ntu60-rgbd": DatasetEntry(_ntu_video("ntu60"), "NTU RGB+D 60 colour videos (nturgb+d_rgb/*_rgb.avi) and masked "
                               "depth maps (nturgb+d_depth_masked/<name>/MDepth-*.png), folders or zips, in one folder",
                               kind="video", streams=("rgb", "depth", "flow")),
    "ntu120-rgbd": DatasetEntry(_ntu_video("ntu120"), "NTU RGB+D 120 colour videos and masked depth maps "
                                "(as for ntu60-rgbd, setups S001-S032), in one folder",
                                kind="video", streams=("rgb", "depth", "flow")),
    "kinetics400": DatasetEntry(_kinetics400, "Kinetics-400: the clip folder(s) (<youtube_id>_<start>_<end>.mp4) and "
                                "the annotation CSVs train.csv / validate.csv (under it, or given with --annotations)",
                                kind="video", streams=("video",)),
    "uwa3d2-rgbd": DatasetEntry(_uwa3d, "UWA3D II: folders aXX_sYY_vVV_eEE/ of NNN.jpg (RGB) and NNN.png (depth) "
                                "frames, or aXX_sYY_vVV_eEE.avi videos, in one folder",
                                kind="video", streams=("rgb", "depth", "flow")),
    "ssv2": DatasetEntry(_ssv2, "Something-Something v2: the folder of <id>.webm videos and the label JSON files "
                         "(something-something-v2-labels.json, -train.json, -validation.json; under it, or given "
                         "with --annotations)", kind="video", streams=("video",)),
    "ucf101": DatasetEntry(_ucf101, "UCF-101: the UCF-101/ folder of .avi videos (UCF101.rar unpacked), and the "
                           "ucfTrainTestlist/ split folder (inside it, or given with --annotations)",
                           kind="video", streams=("rgb",)),
    "custom": DatasetEntry(_custom, "your own skeleton files: one .npy/.npz/.csv/.txt per sample under --raw, "
                           "with --layout and --labels (see docs/custom.md)"),
}


def get_dataset(name: str) -> DatasetEntry:
    """The registry entry of ``name``.

    Raises:
        KeyError: unknown dataset; the message lists the known ones.
    """
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


def data_root() -> Path:
    """``$ACTIONKIT_DATA``, default ``./data``."""
    return Path(os.environ.get("ACTIONKIT_DATA", "data")).expanduser()


def default_raw(dataset: str) -> Path:
    """Where a dataset's raw download is looked for without ``--raw``: ``<data>/raw/<dataset>``."""
    return data_root() / "raw" / dataset


def default_store(dataset: str) -> Path:
    """Where a dataset's store is written without ``--out``: ``<data>/<dataset>.zarr``."""
    return data_root() / f"{dataset}.zarr"
