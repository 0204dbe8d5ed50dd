"""Every paper preset against the paper's stated settings, one row per value, each citing where the paper says it.

A row is ``(preset, "dotted.config.path", expected, "where the paper states it")``. Values the
paper does not state are not here: their choice and reasoning are in the presets' docstrings.
"""

from __future__ import annotations

import pytest

from actionkit.trainers.registry import get_method, resolve_config

I2MD_NTU = ("ntu60-xsub", "ntu60-xview", "ntu120-xsub", "ntu120-xset")
I2MD_ALL = (*I2MD_NTU, "pkummd2-xsub")
I2MD = [
    *[(p, "optim.name", "sgd", "I2MD 4.1.2: SGD optimizer") for p in I2MD_ALL],
    *[(p, "optim.lr", 0.01, "I2MD 4.1.2: initial learning rate 0.01") for p in I2MD_ALL],
    *[(p, "optim.momentum", 0.9, "I2MD 4.1.2: momentum 0.9") for p in I2MD_ALL],
    *[(p, "optim.weight_decay", 1e-4, "I2MD 4.1.2: weight decay 0.0001") for p in I2MD_ALL],
    *[(p, "data.batch_size", 256, "I2MD 4.1.2: batch size 256") for p in I2MD_ALL],
    *[(p, "run.epochs", 500, "I2MD 4.1.2: NTU, 500 epochs") for p in I2MD_NTU],
    *[(p, "optim.milestones", (400,), "I2MD 4.1.2: NTU, lr to 0.001 after 400 epochs") for p in I2MD_NTU],
    ("pkummd2-xsub", "run.epochs", 1000, "I2MD 4.1.2: PKU-MMD II, 1000 epochs"),
    ("pkummd2-xsub", "optim.milestones", (800,), "I2MD 4.1.2: PKU-MMD II, lr drop at 800"),
    *[(p, "model.queue_size", 16384, "I2MD 4.1.2: memory bank N = 16384") for p in I2MD_ALL],
    *[(p, "model.tau_c", 0.07, "I2MD 4.1.2: InfoNCE temperature 0.07") for p in I2MD_ALL],
    *[(p, "model.tau_t", 0.05, "I2MD 4.1.2: teacher temperature 0.05") for p in I2MD_ALL],
    *[(p, "model.tau_s", 0.1, "I2MD 4.1.2: student temperature 0.1") for p in I2MD_ALL],
    *[(p, "model.k_c", 8192, "I2MD 4.1.2: K_c = 8192") for p in I2MD_ALL],
    *[(p, "model.k_a", 64, "I2MD 4.1.2: K_a = 64") for p in I2MD_ALL],
    *[(p, "model.lambda_cmd", 0.5, "I2MD 4.1.2: lambda_1 of eq. 10 = 0.5") for p in I2MD_ALL],
    *[(p, "model.proj_dim", 128, "I2MD 4.1.2: 128-dimensional embedding") for p in I2MD_ALL],
    *[(p, "model.distill_warmup_epochs", 0, "I2MD eq. 10: every term from the start") for p in I2MD_ALL],
    *[(p, "model.cluster_warmup_epochs", 0, "I2MD eq. 10: every term from the start") for p in I2MD_ALL],
    *[(p, "augment.crop_min", 0.1, "I2MD 4.1.2: ISC's augmentations (temporal crop U[0.1, 1])") for p in I2MD_ALL],
    *[(p, "augment.crop_max", 1.0, "I2MD 4.1.2: ISC's augmentations (temporal crop U[0.1, 1])") for p in I2MD_ALL],
]

ASMA_ALL = ("ntu60-xsub", "ntu60-xview", "ntu120-xsub", "ntu120-xset", "pkummd1-xsub", "pkummd2-xsub")
ASMA = [
    *[(p, "optim.name", "adam", "ASMa 4, Implementation Details: Adam") for p in ASMA_ALL],
    *[(p, "optim.schedule", "cosine", "ASMa 4, Implementation Details: CosineAnnealing") for p in ASMA_ALL],
    *[(p, "run.epochs", 150, "ASMa 4, Implementation Details: 150 epochs") for p in ASMA_ALL],
    *[(p, "data.batch_size", 128, "ASMa 4, Implementation Details: batch size 128") for p in ASMA_ALL],
    *[(p, "optim.weight_decay", 1e-5, "ASMa 4, Implementation Details: weight decay 1e-5") for p in ASMA_ALL],
    *[(p, "optim.warmup_epochs", 10, "ASMa 4, Implementation Details: 10 warmup epochs") for p in ASMA_ALL],
    *[(p, "masking.joints", 9, "ASMa 4 and Appendix A.2: 9 joints masked") for p in ASMA_ALL],
    *[(p, "masking.frames", 10, "ASMa 4 and Appendix A.2: 10 frames masked") for p in ASMA_ALL],
    *[(p, "masking.mode", "asymmetric", "ASMa Algorithm 1") for p in ASMA_ALL],
    *[(p, "model.lambd", 2e-4, "ASMa 4: lambda = 2e-4") for p in ASMA_ALL],
    *[(p, "model.proj_dim", 6144, "ASMa 4: projected to a 6144-dimensional space") for p in ASMA_ALL],
    *[(p, "model.backbone", "stgcn16", "ASMa 4: ST-GCN with 16 hidden channels, 256-d output") for p in ASMA_ALL],
    *[(p, "augment.recipe", "asma", "ASMa 3.1: T = crop, rotation, flip; masked views") for p in ASMA_ALL],
]

