"""A procedural NTU RGB+D skeleton dataset, written in the genuine ``.skeleton`` format.

``actionkit demo`` and the benchmarks need NTU-style input without a download. This
package animates Kinect v2 skeletons (25 joints, camera space in metres, ``y`` up,
``z`` away from the sensor) with a small parametric motion model per action class and
writes them exactly as the genuine files are laid out (see
:mod:`~actionkit.synthetic.fileformat` for the layout and number format).

Public API:

* :data:`ACTIONS` - the animated classes, keyed by their genuine 1-based NTU-60 id.
* :func:`generate_ntu_dataset` - write ``SsssCcccPpppRrrrAaaa.skeleton`` files.
* :func:`generate_file_bytes` - one file's bytes in memory (for benchmarks).
* :func:`generate_sample` - one sample as :class:`BodyTrack` arrays.
* :func:`format_skeleton_file` (per-frame :class:`Body` lists), :func:`format_tracks`
  (whole :class:`BodyTrack` arrays, fast) and :func:`format_number` - the writer.

Everything is deterministic for a given :class:`numpy.random.Generator` state or seed.

Modules:

* :mod:`~actionkit.synthetic.fileformat` - the ``.skeleton`` writer, number format, camera.
* :mod:`~actionkit.synthetic.skeleton` - pose parameters to joints, bone orientations.
* :mod:`~actionkit.synthetic.motion` - easing curves, keyframes, idle sway, gait.
* :mod:`~actionkit.synthetic.actions` - the action table and per-class motion programs.
* :mod:`~actionkit.synthetic.sensor` - Kinect sensor artefacts (jitter, inferred joints).
* :mod:`~actionkit.synthetic.dataset` - samples, scenes, file names and splits.
"""

from __future__ import annotations

from actionkit.synthetic.actions import ACTIONS, Action
from actionkit.synthetic.dataset import (
    NTU60_XSUB_TRAIN_PERFORMERS,
    SyntheticSample,
    generate_file_bytes,
    generate_ntu_dataset,
    generate_sample,
    sample_name,
)
from actionkit.synthetic.fileformat import (
    KINECT_V2,
    Body,
    BodyTrack,
    Camera,
    format_number,
    format_skeleton_file,
    format_tracks,
)
from actionkit.synthetic.motion import FPS as FPS  # importable as before; not in __all__
from actionkit.synthetic.skeleton import JOINT_NAMES, bone_orientations
from actionkit.synthetic.skeleton import NUM_JOINTS as NUM_JOINTS  # importable as before; not in __all__

__all__ = [
    "ACTIONS",
    "Action",
    "BodyTrack",
    "Camera",
    "JOINT_NAMES",
    "KINECT_V2",
    "bone_orientations",
    "NTU60_XSUB_TRAIN_PERFORMERS",
    "SyntheticSample",
    "format_number",
    "Body",
    "format_skeleton_file",
    "format_tracks",
    "generate_file_bytes",
    "generate_ntu_dataset",
    "generate_sample",
    "sample_name",
]
