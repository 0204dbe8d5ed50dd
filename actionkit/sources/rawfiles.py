"""Raw downloads as users have them: folders, zip archives, or a folder of zip archives.

Files are listed without extracting anything and read lazily, one member at a time.
Open archive handles are kept per process, so a listing made before ``fork`` stays
valid in worker processes (a handle shared across ``fork`` would share its file offset).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from actionkit.reports import Skip


class BadArchiveError(zipfile.BadZipFile, ValueError):
    """A zip archive of the raw download cannot be read (truncated, or not a zip); names it."""


@dataclass(frozen=True, order=True)
class RawFile:
    """One raw file: a plain file, or a member of a zip archive.

    Attributes:
        archive: The zip archive's path, or ``""`` for a plain file.
        path: The member name inside the archive, or the plain file's path.
        size: Uncompressed size in bytes.
    """

    archive: str
    path: str
    size: int

    @property
    def name(self) -> str:
        """The file name without folders (``S001C001P001R001A001.skeleton``)."""
        return PurePosixPath(self.path.replace("\\", "/")).name

    @property
    def display(self) -> str:
        """The path as shown to users: ``archive.zip::member`` for archive members."""
        return f"{self.archive}::{self.path}" if self.archive else self.path


@dataclass
class RawListing:
    """Files found under one or more raw paths, and members refused as unsafe."""

    files: list[RawFile]
    problems: list[Skip]


def _unsafe_member(name: str) -> str | None:
    """Why a zip member name is unsafe to use, or None."""
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return "unsafe path in zip archive (absolute path)"
    if ".." in PurePosixPath(posix).parts:
        return "unsafe path in zip archive (contains '..')"
    return None


def list_raw_files(roots: Iterable[Path], suffixes: tuple[str, ...]) -> RawListing:
    """List the files with one of ``suffixes`` under folders and inside zip archives.

    A root may be a file, a zip archive, or a folder; zip archives found inside a
    folder are listed too. Zip members with unsafe names (absolute, or with ``..``)
    are not listed but reported in ``problems``.

    Args:
        roots: Paths given by the user.
        suffixes: Lower-case file-name endings to keep, e.g. ``(".skeleton",)``.

    Returns:
        The files sorted by (archive, path), and the refused members.

    Raises:
        FileNotFoundError: a root does not exist.
        BadArchiveError: a zip archive is unreadable (the message names it and what to do).
    """
    files: list[RawFile] = []
    problems: list[Skip] = []

    def add_archive(archive: Path) -> None:
        try:
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if info.is_dir() or not info.filename.lower().endswith(suffixes):
                        continue
                    reason = _unsafe_member(info.filename)
                    if reason:
                        stem = PurePosixPath(info.filename.replace("\\", "/")).name
                        problems.append(Skip(stem.split(".")[0], f"{archive}::{info.filename}", reason))
                        continue
                    files.append(RawFile(str(archive), info.filename, info.file_size))
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BadArchiveError(f"{archive}: not a readable zip archive ({exc}); it may be truncated (an "
                                  f"interrupted download): download it again, or unpack it and pass the folder "
                                  f"with --raw") from None

    for root in roots:
        root = Path(root).expanduser()
        if not root.exists():
            raise FileNotFoundError(str(root))
        if root.is_file():
            if root.suffix.lower() == ".zip":
                add_archive(root)
            elif root.name.lower().endswith(suffixes):
                files.append(RawFile("", str(root), root.stat().st_size))
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            dirnames.sort()
            for fname in sorted(filenames):
                full = Path(dirpath) / fname
                low = fname.lower()
                if low.endswith(".zip"):
                    add_archive(full)
                elif low.endswith(suffixes):
                    try:
                        files.append(RawFile("", str(full), full.stat().st_size))
                    except OSError as exc:  # a broken link, a vanished file
                        problems.append(Skip(fname.split(".")[0], str(full), f"unreadable file ({exc.strerror})"))
    files.sort()
    return RawListing(files, problems)


_open_archives: dict[tuple[int, str], zipfile.ZipFile] = {}


def read_raw(file: RawFile) -> bytes:
    """Read a raw file's bytes (decompressing a zip member).

    Raises:
        OSError: the file cannot be read (the message names it).
    """
    if not file.archive:
        with open(file.path, "rb") as fh:
            return fh.read()
    key = (os.getpid(), file.archive)
    zf = _open_archives.get(key)
    if zf is None:
        for stale in [k for k in _open_archives if k[0] != key[0]]:
            del _open_archives[stale]  # inherited from a parent process: never use or close
        zf = zipfile.ZipFile(file.archive)
        _open_archives[key] = zf
    try:
        return zf.read(file.path)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise OSError(f"{file.display}: unreadable zip member ({exc})") from exc


def fingerprint(files: Iterable[RawFile]) -> str:
    """A digest of file names (without folders) and sizes.

    Equal for a zip archive and the folder it unpacks to, so that provenance does not
    depend on how the user keeps the download.
    """
    digest = hashlib.sha256()
    for name, size in sorted((f.name, f.size) for f in files):
        digest.update(f"{name}\t{size}\n".encode())
    return digest.hexdigest()[:16]