DISTILL = [
    *[(p, "optim.lr", 1e-2, "ASMa 4, Knowledge Distillation: learning rate 1e-2") for p in ("ntu60-xsub", "ntu60-xview",
                                                                                             "ntu120-xsub")],
    *[(p, "run.epochs", 150, "ASMa 4, Knowledge Distillation: 150 epochs") for p in ("ntu60-xsub", "ntu60-xview",
                                                                                     "ntu120-xsub")],
    *[(p, "model.backbone", "stgcn5", "ASMa 4: 5 ST-GCN layers, spatial kernel 3, temporal 9")
      for p in ("ntu60-xsub", "ntu60-xview", "ntu120-xsub")],
    ("ntu60-xsub", "model.tau", 8.0, "ASMa 5.3, Fig. 4 left: tau 8 on NTU-60 x-sub"),
    ("ntu60-xview", "model.tau", 9.0, "ASMa 5.3, Fig. 4 left: tau 9 on NTU-60 x-view"),
    ("ntu120-xsub", "model.tau", 6.0, "ASMa 5.3, Fig. 4 left: tau 6 on NTU-120 x-sub"),
]

DMCL_ALL = ("nwucla-xview", "uwa3d2-view12", "ntu60-xsub", "ntu120-xsub")
DMCL = [
    *[(p, "optim.name", "sgd", "DMCL 4.2: SGD") for p in DMCL_ALL],
    *[(p, "optim.momentum", 0.9, "DMCL 4.2: momentum 0.9") for p in DMCL_ALL],
    *[(p, "optim.lr", 1e-3, "DMCL 4.2: learning rate 1e-3") for p in DMCL_ALL],
    *[(p, "data.segments", 8, "DMCL 4.2: 8 frames, TSN sampling") for p in DMCL_ALL],
    *[(p, "data.crop", 224, "DMCL 4.2: 224 x 224 crops") for p in DMCL_ALL],
    *[(p, "data.test_clips", 10, "DMCL 4.2: 10 clips per video at test time") for p in DMCL_ALL],
    *[(p, "loss.temperature", 2.0, "DMCL 4.2: T in {2, 5}") for p in DMCL_ALL],
    *[(p, "loss.lam", 0.5, "DMCL 4.2: lambda in {0.5, 1}") for p in DMCL_ALL],
    *[(p, "data.modalities", ("rgb", "depth", "flow"), "DMCL 4.1: RGB, depth and optical flow") for p in DMCL_ALL],
]

MML_ALL = ("ssv2", "ucf101-split1", "kinetics400")
MML = [
    *[(p, "optim.lr", 0.025, "MML 3.1: 0.025 initial learning rate") for p in MML_ALL],
    *[(p, "data.batch_size", 64, "MML 3.1: batch size 64") for p in MML_ALL],
    *[(p, "data.segments", 8, "MML 2.3 / TSM: T = 8 segments") for p in MML_ALL],
    *[(p, "data.sampling", "mixed", "MML 3.1: uniform and dense sampling, 50% each") for p in MML_ALL],
    *[(p, "data.crop", 224, "MML 3.1: 224 x 224 training crops") for p in MML_ALL],
    *[(p, "data.test_views", "uniform2+dense1", "MML Appendix 1: two uniform and one dense prediction")
      for p in MML_ALL],
    *[(p, "data.test_size", 256, "MML Appendix 1: central full-resolution crop; 3.1: 256 x 256 as in TSM")
      for p in MML_ALL],
    *[(p, "model.backbone", "tsm50", "MML 3.1: TSM + ResNet-50") for p in MML_ALL],
    *[(p, "model.kl_weight", 1.0, "MML eq. 4: CE plus the KL term, unweighted") for p in MML_ALL],
    ("ssv2", "data.flip", False, "MML 3.1 / TSM: no flips on Something-Something (labels name directions)"),
]

