"""Raw video download -> canonical video store: the pipeline behind the video ``actionkit prepare``.

Worker processes do everything heavy for one sample at a time: read its frames from the
source, resize them to the store's short side, encode RGB as JPEG and depth as
lossless PNG, compute TV-L1 flow between consecutive resized grey frames (quantised and
stored as two greyscale images, x and y: lossless PNG by default, or JPEG) and, when asked, the RGB difference. The main
process streams the encoded images into a :class:`StoreWriter` in scan order, so
memory stays bounded and an interrupted prepare resumes where its journal stopped.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actionkit.extras import MissingExtraError, require
from actionkit.parallel import ordered_map
from actionkit.prepare import parts
from actionkit.prepare.finish import finish_store, provenance
from actionkit.prepare.progress import FrameCounter
from actionkit.reports import Note, PrepareError, PrepareReport, Skip
from actionkit.sources.base import SampleError, SampleNote, SampleRef, VideoClip, VideoSource
from actionkit.store.inspect import disk_size
from actionkit.store.schema import VIDEO_CHUNK_FRAMES, VIDEO_SHARD_FRAMES, VIDEO_STREAMS, EncodedStreamSpec
from actionkit.store.writer import StoreWriter

#: The raw modality each stored stream is computed from.
STREAM_SOURCE = {"rgb": "rgb", "depth": "depth", "flow": "rgb", "rgbdiff": "rgb", "video": "rgb"}
#: Per-sample fields every video store adds to the dataset's ids.
FRAME_FIELDS = ("height", "width", "fps_milli")


@dataclass(frozen=True)
class VideoSettings:
    """How frames are stored; recorded in the store and part of its identity.

    Attributes:
        short_side: Frames are resized so their shorter side is this many pixels
            (before flow is computed), keeping the aspect ratio.
        interpolation: Resizing of RGB frames (``area``, ``linear``); depth always uses
            ``nearest`` so that no millimetre value is invented at an edge.
        jpeg_quality: JPEG quality of RGB and RGB-difference images (and of flow when
            ``flow_codec`` is ``jpeg``).
        png_compression: zlib level of the lossless PNGs (depth; flow by default), 0-9.
        flow: Flow estimator name (``tvl1``).
        flow_codec: ``png`` (default: lossless, so the stored levels are exactly the
            quantised flow, at about the size of a quality-100 JPEG) or ``jpeg``
            (denseflow's files; at quality 95 a level can be off by up to about 8).
        flow_bound: Flow components are clipped to ``[-bound, bound]`` pixels ...
        flow_rounding: ... and mapped linearly to 0..255 with ``round`` (denseflow) or
            ``truncate`` (MMAction2).
        min_frames: Samples with fewer frames are skipped (and reported).
    """

    short_side: int = 256
    interpolation: str = "area"
    jpeg_quality: int = 95
    png_compression: int = 6
    flow: str = "tvl1"
    flow_codec: str = "png"
    flow_bound: float = 20.0
    flow_rounding: str = "round"
    min_frames: int = 1


def stream_specs(streams: tuple[str, ...], settings: VideoSettings) -> list[EncodedStreamSpec]:
    """The encoded-stream specs of a video store.

    Raises:
        ValueError: an unknown stream name.
    """
    if settings.flow_codec not in ("png", "jpeg"):
        raise ValueError(f"flow codec {settings.flow_codec!r} is not png or jpeg")
    unknown = [s for s in streams if s not in VIDEO_STREAMS]
    if unknown:
        raise ValueError(f"unknown video stream(s) {unknown}; valid: {list(VIDEO_STREAMS)}")
    size = (("short_side", settings.short_side),)
    specs = {
        "rgb": EncodedStreamSpec("rgb", "jpeg", 1, 3, "uint8", VIDEO_STREAMS["rgb"],
                                 extra=size + (("quality", settings.jpeg_quality),)),
        "depth": EncodedStreamSpec("depth", "png", 1, 1, "uint16", VIDEO_STREAMS["depth"],
                                   extra=size + (("units", "mm"), ("interpolation", "nearest"))),
        "flow": EncodedStreamSpec("flow", settings.flow_codec, 2, 1, "uint8", VIDEO_STREAMS["flow"],
                                  last_frame_empty=True,
                                  extra=size + ((("quality", settings.jpeg_quality) if settings.flow_codec == "jpeg"
                                                 else ("compression", settings.png_compression)),
                                                ("quantization", {"bound": settings.flow_bound,
                                                                  "rounding": settings.flow_rounding,
                                                                  "map": "q = (clip(f, -b, b) + b) * 255 / (2 b)"}))),
        "rgbdiff": EncodedStreamSpec("rgbdiff", "jpeg", 1, 3, "uint8", VIDEO_STREAMS["rgbdiff"],
                                     last_frame_empty=True,
                                     extra=size + (("quality", settings.jpeg_quality),)),
        "video": EncodedStreamSpec("video", "container", 1, 3, "uint8", VIDEO_STREAMS["video"], per_sample=True,
                                   extra=(("content", "the downloaded file, unchanged"),)),
    }
    if "video" in streams and len(streams) > 1:
        raise ValueError("the video stream (whole video files) is stored alone; prepare frames in another store")
    return [specs[s] for s in streams]


#: (records per stream, per-sample fields, frame count, skip reason, notes)
EncodeResult = tuple[dict[str, list[tuple[bytes, ...]]] | None, dict[str, int], int, str | None, list[str]]


def encode_clip(clip: VideoClip, streams: tuple[str, ...], settings: VideoSettings,
                estimator: Callable[[np.ndarray, np.ndarray], np.ndarray] | None,
                on_frame: Callable[[], None] | None = None) -> tuple[dict, dict[str, int]]:
    """Resize, encode and derive the stored streams of one clip, frame by frame.

    Args:
        clip: The source's frames (aligned across modalities).
        streams: Streams to produce (``rgb``, ``depth``, ``flow``, ``rgbdiff``).
        settings: Sizes, qualities and the flow convention.
        estimator: The flow estimator (required for ``flow``).
        on_frame: Called after each frame is done (decoded, resized, encoded, flowed).

    Returns:
        (records per stream: one tuple of encoded images per frame, the sample's
        ``height``/``width``/``fps_milli`` fields).

    Raises:
        SampleError: modalities with unequal frame counts, or frames whose size changes.
    """
    from actionkit.codecs.images import encode_jpeg, encode_png
    from actionkit.video.flow import quantize_flow
    from actionkit.video.images import resize_short_side, rgb_to_grey
    from actionkit.video.rgbdiff import encode_rgbdiff

    def encode_flow(component: np.ndarray) -> bytes:
        if settings.flow_codec == "png":
            return encode_png(component, settings.png_compression)
        return encode_jpeg(component, settings.jpeg_quality)

    records: dict[str, list[tuple[bytes, ...]]] = {s: [] for s in streams}
    mods = list(clip.modalities)
    iters = [iter(clip.modalities[m]) for m in mods]
    prev_rgb = prev_grey = None
    size: tuple[int, int] | None = None
    counts = 0
    while True:
        frames = [next(it, None) for it in iters]
        if all(f is None for f in frames):
            break
        if any(f is None for f in frames):
            ended = [m for m, f in zip(mods, frames) if f is None]
            if clip.truncate:
                warnings.warn(SampleNote(f"{', '.join(ended)} ended after {counts} frames, before "
                                         f"{', '.join(m for m in mods if m not in ended)}: cut to {counts}"))
                break
            raise SampleError(f"{', '.join(ended)} ended after {counts} frames while "
                              f"{', '.join(m for m in mods if m not in ended)} went on")
        by_mod = dict(zip(mods, frames))
        counts += 1
        if "rgb" in by_mod:
            rgb = resize_short_side(by_mod["rgb"], settings.short_side, interpolation=settings.interpolation)
            size = size or rgb.shape[:2]
            if rgb.shape[:2] != size:
                raise SampleError(f"frame {counts - 1} is {rgb.shape[1]}x{rgb.shape[0]} after resizing, "
                                  f"earlier frames {size[1]}x{size[0]}")
            if "rgb" in records:
                records["rgb"].append((encode_jpeg(rgb, settings.jpeg_quality),))
            if "flow" in records:
                grey = rgb_to_grey(rgb)
                if prev_grey is not None:
                    q = quantize_flow(estimator(prev_grey, grey), settings.flow_bound, settings.flow_rounding)
                    records["flow"].append(tuple(encode_flow(np.ascontiguousarray(q[..., c])) for c in (0, 1)))
                prev_grey = grey
            if "rgbdiff" in records:
                if prev_rgb is not None:
                    diff = rgb.astype(np.int16) - prev_rgb.astype(np.int16)
                    records["rgbdiff"].append((encode_jpeg(encode_rgbdiff(diff), settings.jpeg_quality),))
                prev_rgb = rgb
        if "depth" in by_mod:
            depth = resize_short_side(by_mod["depth"], settings.short_side, interpolation="nearest")
            size = size or depth.shape[:2]
            records["depth"].append((encode_png(depth, settings.png_compression),))
        if on_frame is not None:
            on_frame()
    for name in ("flow", "rgbdiff"):
        if name in records and counts:
            records[name].append((b"",) * (2 if name == "flow" else 1))
    height, width = size or (0, 0)
    return records, {"height": int(height), "width": int(width), "fps_milli": int(round(clip.fps * 1000))}


class SampleEncoder:
    """The per-sample work of a video prepare (runs in workers; never raises for bad input).

    A picklable callable: video workers are started by ``forkserver`` (see
    :mod:`actionkit.parallel`), so the source, the settings and the frame counter travel
    to each worker once.
    """

    def __init__(self, source: VideoSource, streams: tuple[str, ...], settings: VideoSettings,
                 counter: FrameCounter | None = None):
        self.source = source
        self.streams = streams
        self.settings = settings
        self.counter = counter
        self.needed = tuple(m for m in source.modalities if any(STREAM_SOURCE[s] == m for s in streams))
        self._estimator = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_estimator": None}  # OpenCV objects stay in their process

    def __call__(self, ref: SampleRef) -> EncodeResult:
        from actionkit.video.flow import build_flow_estimator

        if self._estimator is None and "flow" in self.streams:
            self._estimator = build_flow_estimator(self.settings.flow)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SampleNote)
            try:
                if self.streams == ("video",):
                    records, fields, frames = whole_video(self.source, ref)
                    if self.counter is not None:
                        self.counter.add(frames)
                else:
                    clip = self.source.read(ref, self.needed)
                    records, fields = encode_clip(clip, self.streams, self.settings, self._estimator,
                                                  self.counter.add if self.counter is not None else None)
                    frames = len(next(iter(records.values())))
            except SampleError as exc:
                return None, {}, 0, exc.reason, []
            except MissingExtraError:
                raise  # not the sample's fault: stop with the line that names the extra
            except Exception as exc:  # a long run reports the sample instead of dying
                return None, {}, 0, f"unexpected error: {type(exc).__name__}: {exc}", []
        notes = [str(w.message) for w in caught if issubclass(w.category, SampleNote)]
        if frames < self.settings.min_frames:
            return None, {}, 0, f"{frames} frames, fewer than the minimum of {self.settings.min_frames}", []
        return records, fields, frames, None, notes


def whole_video(source: VideoSource, ref: SampleRef) -> tuple[dict, dict[str, int], int]:
    """The ``video`` stream of one sample: its file unchanged, and the frames a full decode gives.

    Raises:
        SampleError: unreadable, undecodable or zero-frame video.
    """
    from actionkit.codecs.video import VideoError, probe

    data = source.encoded_video(ref)
    try:
        # Counts by decoding (exact, whatever the container claims) and refuses a damaged file.
        info = probe(data, backend="pyav", check_damage=True)
    except VideoError as exc:
        raise SampleError(str(exc)) from None
    fields = {"height": info.height, "width": info.width, "fps_milli": int(round(info.fps * 1000))}
    return {"video": [(data,)]}, fields, info.frames


def _pin_threads() -> None:
    from actionkit.video.flow import set_opencv_threads

    set_opencv_threads(1)  # one sample per process: OpenCV's own threads would oversubscribe the cores


def prepare_video(
    source: VideoSource,
    out: Path,
    *,
    streams: tuple[str, ...] = ("rgb",),
    settings: VideoSettings = VideoSettings(),
    workers: int | None = None,
    strict: bool = False,
    overwrite: bool = False,
    limit: int | None = None,
    shard: tuple[int, int] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_frames: Callable[[int], None] | None = None,
) -> PrepareReport:
    """Build (or resume) a video store, or one shard of it.

    Args:
        source: The raw dataset.
        out: The store to write.
        streams: Streams to store: ``rgb``, ``depth`` (RGB-D datasets), ``flow``, ``rgbdiff``;
            or ``video`` alone (each video file as downloaded: Kinetics, Something-Something).
        settings: Frame size, image qualities, flow convention, minimum length.
        workers: Processes (default: all cores).
        strict: Stop at the first unusable sample instead of skipping it.
        overwrite: Replace an existing store.
        limit: Use only the first ``limit`` samples of the scan.
        shard: ``(i, n)``: prepare only the i-th of n contiguous blocks of samples (1-based),
            as one of n independent processes or nodes; see :mod:`actionkit.prepare.parts`.
        on_start: Called once with (samples to process, samples already done).
        on_progress: Called with the number of samples processed since the last call.
        on_frames: Called a few times a second, from a helper thread, with the number of
            frames the workers finished since the last call (a sample's frames count as
            they are done, so progress shows within a long video).

    Raises:
        PrepareError: with ``strict``, the first unusable sample (path and reason).
        ValueError: unknown streams, or a stream the dataset has no modality for.
        StoreExistsError: a complete store exists and ``overwrite`` is False.
        MissingExtraError: the ``video`` extra (OpenCV, decord, PyAV) is not installed.
    """
    t0 = time.perf_counter()
    for module in ("cv2", "av"):  # fail here, once, rather than in every worker
        require(module, "video")
    specs = stream_specs(tuple(streams), settings)
    missing = [s for s in streams if STREAM_SOURCE[s] not in source.modalities]
    if missing:
        raise ValueError(f"{source.dataset} has no {', '.join(STREAM_SOURCE[s] for s in missing)} videos "
                         f"(needed for {', '.join(missing)}); it has {', '.join(source.modalities)}")
    workers = (os.cpu_count() or 1) if workers is None else workers
    scan = source.scan()
    refs = scan.refs[:limit] if limit else scan.refs
    if strict and scan.skipped:
        raise PrepareError(f"{scan.skipped[0].path}: {scan.skipped[0].reason}")
    identity = {"dataset": source.dataset, "streams": list(streams), "fingerprint": scan.fingerprint,
                "options": source.options(), "settings": asdict(settings), "samples_scanned": len(refs)}
    fields = (*source.id_fields, *FRAME_FIELDS)
    target, todo_refs, scan_skips = Path(out), refs, scan.skipped
    if shard is not None:
        target, todo_refs = parts.part_path(out, shard), parts.block(refs, shard)
        identity = {**identity, "part": list(shard)}
        scan_skips = scan.skipped if shard[0] == 1 else []  # the scan's skips are reported once
    writer = StoreWriter(target, identity, [], fields, encoded=specs, overwrite=overwrite,
                         shard_frames=VIDEO_SHARD_FRAMES, chunk_frames=VIDEO_CHUNK_FRAMES)
    resumed_from = writer.refs_done
    todo = todo_refs[resumed_from:]
    if on_start:
        on_start(len(todo_refs), resumed_from)
    with FrameCounter(on_frames) as counter:
        results = ordered_map(SampleEncoder(source, tuple(streams), settings, counter), todo, workers, batch=1,
                              in_flight=2, initializer=_pin_threads, start_method="forkserver")
        for ref, (records, frame_fields, frames, error, notes) in zip(todo, results):
            if error is not None:
                if strict:
                    raise PrepareError(f"{ref.display}: {error}")
                writer.add_skip(Skip(ref.name, ref.display, error))
            else:
                writer.add_sample(ref.name, ref.label, {**ref.ids, **frame_fields}, {}, records, frames=frames)
                for note in notes:
                    writer.add_note(Note(ref.name, ref.display, note))
            if on_progress:
                on_progress(1)
    writer.flush()
    skipped = scan_skips + writer.skips
    attrs = _attributes(source, scan, specs, settings, identity["options"], skipped, writer.notes, fields)
    if shard is not None:
        attrs["part"] = {"index": shard[0], "of": shard[1], "samples_scanned": len(todo_refs)}
        writer.finish({}, attrs)
        merged = parts.merge_if_complete(source, out, shard[1], identity, specs, fields,
                                                 shard_frames=VIDEO_SHARD_FRAMES, chunk_frames=VIDEO_CHUNK_FRAMES)
        return parts.part_report(source, out, target, shard, merged, writer, skipped, scan,
                                         time.perf_counter() - t0, resumed_from)
    finish_store(writer, source, attrs, scan.excluded)
    return PrepareReport(
        dataset=source.dataset, out=Path(out), samples=attrs["counts"]["samples"], frames=attrs["counts"]["frames"],
        skipped=skipped, excluded=dict(scan.excluded), splits=attrs["splits"],
        seconds=time.perf_counter() - t0, resumed_from=resumed_from, bytes=disk_size(Path(out)),
        raw_files=scan.files, notes=writer.notes, warnings=list(source.warnings),
    )


def _attributes(source: VideoSource, scan, specs: list[EncodedStreamSpec], settings: VideoSettings,
                options: dict[str, Any], skipped: list[Skip], notes: list[Note], fields: tuple[str, ...]) -> dict:
    flow = None
    if any(s.name == "flow" for s in specs):
        from actionkit.video.flow import build_flow_estimator

        flow = {"algorithm": settings.flow, "params": build_flow_estimator(settings.flow).params(),
                "bound": settings.flow_bound, "rounding": settings.flow_rounding,
                "direction": "frame t -> frame t+1, on the resized grey frames"}
    return {
        "dataset": source.dataset,
        "kind": "video",
        "description": getattr(source, "description", source.dataset),
        "classes": list(source.classes),
        "streams": {s.name: s.as_attrs() for s in specs},
        "id_fields": list(fields),
        "video": {"short_side": settings.short_side, "interpolation": settings.interpolation,
                  "representation": "video" if [s.name for s in specs] == ["video"] else "frames",
                  "jpeg_quality": settings.jpeg_quality,
                  "png_compression": settings.png_compression, "flow_codec": settings.flow_codec, "flow": flow,
                  "min_frames": settings.min_frames,
                  "fps_field": "fps_milli = frames per second x 1000 (0: unknown)"},
        **provenance(source, scan, options, skipped, notes),
    }
