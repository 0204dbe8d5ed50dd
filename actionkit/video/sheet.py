"""Contact sheets: one PNG showing a video sample's streams side by side, for a person to look at.

One row per stream (RGB, depth as a colour map, flow colour-coded, RGB difference),
one column per frame (evenly spaced over the sample), a title line with the sample's
name and label, and each row labelled.
"""

from __future__ import annotations

import cv2
import numpy as np

from actionkit.store.reader import Store

TILE_HEIGHT = 128
TITLE_HEIGHT = 28
LABEL_WIDTH = 72


def sheet_frames(frames: int, columns: int, last_frame_empty: bool = False) -> np.ndarray:
    """Evenly spaced frame indices of a ``frames``-frame sample (at most ``columns``)."""
    usable = frames - 1 if last_frame_empty else frames
    if usable <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.linspace(0, usable - 1, num=min(columns, usable)).round().astype(np.int64))


def _tile(image: np.ndarray) -> np.ndarray:
    """An RGB uint8 image scaled to the tile height."""
    h, w = image.shape[:2]
    width = max(1, round(w * TILE_HEIGHT / h))
    return cv2.resize(image, (width, TILE_HEIGHT), interpolation=cv2.INTER_AREA)


def render_stream(store: Store, index: int, stream: str, frames: np.ndarray) -> list[np.ndarray]:
    """RGB uint8 tiles of ``frames`` of one stream: depth through a colour map (0 = black),
    flow through the direction/speed colour wheel (white = still, full colour = the 99.9th
    percentile speed of the frames shown, at least 2 px), RGB difference as stored."""
    from actionkit.video.flow import dequantize_flow, flow_to_colour

    images = store.images(index, stream, frames)
    spec = store.attrs["streams"][stream]
    if stream == "depth":
        valid = images[images > 0]
        lo, hi = (np.percentile(valid, [1, 99]) if valid.size else (0, 1))
        scaled = np.clip((images.astype(np.float32) - lo) / max(hi - lo, 1.0) * 255, 0, 255).astype(np.uint8)
        tiles = [cv2.cvtColor(cv2.applyColorMap(s, cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB) for s in scaled]
        for tile, raw in zip(tiles, images):
            tile[raw == 0] = 0
    elif stream == "flow":
        bound = float(spec.get("quantization", {}).get("bound", 20.0))
        fields = [dequantize_flow(q, bound) for q in images]
        # Colours span the motion present (the 99.9th percentile speed), not the clip bound,
        # or a small moving person would show as plain white; at least 2 px, so that the
        # +-1-level quantisation noise of a still background stays pale.
        speed = np.percentile(np.stack([np.hypot(f[..., 0], f[..., 1]) for f in fields]), 99.9)
        tiles = [flow_to_colour(f, max(float(speed), 2.0)) for f in fields]
    else:
        tiles = list(images)
    return [_tile(t) for t in tiles]


def contact_sheet(store: Store, index: int, columns: int = 8, streams: tuple[str, ...] | None = None) -> np.ndarray:
    """A contact sheet of sample ``index``: uint8 RGB ``[H, W, 3]``.

    Args:
        store: A video store.
        index: Sample index.
        columns: Frames shown per stream.
        streams: Streams to show (default: every encoded stream of the store).

    Raises:
        ValueError: the store has no video stream to show.
    """
    names = [s for s in (streams or store.stream_names) if store.is_encoded(s)]
    if not names:
        raise ValueError(f"{store.path}: no video stream to show (streams: {', '.join(store.stream_names)})")
    n = int(store.samples["frames"][index])
    rows = []
    for name in names:
        last_empty = bool(store.attrs["streams"][name].get("last_frame_empty"))
        picked = sheet_frames(n, columns, last_empty)
        tiles = render_stream(store, index, name, picked) if len(picked) else []
        body = np.concatenate(tiles, axis=1) if tiles else np.zeros((TILE_HEIGHT, TILE_HEIGHT, 3), np.uint8)
        label = np.full((TILE_HEIGHT, LABEL_WIDTH, 3), 255, np.uint8)
        cv2.putText(label, name, (4, TILE_HEIGHT // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        rows.append(np.concatenate([label, body], axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    title = np.full((TITLE_HEIGHT, width, 3), 255, np.uint8)
    name = str(store.samples["name"][index])
    label = int(store.samples["label"][index])
    text = f"{store.dataset} #{index} {name}  label {label} ({store.classes[label]})  {n} frames"
    cv2.putText(title, text, (4, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([title, *rows], axis=0)


def write_png(image: np.ndarray, path) -> None:
    """Write an RGB uint8 image as PNG (raises OSError naming the path on failure)."""
    ok = cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"{path}: could not write the PNG")
