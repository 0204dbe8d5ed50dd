"""Every dataset of ``actionkit prepare``, built through the registry from a minimal fixture in its genuine layout.

The per-source tests read the formats in depth (genuine files where the shared data has
them); this one checks the registry's wiring: each entry builds its source from the raw
folder and the prepare options, and that source finds the fixture's samples, names and
labels, and puts each sample in the split parts its ids imply by the dataset's
conventions (NTU's training performers, cameras and setups, NW-UCLA's and UWA3D II's
views, PKU-MMD's split files, Kinetics', SSv2's and UCF-101's lists). Video files here are
empty stand-ins: a scan reads names, not frames.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from actionkit.sources.registry import DATASETS, SourceOptions, get_dataset
from actionkit.synthetic import generate_ntu_dataset


def touch(path: Path, data: bytes = b"") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def ntu(root: Path, dataset: str) -> tuple[Path, SourceOptions]:
    generate_ntu_dataset(root, samples_per_class=2, seed=0, classes=[8, 10], frames=(8, 10))
    if dataset == "ntu120":
        (root / "S018C001P008R001A010.skeleton").write_bytes((root / sorted(p.name for p in root.iterdir())[0])
                                                               .read_bytes())  # fmt: skip
    return root, SourceOptions(bodies="energy")


def nwucla(root: Path) -> tuple[Path, SourceOptions]:
    for name, label in (("a01_s01_e00_v01", 1), ("a12_s02_e01_v03", 10)):
        skeletons = np.zeros((2, 20, 3)).tolist()
        touch(root / f"{name}.json", json.dumps({"file_name": name, "skeletons": skeletons, "label": label}).encode())
    return root, SourceOptions()


def pkummd(root: Path, phase: int) -> tuple[Path, SourceOptions]:
    # PKU-MMD: <sequence>.txt of 150 numbers a frame (2 bodies x 25 joints x xyz) under skeleton/,
    # its label file "action,start,end,confidence" under label/ (or Train_Label_PKU_final/), and the
    # split files (phase 1: cross-subject.txt, cross-view.txt; phase 2: cross_subject_v2.txt, ...).
    first, second = ("0002-L", "0291-M") if phase == 1 else ("A01N01-L", "A05N02-M")
    row = " ".join(["0.1"] * 150)
    for seq in (first, second):
        touch(root / "skeleton" / f"{seq}.txt", ("\n".join([row] * 12) + "\n").encode())
        touch(root / "label" / f"{seq}.txt", b"3,1,6,1\n7,5,12,2\n")
    suffix, sep = ("", "-") if phase == 1 else ("_v2", "_")
    for name, train, test in (("subject", first, second), ("view", second, first)):  # the L view is the test view
        text = f"Training videos: \n{train}, \nValidataion videos: \n{test}, \n"  # the dataset's own spelling
        touch(root / "split" / f"cross{sep}{name}{suffix}.txt", text.encode())
    return root, SourceOptions(label_frame_base=0, bodies="first")


def nwucla_rgbd(root: Path) -> tuple[Path, SourceOptions]:
    for view, clip in ((1, "a01_s01_e00"), (3, "a12_s02_e01")):
        for n in (0, 1):
            touch(root / "multiview_action" / f"view_{view}" / clip / f"frame_{n}_tc_{100 + n}_rgb.jpg")
            touch(root / "multiview_action" / f"view_{view}" / clip / f"frame_{n}_tc_{101 + n}_depth.png")
    return root / "multiview_action", SourceOptions(align="truncate")


def ntu_rgbd(root: Path, dataset: str) -> tuple[Path, SourceOptions]:
    names = ["S001C001P001R001A001", "S002C003P003R002A060"] + (["S018C001P008R001A061"] if dataset == "ntu120" else [])
    for name in names:
        touch(root / "nturgb+d_rgb" / f"{name}_rgb.avi")
        touch(root / "nturgb+d_depth_masked" / name / "MDepth-00000001.png")
    return root, SourceOptions()


def kinetics(root: Path) -> tuple[Path, SourceOptions]:
    rows = [("abseiling", "0347ZoDXyP0", 102, 112, "train"), ("zumba", "zzzzE0ncP1Y", 4, 14, "val")]
    touch(root / "annotations" / "train.csv", ("label,youtube_id,time_start,time_end,split\n" + "".join(
        f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]}\n" for r in rows[:1])).encode())  # fmt: skip
    touch(root / "annotations" / "validate.csv", ("label,youtube_id,time_start,time_end,split\n" + "".join(
        f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]}\n" for r in rows[1:])).encode())  # fmt: skip
    for label, vid, start, end, _ in rows:
        touch(root / "clips" / label / f"{vid}_{start:06d}_{end:06d}.mp4")
    return root / "clips", SourceOptions(annotations=root / "annotations")


def ssv2(root: Path) -> tuple[Path, SourceOptions]:
    labels = root / "labels"
    touch(labels / "something-something-v2-labels.json",
          json.dumps({"Holding something next to something": "0", "Spinning something": "1"}).encode())
    train = [{"id": "10", "template": "Holding [something] next to [something]", "label": "x", "placeholders": []}]
    touch(labels / "something-something-v2-train.json", json.dumps(train).encode())
    touch(labels / "something-something-v2-validation.json", json.dumps(
        [{"id": "20", "template": "Spinning [something]", "label": "y", "placeholders": []}]).encode())
    touch(labels / "something-something-v2-test.json", b"[]")
    for vid in ("10", "20"):
        touch(root / "videos" / f"{vid}.webm")
    return root / "videos", SourceOptions(annotations=labels)


def uwa3d(root: Path) -> tuple[Path, SourceOptions]:
    for clip in ("a01_s01_v01_e00", "a30_s10_v04_e02"):
        touch(root / clip / "001.jpg")
        touch(root / clip / "001.png")
    return root, SourceOptions(align="truncate")


def ucf101(root: Path) -> tuple[Path, SourceOptions]:
    videos = ["v_ApplyEyeMakeup_g08_c01.avi", "v_YoYo_g01_c01.avi"]
    for video in videos:
        touch(root / "UCF-101" / video.split("_")[1] / video)
    lists = root / "ucfTrainTestlist"
    touch(lists / "classInd.txt", b"1 ApplyEyeMakeup\n2 YoYo\n")
    touch(lists / "trainlist01.txt", b"ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\n")
    touch(lists / "testlist01.txt", b"YoYo/v_YoYo_g01_c01.avi\n")
    return root / "UCF-101", SourceOptions(annotations=lists)


def custom(root: Path) -> tuple[Path, SourceOptions]:
    # docs/custom.md: one .npy per sample ([T, V, C] for one body), a labels CSV with class names.
    for name in ("s01_e01_a01", "s02_e01_a02"):
        root.mkdir(parents=True, exist_ok=True)
        np.save(root / f"{name}.npy", np.zeros((4, 20, 3), np.float32))
    labels = root.parent / "labels.csv"
    labels.write_text("name,label,subject,xsub\ns01_e01_a01,walk,1,train\ns02_e01_a02,wave,2,test\n")
    classes = root.parent / "classes.txt"
    classes.write_text("wave\nwalk\n")
    return root, SourceOptions(layout="kinect-v1-20", annotations=labels, classes=classes)


FIXTURES = {
    "ntu60": lambda r: ntu(r, "ntu60"), "ntu120": lambda r: ntu(r, "ntu120"),
    "pkummd1": lambda r: pkummd(r, 1), "pkummd2": lambda r: pkummd(r, 2), "nwucla": nwucla,
    "nwucla-rgbd": nwucla_rgbd, "ntu60-rgbd": lambda r: ntu_rgbd(r, "ntu60"),
    "ntu120-rgbd": lambda r: ntu_rgbd(r, "ntu120"), "kinetics400": kinetics, "uwa3d2-rgbd": uwa3d, "ssv2": ssv2,
    "ucf101": ucf101, "custom": custom,
}  # fmt: skip

#: What each fixture holds: samples found by the scan, and the first and last (name, 0-based label) by
#: name, as the dataset's conventions say (NTU's A008 is class 7; NW-UCLA's a12 the 10th of its
#: 10 actions; PKU-MMD's label file counts from 1; UWA3D II's a30 is class 29; ...).
EXPECTED = {
    "ntu60": (4, ("S009C001P031R001A008", 7), ("S011C002P024R001A010", 9)),
    "ntu120": (5, ("S009C001P031R001A008", 7), ("S018C001P008R001A010", 9)),
    "pkummd1": (4, ("0002-L_000", 2), ("0291-M_001", 6)),
    "pkummd2": (4, ("A01N01-L_000", 2), ("A05N02-M_001", 6)),
    "nwucla": (2, ("a01_s01_e00_v01", 0), ("a12_s02_e01_v03", 9)),
    "nwucla-rgbd": (2, ("a01_s01_e00_v01", 0), ("a12_s02_e01_v03", 9)),
    "ntu60-rgbd": (2, ("S001C001P001R001A001", 0), ("S002C003P003R002A060", 59)),
    "ntu120-rgbd": (3, ("S001C001P001R001A001", 0), ("S018C001P008R001A061", 60)),
    "kinetics400": (2, ("0347ZoDXyP0_000102_000112", 0), ("zzzzE0ncP1Y_000004_000014", 1)),
    "uwa3d2-rgbd": (2, ("a01_s01_v01_e00", 0), ("a30_s10_v04_e02", 29)),
    "ssv2": (2, ("10", 0), ("20", 1)),
    "ucf101": (2, ("v_ApplyEyeMakeup_g08_c01", 0), ("v_YoYo_g01_c01", 1)),
    "custom": (2, ("s01_e01_a01", 1), ("s02_e01_a02", 0)),  # --classes: line i is label i
}


NTU60 = ("S009C001P031R001A008", "S009C002P036R001A008", "S011C001P017R001A010", "S011C002P024R001A010")
NTU_RGBD = ("S001C001P001R001A001", "S002C003P003R002A060", "S018C001P008R001A061")
UWA_V1, UWA_V4 = "a01_s01_v01_e00", "a30_s10_v04_e02"

#: Each fixture's split parts, by sample name, as the dataset's conventions put them: NTU
#: cross-subject by the 20 (NTU-120: 53) training performers (P031, P017, P008, P001 train;
#: P036, P024, P003 test), cross-view by camera (C002, C003 train, C001 test), cross-setup by
#: setup (even train); NW-UCLA views 1-2 train, 3 test; UWA3D II ``xviewIJ`` trains on views I
#: and J, tests on each other; the rest from the fixture's own split files and lists.
SPLITS = {
    "ntu60": {"xsub": {"train": NTU60[0::2], "test": NTU60[1::2]},
              "xview": {"train": NTU60[1::2], "test": NTU60[0::2]}},
    "ntu120": {"xsub": {"train": (*NTU60[0::2], "S018C001P008R001A010"), "test": NTU60[1::2]},
               "xset": {"train": ("S018C001P008R001A010",), "test": NTU60}},
    "pkummd1": {"xsub": {"train": ("0002-L_000", "0002-L_001"), "test": ("0291-M_000", "0291-M_001")},
                "xview": {"train": ("0291-M_000", "0291-M_001"), "test": ("0002-L_000", "0002-L_001")}},
    "pkummd2": {"xsub": {"train": ("A01N01-L_000", "A01N01-L_001"), "test": ("A05N02-M_000", "A05N02-M_001")},
                "xview": {"train": ("A05N02-M_000", "A05N02-M_001"), "test": ("A01N01-L_000", "A01N01-L_001")}},
    "nwucla": {"xview": {"train": ("a01_s01_e00_v01",), "test": ("a12_s02_e01_v03",)}},
    "nwucla-rgbd": {"xview": {"train": ("a01_s01_e00_v01",), "test": ("a12_s02_e01_v03",)}},
    "ntu60-rgbd": {"xsub": {"train": NTU_RGBD[:1], "test": NTU_RGBD[1:2]},
                   "xview": {"train": NTU_RGBD[1:2], "test": NTU_RGBD[:1]}},
    "ntu120-rgbd": {"xsub": {"train": NTU_RGBD[0::2], "test": NTU_RGBD[1:2]},
                    "xset": {"train": NTU_RGBD[1:], "test": NTU_RGBD[:1]}},
    "kinetics400": {"official": {"train": ("0347ZoDXyP0_000102_000112",), "val": ("zzzzE0ncP1Y_000004_000014",)}},
    "uwa3d2-rgbd": {"xview12": {"train": (UWA_V1,), "test3": (), "test4": (UWA_V4,)},
                    "xview13": {"train": (UWA_V1,), "test2": (), "test4": (UWA_V4,)},
                    "xview14": {"train": (UWA_V1, UWA_V4), "test2": (), "test3": ()},
                    "xview23": {"train": (), "test1": (UWA_V1,), "test4": (UWA_V4,)},
                    "xview24": {"train": (UWA_V4,), "test1": (UWA_V1,), "test3": ()},
                    "xview34": {"train": (UWA_V4,), "test1": (UWA_V1,), "test2": ()}},
    "ssv2": {"official": {"train": ("10",), "val": ("20",)}},
    "ucf101": {"split1": {"train": ("v_ApplyEyeMakeup_g08_c01",), "test": ("v_YoYo_g01_c01",)}},
    "custom": {"xsub": {"train": ("s01_e01_a01",), "test": ("s02_e01_a02",)}},
}  # fmt: skip


def test_every_dataset_has_a_fixture():
    assert set(FIXTURES) == set(DATASETS) == set(EXPECTED) == set(SPLITS)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_registry_builds_a_source_that_scans_the_genuine_layout(name, tmp_path):
    raw, opts = FIXTURES[name](tmp_path / "raw")
    entry = get_dataset(name)
    source = entry.build([raw], opts)
    scan = source.scan()
    count, first, last = EXPECTED[name]
    found = sorted((r.name, r.label) for r in scan.refs)
    assert len(found) == count, (found, scan.excluded)
    assert (found[0], found[-1]) == (first, last)
    names = np.array([r.name for r in scan.refs])
    splits = source.splits(names, {f: np.array([r.ids[f] for r in scan.refs]) for f in source.id_fields})
    assert {protocol: {part: tuple(sorted(names[idx])) for part, idx in parts.items()}
            for protocol, parts in splits.items()} == SPLITS[name]  # fmt: skip
    for option in ("bodies", "label_frame_base", "align"):
        if hasattr(source, option) and getattr(opts, option) != getattr(SourceOptions(), option):
            assert getattr(source, option) == getattr(opts, option)  # the prepare option reached the source
