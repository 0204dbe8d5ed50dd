"""The contract between a raw-dataset source and the prepare pipeline.

A source walks a raw download (cheaply, names only) and yields :class:`SampleRef`
records in a deterministic order; worker processes then call :meth:`SkeletonSource.read`
on each reference to get the sample's joints (:meth:`VideoSource.read`: its frames).
Everything a source hands to workers is
picklable, and a source opens its files lazily so that it behaves after ``fork``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from actionkit.layouts import Layout
from actionkit.reports import Skip


class SampleError(Exception):
    """A raw sample that cannot be used.

    The pipeline skips the sample and records ``reason`` with the sample's path in the
    end-of-run report and in the store's attributes (``--strict`` makes it fatal).
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SampleNote(UserWarning):
    """Something a user should know about a stored sample that is no reason to skip it.

    Sources issue it with ``warnings.warn(SampleNote(text))`` from ``read`` (a PKU-MMD
    label that runs past its sequence, a body-selection fallback); the pipeline collects
    it with the sample's name and path into the report and the store's attributes
    (as :class:`actionkit.reports.Note`).
    """


@dataclass(frozen=True)
class SampleRef:
    """One sample of a raw dataset, as found by a scan.

    Attributes:
        name: Unique sample name (e.g. ``S001C001P001R001A001``).
        label: 0-based class index.
        ids: The dataset's integer ids (setup, camera, performer, view, ...), keyed by
            the source's ``id_fields``.
        locator: Where to read the sample; opaque to the pipeline, picklable.
        display: The sample's path as shown to users (``archive.zip::member`` for zips).
    """

    name: str
    label: int
    ids: dict[str, int]
    locator: Any
    display: str


@dataclass
class ScanResult:
    """What a scan of a raw download found.

    Attributes:
        refs: Samples to read, in the order they will be stored (sorted by name).
        skipped: Samples rejected during the scan (duplicate names, unsafe zip paths,
            unreadable label lines, ...), each with its reason.
        excluded: Counts of samples left out by the dataset's own rules, by rule (e.g.
            ``{"official missing-skeleton list": 302, "setup outside S001-S017": 57600}``).
        files: Number of raw files the scan looked at.
        fingerprint: A digest of the raw files' names and sizes; equal for a zip and
            the folder it unpacks to.
    """

    refs: list[SampleRef]
    skipped: list[Skip] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    files: int = 0
    fingerprint: str = ""


class SkeletonSource(abc.ABC):
    """A raw skeleton dataset family (NTU, PKU-MMD, NW-UCLA, ...).

    Class attributes set by each subclass:
        dataset: Store id, e.g. ``"ntu60"``.
        layout: The skeleton layout of the stored joints.
        max_bodies: Bodies per frame in the stored streams (M).
        classes: Class names, index = label.
        id_fields: Names of the integer id fields every :class:`SampleRef` carries.

    Instance attribute:
        warnings: Problems that drop no sample (a missing split file, ...), filled by
            ``scan`` and ``splits``; recorded in the store's attributes.
    """

    dataset: str
    layout: Layout
    max_bodies: int
    classes: tuple[str, ...]
    id_fields: tuple[str, ...]
    warnings: list[str] | tuple[str, ...] = ()

    @abc.abstractmethod
    def scan(self) -> ScanResult:
        """Find every sample of the raw download (names and metadata only)."""

    @abc.abstractmethod
    def read(self, ref: SampleRef) -> np.ndarray:
        """Read one sample's joints.

        Runs in worker processes. Must not depend on state created in another process.

        Returns:
            float32 array ``[frames, max_bodies, joints, 3]``, raw camera coordinates,
            absent bodies as zeros.

        Raises:
            SampleError: the sample is malformed; ``reason`` says how.
        """

    @abc.abstractmethod
    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        """The dataset's evaluation protocols over the stored samples.

        Args:
            names: ``[N]`` stored sample names, in store order.
            ids: Each id field as an ``[N]`` int array, in store order.

        Returns:
            ``{protocol: {part: sorted int32 indices}}``, e.g. ``{"xsub": {"train": ..., "test": ...}}``.
        """

    def options(self) -> dict[str, Any]:
        """Options that change the stored arrays (recorded in the store's provenance)."""
        return {}


@dataclass
class VideoClip:
    """One sample's raw frames, as a video source reads them.

    Attributes:
        fps: Frames per second of the recording (0.0 when unknown).
        modalities: For each requested raw modality, the frames in order, lazily:
            ``rgb`` uint8 ``[H, W, 3]`` (RGB order), ``depth`` uint16 ``[H, W]``
            (millimetres). Frame t of each modality shows the same instant (the source
            aligns them).
        truncate: When the modalities' counts cannot be known before decoding (a video
            beside a folder of depth maps), stop at the shortest and note it; otherwise
            unequal counts make the sample unusable.
    """

    fps: float
    modalities: dict[str, Iterable[np.ndarray]]
    truncate: bool = False


class VideoSource(abc.ABC):
    """A raw video dataset (NW-UCLA RGB-D, UCF-101, NTU RGB+D videos, ...).

    Class attributes set by each subclass:
        dataset: Store id, e.g. ``"nwucla-rgbd"``.
        classes: Class names, index = label.
        id_fields: Names of the integer id fields every :class:`SampleRef` carries.
        modalities: The raw modalities the dataset has (``("rgb", "depth")``, ``("rgb",)``).

    Instance attribute:
        warnings: Problems that drop no sample, filled by ``scan`` and ``splits``.
    """

    dataset: str
    classes: tuple[str, ...]
    id_fields: tuple[str, ...]
    modalities: tuple[str, ...]
    warnings: list[str] | tuple[str, ...] = ()

    @abc.abstractmethod
    def scan(self) -> ScanResult:
        """Find every sample of the raw download (names and metadata only)."""

    @abc.abstractmethod
    def read(self, ref: SampleRef, modalities: tuple[str, ...]) -> VideoClip:
        """Open one sample's frames of ``modalities`` (a subset of :attr:`modalities`).

        Runs in worker processes; frames are decoded as the clip's iterables are consumed,
        so a long video never sits in memory whole.

        Raises:
            SampleError: the sample is unusable (no frames, modalities that cannot be
                aligned, an unreadable file); the reason names the file. Problems found
                while iterating raise it too.
        """

    @abc.abstractmethod
    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        """The dataset's evaluation protocols over the stored samples (see :class:`SkeletonSource`)."""

    def options(self) -> dict[str, Any]:
        """Options that change the stored frames (recorded in the store's provenance)."""
        return {}

    def encoded_video(self, ref: SampleRef) -> bytes:
        """The sample's video file as downloaded, for stores that keep videos whole.

        Raises:
            SampleError: unreadable file.
            NotImplementedError: the dataset is not distributed as video files.
        """
        raise NotImplementedError(f"{self.dataset} is not distributed as video files: store it as frames")
