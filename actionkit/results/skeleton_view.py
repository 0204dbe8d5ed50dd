"""Skeleton samples drawn for people: an animation (GIF / MP4) and a strip of frames (PNG).

Each picture shows the sample's bodies twice: from the front (x across, y up) and from
the side (z, the depth, across, y up), bones drawn from the store's layout (joint to
parent), each body in its own colour, with the same axis limits over the whole sample.
A body whose joints are all zero in a frame (absent) is not drawn. Drawing is
matplotlib's (Agg canvas); GIF writing is Pillow's, MP4 imageio's (PyAV, H.264).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actionkit.store.reader import Store

#: Pixels per inch of the drawn frames.
DPI = 100
#: Frame rate of the animations (NW-UCLA and NTU are recorded at about 30 fps).
FPS = 15
FORMATS = ("gif", "mp4")


def bones(parents: tuple[int, ...] | np.ndarray, center: int) -> np.ndarray:
    """``(E, 2)`` joint pairs ``(child, parent)``: every joint but the centre to its parent."""
    return np.array([(v, int(p)) for v, p in enumerate(parents) if v != center], dtype=np.int64).reshape(-1, 2)


def _limits(joints: np.ndarray, axis: int) -> tuple[float, float]:
    present = joints[np.abs(joints).sum(-1) > 0]
    if not len(present):
        return -1.0, 1.0
    lo, hi = float(present[:, axis].min()), float(present[:, axis].max())
    pad = 0.08 * max(hi - lo, 1e-3)
    return float(lo - pad), float(hi + pad)


class SkeletonPainter:
    """Draws frames of one skeleton sample ``[T, M, V, 3]`` onto a reused figure.

    Args:
        joints: ``(T, M, V, 3)`` float coordinates (x right, y up, z depth).
        pairs: ``(E, 2)`` bone joint pairs (:func:`bones`).
        title: The figure's title (sample name and class).
        size: Inches per view (the image is ``2 * size[0] * DPI`` by ``size[1] * DPI`` pixels).
    """

    def __init__(self, joints: np.ndarray, pairs: np.ndarray, title: str, size: tuple[float, float] = (3.2, 3.6)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure

        self.joints = np.asarray(joints, dtype=np.float32)
        self.pairs = pairs
        self.title = title
        self.fig = Figure(figsize=(2 * size[0], size[1]), dpi=DPI)
        self.fig.subplots_adjust(left=0.03, right=0.97, bottom=0.04, top=0.84, wspace=0.08)
        self.axes = self.fig.subplots(1, 2)
        y = _limits(self.joints, 1)
        self.lines, self.dots = [], []
        for ax, (name, axis) in zip(self.axes, (("front (x, y)", 0), ("side (z, y)", 2))):
            ax.set_xlim(*_limits(self.joints, axis))
            ax.set_ylim(*y)
            ax.set_aspect("equal", adjustable="box")
            ax.set_title(name, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            lines, dots = [], []
            for m in range(self.joints.shape[1]):
                colour = f"C{m}"
                lc = LineCollection([], colors=colour, linewidths=2.2)
                ax.add_collection(lc)
                lines.append(lc)
                dots.append(ax.scatter([], [], s=9, color=colour, zorder=3))
            self.lines.append(lines)
            self.dots.append(dots)
        self.heading = self.fig.suptitle("", fontsize=9)
        self.canvas = FigureCanvasAgg(self.fig)

    def render(self, t: int) -> np.ndarray:
        """Frame ``t`` drawn: ``(H, W, 3)`` uint8 RGB."""
        frame = self.joints[t]
        for view, axis in enumerate((0, 2)):
            for m, body in enumerate(frame):
                present = np.abs(body).sum() > 0
                pts = body[:, [axis, 1]] if present else np.zeros((0, 2))
                segs = pts[self.pairs] if present else np.zeros((0, 2, 2))
                self.lines[view][m].set_segments(segs)
                self.dots[view][m].set_offsets(pts)
        self.heading.set_text(f"{self.title}\nframe {t + 1}/{len(self.joints)}")
        self.canvas.draw()
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()


def sample_title(store: Store, index: int) -> str:
    """``<dataset> #<index> <name>  class <label> (<class name>)``."""
    label = int(store.samples["label"][index])
    return f"{store.dataset} #{index} {store.samples['name'][index]}  class {label} ({store.classes[label]})"


