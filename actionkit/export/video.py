"""``rawframes`` and ``videolist``: video stores as MMAction2's raw-frame and video datasets read them.

``rawframes`` (a store of frames) writes MMAction2's tree and file lists::

    OUT/rawframes/<name>/img_00001.jpg ...      RGB, the store's JPEGs copied unchanged
    OUT/rawframes/<name>/flow_x_00001.jpg ...   TV-L1 flow, x and y (T - 1 of each)
    OUT/<protocol>_<part>_rawframes.txt         "<name> <rgb frames> <label>" per sample
    OUT/<protocol>_<part>_rawframes_flow.txt    "<name> <flow frames> <label>" per sample

as ``RawframeDataset`` reads them (``filename_tmpl='img_{:05}.jpg'`` for RGB,
``'flow_{}_{:05d}.jpg'`` with ``modality='Flow'``, ``start_index=1``, ``data_prefix`` the
``rawframes`` folder). Flow stored as PNG is re-encoded as JPEG (the quantised values
are kept; the JPEG quality is the store's RGB quality). The test part is named ``val``.

``videolist`` (a store made with ``--as-video``, which keeps every video file as
downloaded) writes ``OUT/videos/<name>.<ext>``, byte-for-byte the stored file, and
``OUT/<protocol>_<part>_videos.txt`` with ``<name>.<ext> <label>`` lines, as
``VideoDataset`` reads them (``data_prefix`` the ``videos`` folder).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actionkit.export.common import ExportError, ExportOptions, ExportReport, Progress, part_file_name, selected_parts
from actionkit.store.reader import Store


def _check_video(store: Store, want: str) -> None:
    if store.kind != "video":
        raise ExportError(f"{store.path}: a {store.kind} store; {want} takes video stores "
                          f"(skeleton stores export as pyskl, stgcn, ctrgcn or sgn)")


def _chosen(store: Store, options: ExportOptions) -> tuple[list[tuple[str, str, np.ndarray]], np.ndarray]:
    parts = selected_parts(store, options)
    indices = np.unique(np.concatenate([idx for _, _, idx in parts])) if parts else np.zeros(0, np.int64)
    return parts, indices


def _write_lists(out: Path, parts, lines: dict[int, str], suffix: str) -> list[Path]:
    files = []
    for protocol, part, indices in parts:
        path = out / f"{protocol}_{part_file_name(part)}_{suffix}.txt"
        path.write_text("".join(lines[int(i)] for i in indices if int(i) in lines))
        files.append(path)
    return files


def _jpeg(data: bytes, quality: int, what: str) -> bytes:
    """A stored (PNG) flow image re-encoded as JPEG, its quantised values kept up to JPEG's loss."""
    from actionkit.codecs.images import ImageError, decode_image, encode_jpeg

    try:
        return encode_jpeg(decode_image(data, what=what), quality)
    except (ImageError, ValueError) as exc:
        raise ExportError(str(exc)) from None


def export_rawframes(store: Store, out: Path, options: ExportOptions,
                     progress: Progress | None = None) -> ExportReport:
    """Write MMAction2's rawframes tree and lists (see the module docstring)."""
    _check_video(store, "rawframes")
    streams = store.attrs["streams"]
    if "rgb" not in streams and "flow" not in streams:
        raise ExportError(f"{store.path}: no rgb or flow frames (streams: {', '.join(streams)}); "
                          f"a store of whole video files exports as videolist")
    parts, indices = _chosen(store, options)
    out = Path(out)
    root = out / "rawframes"
    names, labels = store.samples["name"], store.samples["label"]
    rgb_lines: dict[int, str] = {}
    flow_lines: dict[int, str] = {}
    quality = int(streams.get("rgb", {}).get("quality", 95))
    flow_png = streams.get("flow", {}).get("codec") == "png"
    report = ExportReport("rawframes", out, [])
    for i in indices:
        i = int(i)
        folder = root / str(names[i])
        folder.mkdir(parents=True, exist_ok=True)
        if "rgb" in streams:
            records = store.encoded(i, "rgb")
            for t, (data,) in enumerate(records):
                (folder / f"img_{t + 1:05d}.jpg").write_bytes(data)
                report.bytes += len(data)
            rgb_lines[i] = f"{names[i]} {len(records)} {int(labels[i])}\n"
        if "flow" in streams:
            kept = [r for r in store.encoded(i, "flow") if all(r)]  # the last frame has no flow
            for t, (fx, fy) in enumerate(kept):
                for axis, data in (("x", fx), ("y", fy)):
                    data = _jpeg(data, quality, f"{store.path} {names[i]} flow {t}") if flow_png else data
                    (folder / f"flow_{axis}_{t + 1:05d}.jpg").write_bytes(data)
                    report.bytes += len(data)
            flow_lines[i] = f"{names[i]} {len(kept)} {int(labels[i])}\n"
        report.samples += 1
        if progress:
            progress(1)
    if rgb_lines:
        report.files += _write_lists(out, parts, rgb_lines, "rawframes")
    if flow_lines:
        report.files += _write_lists(out, parts, flow_lines, "rawframes_flow")
    return report


def container_suffix(data: bytes) -> str:
    """A video file's extension from its first bytes: ``.avi``, ``.mp4``, ``.webm``, ``.mkv``; else ``.bin``."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return ".avi"
    if head[4:8] == b"ftyp":
        return ".mp4"
    if head[:4] == b"\x1aE\xdf\xa3":
        return ".webm" if b"webm" in head else ".mkv"
    return ".bin"


def export_videolist(store: Store, out: Path, options: ExportOptions,
                     progress: Progress | None = None) -> ExportReport:
    """Write the stored video files and MMAction2's video lists (see the module docstring)."""
    _check_video(store, "videolist")
    if not store.attrs["streams"].get("video", {}).get("per_sample"):
        raise ExportError(f"{store.path}: the store keeps frames, not the video files "
                          f"(prepare with --as-video to keep them); export its frames as rawframes")
    parts, indices = _chosen(store, options)
    out = Path(out)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    names, labels = store.samples["name"], store.samples["label"]
    lines: dict[int, str] = {}
    report = ExportReport("videolist", out, [])
    for i in indices:
        i = int(i)
        (data,), = store.encoded(i, "video")
        file = f"{names[i]}{container_suffix(data)}"
        (out / "videos" / file).write_bytes(data)
        lines[i] = f"{file} {int(labels[i])}\n"
        report.bytes += len(data)
        report.samples += 1
        if progress:
            progress(1)
    report.files += _write_lists(out, parts, lines, "videos")
    return report
