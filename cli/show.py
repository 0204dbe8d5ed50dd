"""``actionkit show`` on a skeleton store: an animation (GIF / MP4) or a strip of frames (PNG) of one sample."""

from __future__ import annotations

from pathlib import Path

from actionkit.cli.display import console, fail


def show_skeleton(opened, index: int, out: Path | None, fmt: str, sheet: bool, columns: int,
                  stream: str = "joint") -> None:
    """Draw sample ``index`` of an open skeleton store and write it; print what was written.

    Args:
        opened: The open store.
        index: The sample.
        out: The file (default ``<sample name>.gif`` / ``.mp4`` / ``.png``).
        fmt: ``gif`` or ``mp4`` (the animation).
        sheet: Write a PNG strip of ``columns`` evenly spaced frames instead.
        columns: Frames of the strip.
        stream: The skeleton stream drawn.
    """
    from actionkit.results.skeleton_view import FORMATS, animation_frames, skeleton_sheet, write_animation, write_png

    name = str(opened.samples["name"][index])
    try:
        if sheet:
            image = skeleton_sheet(opened, index, columns, stream)
            path = write_png(image, out or Path(f"{name}.png"))
            console.print(f"wrote {path} ({image.shape[1]}x{image.shape[0]}): sample {index} {name}, "
                          f"{columns} frames, front and side")
            return
        if fmt not in FORMATS:
            fail(f"--format {fmt}: choose one of {', '.join(FORMATS)}")
        frames = animation_frames(opened, index, stream)
        path = write_animation(frames, out or Path(f"{name}.{fmt}"))
    except (ValueError, OSError) as exc:
        fail(str(exc))
    h, w = frames[0].shape[:2]
    console.print(f"wrote {path} ({w}x{h}, {len(frames)} frames): sample {index} {name}, front and side")