def _painter(store: Store, index: int, stream: str) -> SkeletonPainter:
    if store.attrs.get("kind") != "skeleton":
        raise ValueError(f"{store.path}: a {store.attrs.get('kind')!r} store; skeleton drawings need a skeleton store")
    if stream not in store.stream_names:
        raise ValueError(f"{store.path}: no stream {stream!r}; streams: {', '.join(store.stream_names)}")
    joints = np.asarray(store.sample(index, streams=(stream,))[stream])
    layout = store.layout
    return SkeletonPainter(joints, bones(layout.parents, layout.center), sample_title(store, index))


def animation_frames(store: Store, index: int, stream: str = "joint", max_frames: int = 120) -> list[np.ndarray]:
    """The sample's frames drawn (at most ``max_frames``, evenly spaced): RGB uint8 images."""
    painter = _painter(store, index, stream)
    n = len(painter.joints)
    picked = np.unique(np.linspace(0, n - 1, num=min(n, max_frames)).round().astype(int)) if n else []
    return [painter.render(int(t)) for t in picked]


def write_animation(frames: list[np.ndarray], path: str | Path, fps: int = FPS) -> Path:
    """Write frames as an animated GIF (Pillow, looping) or an MP4 (imageio with PyAV, H.264) by suffix.

    Raises:
        ValueError: no frames, or a suffix other than .gif / .mp4.
        OSError: the MP4 encoder is missing (names what to install).
    """
    path = Path(path)
    if not frames:
        raise ValueError(f"{path}: no frames to write")
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"{path}: write .gif or .mp4")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == "gif":
        from PIL import Image

        images = [Image.fromarray(f) for f in frames]
        images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
        return path
    try:
        import imageio.v3 as iio

        # H.264 wants even sides
        h, w = (s - s % 2 for s in frames[0].shape[:2])
        iio.imwrite(path, np.stack([f[:h, :w] for f in frames]), plugin="pyav", codec="libx264", fps=fps)
    except ImportError as exc:
        raise OSError(f"{path}: MP4 needs imageio and av (pip install 'actionkit[report]'): {exc}") from None
    return path


def skeleton_sheet(store: Store, index: int, columns: int = 8, stream: str = "joint") -> np.ndarray:
    """A strip of ``columns`` evenly spaced frames: front views in the top row, side views below.

    Returns:
        RGB uint8 ``(H, W, 3)``: ``columns * 1.6`` by 4 inches at :data:`DPI`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    from actionkit.video.sheet import sheet_frames

    painter = _painter(store, index, stream)
    joints, pairs = painter.joints, painter.pairs
    picked = sheet_frames(len(joints), columns)
    fig = Figure(figsize=(1.6 * max(len(picked), 1), 4.0), dpi=DPI)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.86, wspace=0.04, hspace=0.12)
    axes = np.asarray(fig.subplots(2, max(len(picked), 1), squeeze=False))
    y = _limits(joints, 1)
    for row, (axis, view) in enumerate(((0, "front"), (2, "side"))):
        x = _limits(joints, axis)
        for col, t in enumerate(picked):
            ax = axes[row, col]
            ax.set_xlim(*x)
            ax.set_ylim(*y)
            ax.set_aspect("equal", adjustable="box")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"frame {int(t) + 1}", fontsize=8)
            if col == 0:
                ax.set_ylabel(view, fontsize=8)
            for m, body in enumerate(joints[t]):
                if np.abs(body).sum() == 0:
                    continue
                pts = body[:, [axis, 1]]
                ax.add_collection(LineCollection(pts[pairs], colors=f"C{m}", linewidths=1.8))
                ax.scatter(pts[:, 0], pts[:, 1], s=5, color=f"C{m}", zorder=3)
    fig.suptitle(f"{painter.title}  ({len(joints)} frames)", fontsize=9)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def write_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an RGB uint8 image as PNG (Pillow)."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)
    return path