CMPL_ALL = ("kinetics400-1pct", "kinetics400-10pct", "ucf101-1pct", "ucf101-10pct")
CMPL = [
    *[(p, "optim.name", "sgd", "CMPL 4.1 Training: SGD") for p in CMPL_ALL],
    *[(p, "optim.momentum", 0.9, "CMPL 4.1 Training: momentum 0.9") for p in CMPL_ALL],
    *[(p, "optim.lr", 0.1, "CMPL 4.1 Training: base learning rate 0.1") for p in CMPL_ALL],
    *[(p, "optim.schedule", "cosine", "CMPL 4.1 Training: cosine scheduler") for p in CMPL_ALL],
    *[(p, "run.epochs", 200, "CMPL 4.1 Training: 200 training epochs") for p in CMPL_ALL],
    ("kinetics400-1pct", "optim.weight_decay", 1e-4, "CMPL 4.1 Training: weight decay 0.0001"),
    ("kinetics400-10pct", "optim.weight_decay", 1e-4, "CMPL 4.1 Training: weight decay 0.0001"),
    ("ucf101-1pct", "optim.weight_decay", 1e-3, "CMPL 4.1 Training: UCF-101 weight decay 0.001"),
    ("ucf101-10pct", "optim.weight_decay", 1e-3, "CMPL 4.1 Training: UCF-101 weight decay 0.001"),
    *[(p, "data.batch_size", 32, "CMPL 4.1 Training: 2 labelled per GPU x 16 GPUs") for p in CMPL_ALL],
    *[(p, "data.mu", 5, "CMPL 4.1 Training (10 vs 2 per GPU) and 4.3.2: B_u / B_l = 5") for p in CMPL_ALL],
    *[(p, "loss.tau", 0.9, "CMPL 4.1 Training: tau 0.9") for p in CMPL_ALL],
    *[(p, "data.time_offset", 10.0, "CMPL Table 2 (Temporal Loc) and Table 5: t_s = 10") for p in CMPL_ALL],
    *[(p, "data.primary_frames", 8, "CMPL 3.3 / Table A2: primary 8 x 8") for p in CMPL_ALL],
    *[(p, "data.primary_stride", 8, "CMPL 3.3 / Table A2: primary 8 x 8") for p in CMPL_ALL],
    *[(p, "data.aux_frames", 16, "CMPL 3.3: auxiliary 16 x 4 (faster frame rate)") for p in CMPL_ALL],
    *[(p, "data.aux_stride", 4, "CMPL 3.3: auxiliary 16 x 4 (faster frame rate)") for p in CMPL_ALL],
    *[(p, "data.crop", 224, "CMPL 4.1: 224 x 224 crops") for p in CMPL_ALL],
    *[(p, "data.test_clips", 10, "CMPL 4.1 Inference: 10 clips x 3 crops") for p in CMPL_ALL],
    *[(p, "model.primary", "resnet3d50", "CMPL Table A2: 3D-ResNet50 primary") for p in CMPL_ALL],
    *[(p, "model.aux_width", 0.25, "CMPL 3.2: the auxiliary has a quarter of the channels") for p in CMPL_ALL],
    *[(p, "loss.scheme", "cross", "CMPL eq. 4-5: each model's pseudo-labels train the other") for p in CMPL_ALL],
    ("kinetics400-1pct", "data.labeled", 0.01, "CMPL 4.1: 1% labelled"),
    ("kinetics400-10pct", "data.labeled", 0.1, "CMPL 4.1: 10% labelled"),
]

TABLE = [("i2md", *r) for r in I2MD] + [("asma", *r) for r in ASMA] + [("asma-distill", *r) for r in DISTILL] + \
    [("dmcl", *r) for r in DMCL] + [("mml", *r) for r in MML] + [("cmpl", *r) for r in CMPL]


def value(cfg, path: str):
    for part in path.split("."):
        cfg = getattr(cfg, part)
    return tuple(cfg) if isinstance(cfg, list) else cfg


@pytest.mark.parametrize(("method", "preset", "path", "expected", "source"), TABLE,
                         ids=[f"{m}-{p}-{k}" for m, p, k, *_ in TABLE])
def test_preset_matches_the_paper(method, preset, path, expected, source):
    cfg = get_method(method).presets[preset]()
    got = value(cfg, path)
    assert got == pytest.approx(expected) if isinstance(expected, float) else got == expected, \
        f"{method} --preset {preset}: {path} = {got!r}, the paper says {expected!r} ({source})"


def test_every_paper_preset_has_rows():
    """A new paper preset cannot go untested: every preset but the CPU ones appears in the table."""
    for method in ("i2md", "asma", "asma-distill", "dmcl", "mml", "cmpl"):
        presets = {p for p in get_method(method).presets if not p.endswith("-cpu")}
        assert presets == {p for m, p, *_ in TABLE if m == method}, method


def test_cmd_variant_takes_the_cmd_release_settings():
    """CMD (the conference version, released code): 451 epochs, drop at 351, batch 64, cross-modal weight 1."""
    cfg = resolve_config("i2md", "ntu60-xsub", [], None, variant="cmd")
    assert (cfg.run.epochs, cfg.optim.milestones, cfg.data.batch_size, cfg.model.lambda_cmd) == (451, (351,), 64, 1.0)
    assert (cfg.model.backbone, cfg.model.imd, cfg.augment.crop_min) == ("gru", False, 0.1)
    pku = resolve_config("i2md", "pkummd2-xsub", [], None, variant="cmd")
    assert (pku.run.epochs, pku.optim.milestones, pku.data.batch_size) == (1000, (800,), 64)
