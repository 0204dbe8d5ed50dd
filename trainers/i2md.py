"""I2MD and CMD: cross- and intra-modal mutual distillation (``actionkit train i2md``).

Mao et al., "I2MD: 3D Action Representation Learning with Inter- and Intra-modal
Mutual Distillation" (and its conference version CMD). Per modality (joint, motion,
bone; motion and bone derived from each augmented joint view on the device) a MoCo v2
pair: a query encoder trained by gradient, a momentum key encoder, a 2-layer MLP head to
128-d L2-normalised embeddings, InfoNCE against a queue of keys (eq. 1). On top:

- CMD (eq. 2-5): mutual distillation between modalities, over the top-K_c neighbours
  of the teacher's key in its queue (:func:`actionkit.losses.mutual_distillation`);
  the queues of all modalities are enqueued in lockstep, so position i of every queue
  holds the same sample's keys;
- IMD (eq. 7-9, GCN-Transformer only): the cluster-level branch is the same encoder
  run with cross-attention over the hidden embeddings of the top-K_a neighbours of the
  query (or key) in a memory of (key, hidden) pairs; cluster-level InfoNCE (eq. 7) and
  mutual distillation between the two branches (eq. 8). The cluster-level branch has
  its own queue of cluster-level keys, enqueued in lockstep with the instance-level one:
  eq. 7 draws its negatives from it and eq. 8 treats the two branches as CMD treats two
  modalities (each entity's similarities over its own memory, at the same positions).
  With the instance-level queue as eq. 7's negatives (``cluster_queue=False``, the
  literal reading of "the key embedding features of negative samples"), collapsing
  the whole cluster branch onto one point far from the instance keys drives eq. 7 to
  zero; on NW-UCLA it does (mean pairwise cosine 0.98-0.995), and eq. 8 then pulls the
  instance branch after it;
- total (eq. 10): sum over modalities of L_SCL + L_CCL + L_IMD, plus lambda_1 L_CMD.

Variants: ``i2md`` (GCN-Transformer, CMD + IMD), ``cmd`` (3-layer BiGRU, CMD only),
``moco`` (one modality, MoCo v2). Keys are gathered across processes before they are
enqueued (the reference code enqueues only its own rank's keys under DDP).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from actionkit import open_store
from actionkit.data import MultiView, SkeletonDataset, derive_streams
from actionkit.data.transforms import Normalize
from actionkit.data.views import CMDView, cmd_test_view
from actionkit.losses import distill, info_nce, mutual_distillation
from actionkit.models import MLPProjector, build_backbone
from actionkit.sources.registry import default_store
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.config import DataConfig, OptimConfig, RunConfig, from_dict
from actionkit.trainers.distributed import all_gather_cat
from actionkit.trainers.method import EncoderRecipe, LinearProtocol, Method
from actionkit.trainers.supervised import AugmentConfig, ModelConfig, SupervisedConfig

MODALITIES = ("joint", "motion", "bone")


@dataclass
class I2MDModelConfig:
    """Encoders, memories and losses.

    Attributes:
        backbone: ``gcn_transformer`` (I2MD) or ``gru`` (CMD); any skeleton backbone
            works without IMD.
        modalities: Modalities pre-trained together (joint is the evaluated one).
        cmd: Cross-modal mutual distillation.
        imd: Intra-modal mutual distillation (needs ``gcn_transformer``).
        distill_pairs: Which modalities teach which (Table 8): ``"joint<->motion"``
            (both ways), ``"joint<-bone"`` (bone teaches joint), ``"joint->bone"``.
            Empty: every pair of ``modalities``, both ways (eq. 5).
        width: Transformer width / GRU hidden size (0: the backbone's default).
        depth: Transformer layers / GRU layers (0: default).
        heads: Attention heads (0: default).
        ffn_dim: Transformer feed-forward width (0: default).
        gcn_channels: Channels of the GCN-Transformer's ST-GCN blocks that embed each
            frame (empty: the paper's three blocks of 64); fewer or narrower blocks
            make a small encoder for short CPU runs.
        cmd_quirk: The GRU of the CMD reference code (both directions forward in time).
        proj_dim: Embedding width of the MLP head.
        queue_size: Keys per modality queue, N.
        momentum: Key-encoder momentum.
        tau_c: InfoNCE temperature.
        tau_t: Teacher temperature of mutual distillation.
        tau_s: Student temperature.
        k_c: Anchors of mutual distillation, K_c.
        k_a: Neighbours aggregated by the cluster-level branch, K_a.
        lambda_cmd: Weight of the CMD loss, lambda_1.
        cluster_queue: IMD: the cluster-level branch contrasts against (eq. 7) and
            distils over (eq. 8) its own queue of cluster-level keys; False: the
            instance-level queue (which lets the cluster branch collapse, see above).
        distill_warmup_epochs: Epochs of contrastive learning alone (eq. 1 and 7) before
            the mutual-distillation terms (eq. 5 and 8) join the loss; 0, the paper's
            setting, distils from the first step. Not in the paper: for short budgets,
            where the untrained encoders' flat neighbour distributions teach each other
            to stay flat (see the ``nwucla-xview-cpu`` preset).
        cluster_warmup_epochs: Epochs before the cluster-level branch's losses (eq. 7 and
            8) join; until then its key is still computed and enqueued, so the cluster
            queue is full when they do. 0, the paper's setting. Not in the paper: IMD then
            starts from CMD-trained encoders (until then the run is exactly ``--no-imd``);
            the ``nwucla-xview-cpu`` preset needs it (60 of 80 epochs) to learn at all.
        retrieval: How the cluster-level branch finds its K_a neighbours: ``embedding``
            (the paper) by the instance-level embedding ``z`` against the queue of keys;
            ``hidden`` by the cosine of the hidden embedding ``h`` against the stored hidden
            embeddings. Not in the paper: at short budgets the 128-d embeddings of every
            variant, MoCo included, collapse onto one drifting point (NW-UCLA, 60 epochs:
            mean pairwise cosine 0.9995) while ``h`` stays informative (kNN 66%), so
            retrieval by ``z`` hands every sample the same neighbours.
        init: A previous i2md run (folder or checkpoint file) to start from: its query and
            key encoders, heads and queues are loaded; what it lacks (e.g. the cross-attention
            blocks and the IMD memories when it ran ``--no-imd``) keeps its fresh
            initialisation. Empty: start from random weights.
    """

    backbone: str = "gcn_transformer"
    modalities: tuple[str, ...] = MODALITIES
    cmd: bool = True
    imd: bool = True
    distill_pairs: tuple[str, ...] = ()
    width: int = 0
    depth: int = 0
    heads: int = 0
    ffn_dim: int = 0
    gcn_channels: tuple[int, ...] = ()
    cmd_quirk: bool = False
    proj_dim: int = 128
    queue_size: int = 16384
    momentum: float = 0.999
    tau_c: float = 0.07
    tau_t: float = 0.05
    tau_s: float = 0.1
    k_c: int = 8192
    k_a: int = 64
    lambda_cmd: float = 0.5
    cluster_queue: bool = True
    distill_warmup_epochs: int = 0
    cluster_warmup_epochs: int = 0
    retrieval: str = "embedding"
    init: str = ""


RETRIEVALS = ("embedding", "hidden")


@dataclass
class ViewConfig:
    """The ISC / CMD views.

    Attributes:
        normalization: Load-time normalisation (``agcn``: the 2s-AGCN pre-processing CMD uses).
        crop_min: Lower end of the temporal crop ratio: U[0.1, 1] on every dataset, as ISC
            (whose augmentations the paper adopts, section 4.1.2) and the CMD reference's
            ``l_ratio`` do.
        crop_max: Upper end.
        probe_view: What ``eval linear`` trains its classifier on: ``train``, features of
            a random crop U[crop_min, crop_max] resized, redrawn every epoch, as the CMD
            reference's linear evaluation (its downstream feeder crops ``l_ratio``
            U[0.1, 1]); ``test``, the test view's features extracted once (faster; the
            paper does not say).
        downstream_spatial: The ``finetune`` / ``semi`` / ``transfer`` view: False, the
            crop-resize alone, as the CMD reference's downstream feeder; True, the
            pre-training view (plus shear or joint corruption).
    """

    normalization: str = "agcn"
    crop_min: float = 0.1
    crop_max: float = 1.0
    probe_view: str = "train"
    downstream_spatial: bool = False


@dataclass
class I2MDConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: I2MDModelConfig = field(default_factory=I2MDModelConfig)
    augment: ViewConfig = field(default_factory=ViewConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)


def backbone_kwargs(model: I2MDModelConfig, frames: int, cross_attention: bool = False) -> dict[str, Any]:
    """The backbone factory's keyword arguments for a model config.

    ``cross_attention`` rebuilds a trained IMD encoder (evaluation); for training leave it
    off: :class:`I2MD` adds the cross-attention blocks itself.
    """
    if model.gcn_channels and model.backbone != "gcn_transformer":
        raise ValueError(f"model.gcn_channels applies to the gcn_transformer backbone, not {model.backbone!r}")
    if model.backbone == "gcn_transformer":
        kw: dict[str, Any] = {"max_frames": frames, "cross_attention": cross_attention}
        names = {"width": "dim", "depth": "depth", "heads": "num_heads", "ffn_dim": "ffn_dim"}
        if model.gcn_channels:
            kw["gcn_channels"] = tuple(model.gcn_channels)
    elif model.backbone == "gru":
        kw = {"cmd_quirk": model.cmd_quirk}
        names = {"width": "hidden_size", "depth": "num_layers"}
    else:
        kw, names = {}, {}
    for ours, theirs in names.items():
        if getattr(model, ours):
            kw[theirs] = getattr(model, ours)
    return kw


def parse_pairs(pairs: tuple[str, ...], modalities: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(teacher, student)`` pairs from ``distill_pairs`` (all pairs both ways when empty)."""
    if not pairs:
        return [(a, b) for a, b in itertools.permutations(modalities, 2)]
    out: list[tuple[str, str]] = []
    for text in pairs:
        for arrow, directions in (("<->", "both"), ("<-", "left"), ("->", "right")):
            if arrow in text:
                a, b = (s.strip() for s in text.split(arrow, 1))
                break
        else:
            raise ValueError(f"distillation pair {text!r}: write A<->B, A<-B (B teaches A) or A->B")
        for name in (a, b):
            if name not in modalities:
                raise ValueError(f"distillation pair {text!r}: {name!r} is not one of the modalities {modalities}")
        if directions in ("both", "right"):
            out.append((a, b))
        if directions in ("both", "left"):
            out.append((b, a))
    return list(dict.fromkeys(out))


class Encoder(nn.Module):
    """A backbone and MoCo v2's MLP head: ``(N, C, T, V, M)`` -> hidden ``h`` and embedding ``z``.

    Args:
        backbone: Feature extractor with ``out_dim``.
        proj_dim: Embedding width (128).
    """

    def __init__(self, backbone: nn.Module, proj_dim: int):
        super().__init__()
        self.backbone = backbone
        self.head = MLPProjector(backbone.out_dim, backbone.out_dim, proj_dim, layers=2, bn=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns ``h`` ``(N, out_dim)`` and the L2-normalised ``z`` ``(N, proj_dim)``."""
        return self.project(self.backbone(x))

    def project(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``h`` and its L2-normalised embedding ``z``."""
        return h, F.normalize(self.head(h).float(), dim=1)

    def branches(
        self, x: torch.Tensor, memory_of: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        """The instance-level branch, then the cluster-level one (GCN-Transformer only).

        Both share the view's frame tokens (the ST-GCN runs once); the cluster-level
        branch attends to ``memory_of(h, z)`` ``(N, K_a, out_dim)``, the neighbours
        retrieved with the instance-level branch's hidden ``h`` or embedding ``z``.

        Returns:
            ``(h, z)`` of the instance-level branch and of the cluster-level branch.
        """
        tokens = self.backbone.embed_frames(x)
        h, z = self.project(self.backbone.encode_tokens(tokens).mean(dim=1))
        memory = memory_of(h, z).to(tokens.dtype)
        return (h, z), self.project(self.backbone.encode_tokens(tokens, memory).mean(dim=1))


class I2MD(Method):
    """The I2MD / CMD / MoCo pre-training method.

    Everything an ablation shares with the full method draws its random initialisation
    first, in the same order: the encoders, then the queues. IMD's cross-attention blocks and
    cluster queue draw theirs after, so ``--no-imd``, ``--variant moco`` and the full method
    start from the same encoders with the same seed.

    Args:
        make_backbone: Builds one backbone without cross-attention (called once per
            modality; the key encoders are copies); with IMD, :class:`I2MD` adds the
            cross-attention blocks.
        parents: ``[V]`` the layout's parents, for the bone stream.
        cfg: The model config.
    """

    name = "i2md"

    def __init__(self, make_backbone: Callable[[], nn.Module], parents: tuple[int, ...], cfg: I2MDModelConfig):
        super().__init__()
        mods = tuple(cfg.modalities)
        if not mods or len(set(mods)) != len(mods) or any(m not in MODALITIES for m in mods):
            raise ValueError(f"modalities must be distinct names among {MODALITIES}, got {mods}")
        if cfg.imd and cfg.backbone != "gcn_transformer":
            raise ValueError(f"IMD needs the gcn_transformer backbone (cross-attention), not {cfg.backbone!r}; "
                             "set model.imd=false")  # fmt: skip
        if cfg.cmd and len(mods) < 2:
            raise ValueError(f"CMD needs at least two modalities, got {mods}; set model.cmd=false")
        if cfg.retrieval not in RETRIEVALS:
            raise ValueError(f"model.retrieval must be one of {RETRIEVALS}, got {cfg.retrieval!r}")
        for name, k in (("k_c", cfg.k_c), ("k_a", cfg.k_a)):
            if not 1 <= k <= cfg.queue_size:
                raise ValueError(f"model.{name}={k} must be in 1..queue_size ({cfg.queue_size})")
        self.cfg, self.modalities = cfg, mods
        self.pairs = parse_pairs(tuple(cfg.distill_pairs), mods) if cfg.cmd else []
        self.encoders = nn.ModuleDict({m: Encoder(make_backbone(), cfg.proj_dim) for m in mods})
        hidden_dim = self.encoders[mods[0]].backbone.out_dim
        memories = []
        for m in mods:
            self.register_buffer(f"queue_{m}", F.normalize(torch.randn(cfg.queue_size, cfg.proj_dim), dim=1))
            memories.append(f"queue_{m}")
        for m in mods if cfg.imd else ():
            self.register_buffer(f"hidden_{m}", torch.zeros(cfg.queue_size, hidden_dim))
            memories.append(f"hidden_{m}")
            if cfg.cluster_queue:
                self.register_buffer(f"cluster_queue_{m}",
                                     F.normalize(torch.randn(cfg.queue_size, cfg.proj_dim), dim=1))  # fmt: skip
                memories.append(f"cluster_queue_{m}")
        for m in mods if cfg.imd else ():
            backbone = self.encoders[m].backbone
            if backbone.cross_attention:
                raise ValueError("make_backbone must build backbones without cross-attention: I2MD adds it "
                                 "after drawing everything an ablation shares")  # fmt: skip
            backbone.add_cross_attention()
        self.key_encoders = copy.deepcopy(self.encoders)
        for p in self.key_encoders.parameters():
            p.requires_grad_(False)
        self.register_buffer("queue_ptr", torch.zeros((), dtype=torch.long))
        self.register_buffer("parents", torch.as_tensor(parents, dtype=torch.long), persistent=False)
        # Every rank enqueues the same gathered keys, so DDP need not broadcast the memories.
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(self, memories + ["queue_ptr"])
        self._pending: list[dict[str, tuple[torch.Tensor, ...]]] = []  # (z_k, h_k[, z_k^c]) per modality
        self.epoch = 0

    # ------------------------------------------------------------------ memory
    def queue(self, modality: str) -> torch.Tensor:
        """``[N, proj_dim]`` the modality's queue of key embeddings."""
        return getattr(self, f"queue_{modality}")

    def cluster_queue(self, modality: str) -> torch.Tensor:
        """``[N, proj_dim]`` the queue the cluster-level branch contrasts against (IMD)."""
        if self.cfg.cluster_queue:
            return getattr(self, f"cluster_queue_{modality}")
        return self.queue(modality)

    def hidden(self, modality: str) -> torch.Tensor:
        """``[N, out_dim]`` the hidden embeddings stored beside the queue's keys (IMD)."""
        return getattr(self, f"hidden_{modality}")

    def neighbours(self, h: torch.Tensor, z: torch.Tensor, modality: str) -> torch.Tensor:
        """``[B, K_a, out_dim]``: the stored hidden embeddings of the top-K_a neighbours of a sample.

        Args:
            h: ``[B, out_dim]`` the instance-level hidden embeddings (``retrieval="hidden"``).
            z: ``[B, D]`` the instance-level embeddings (``retrieval="embedding"``).
            modality: Whose memory.
        """
        memory = self.hidden(modality)
        if self.cfg.retrieval == "hidden":
            sims = F.normalize(h.detach().float(), dim=1) @ F.normalize(memory.float(), dim=1).t()
        else:
            sims = z.detach() @ self.queue(modality).t()
        return memory[sims.topk(self.cfg.k_a, dim=1).indices]

    # ------------------------------------------------------------------ step
    def start_epoch(self, epoch: int) -> None:
        """Remember the epoch (the warm-ups count epochs)."""
        self.epoch = epoch

    @property
    def distilling(self) -> bool:
        """Whether the mutual-distillation terms (eq. 5, 8) are in this epoch's loss."""
        return self.epoch >= self.cfg.distill_warmup_epochs

    @property
    def clustering(self) -> bool:
        """Whether the cluster-level branch's losses (eq. 7, and eq. 8 when distilling) are in the loss."""
        return self.cfg.imd and self.epoch >= self.cfg.cluster_warmup_epochs

    def forward(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Losses of one batch of two views ``batch["x"] = [query, key]``, each ``[B, C, T, V, M]``."""
        xq, xk = batch["x"]
        sq = derive_streams(xq, self.parents, self.modalities)
        sk = derive_streams(xk, self.parents, self.modalities)
        cfg = self.cfg
        zq: dict[str, torch.Tensor] = {}
        zk: dict[str, torch.Tensor] = {}
        logs = {name: xq.new_zeros(()).float() for name in ("scl", "ccl", "imd", "cmd")}
        keys: dict[str, tuple[torch.Tensor, ...]] = {}
        for m in self.modalities:
            queue = self.queue(m)
            if cfg.imd:
                memory_of = functools.partial(self.neighbours, modality=m)
                with torch.no_grad():
                    (hk, zk[m]), (_, zk_c) = self.key_encoders[m].branches(sk[m], memory_of)
                if self.clustering:
                    (_, zq[m]), (_, zq_c) = self.encoders[m].branches(sq[m], memory_of)
                else:
                    _, zq[m] = self.encoders[m](sq[m])
            else:
                with torch.no_grad():
                    hk, zk[m] = self.key_encoders[m](sk[m])
                _, zq[m] = self.encoders[m](sq[m])
            keys[m] = (zk[m].detach(), hk.detach().float())
            logs["scl"] = logs["scl"] + info_nce(zq[m], zk[m], queue, cfg.tau_c)
            if cfg.imd:
                keys[m] += (zk_c.detach(),)
            if self.clustering:
                cqueue = self.cluster_queue(m)
                logs["ccl"] = logs["ccl"] + info_nce(zq_c, zk_c, cqueue, cfg.tau_c)
                logs["imd"] = logs["imd"] + mutual_distillation(zq[m], zk[m], queue, zq_c, zk_c, cqueue, cfg.k_c,
                                                                cfg.tau_t, cfg.tau_s)  # fmt: skip
        for teacher, student in self.pairs:
            logs["cmd"] = logs["cmd"] + distill(zk[teacher], self.queue(teacher), zq[student], self.queue(student),
                                                cfg.k_c, cfg.tau_t, cfg.tau_s)  # fmt: skip
        self._pending.append(keys)
        # During the distillation warm-up its terms are still computed, for the log; during the
        # cluster warm-up the query's cluster branch is not run, and eq. 7-8 log as 0.
        md = 1.0 if self.distilling else 0.0
        loss = logs["scl"] + logs["ccl"] + md * (logs["imd"] + cfg.lambda_cmd * logs["cmd"])
        active = {"scl": True, "ccl": cfg.imd, "imd": cfg.imd, "cmd": bool(self.pairs)}
        return {"loss": loss, **{k: v.detach() for k, v in logs.items() if active[k]}}

    @torch.no_grad()
    def after_step(self) -> None:
        """Momentum update of the key encoders, then the step's keys enqueued (all ranks')."""
        m = self.cfg.momentum
        for q, k in zip(self.encoders.parameters(), self.key_encoders.parameters()):
            k.mul_(m).add_(q.detach(), alpha=1.0 - m)
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        n = self.cfg.queue_size
        for mod in self.modalities:
            z = all_gather_cat(torch.cat([p[mod][0] for p in pending]))
            idx = (self.queue_ptr + torch.arange(len(z), device=z.device)) % n
            self.queue(mod)[idx] = z.to(self.queue(mod).dtype)
            if self.cfg.imd:
                h = all_gather_cat(torch.cat([p[mod][1] for p in pending]))
                self.hidden(mod)[idx] = h.to(self.hidden(mod).dtype)
            if self.cfg.imd and self.cfg.cluster_queue:
                zc = all_gather_cat(torch.cat([p[mod][2] for p in pending]))
                self.cluster_queue(mod)[idx] = zc.to(self.cluster_queue(mod).dtype)
        self.queue_ptr.copy_((self.queue_ptr + len(z)) % n)  # every modality enqueued len(z) keys


# ---------------------------------------------------------------------- presets
def _preset(store: str, protocol: str, *, frames: int, batch: int, epochs: int, milestone: int,
            model: I2MDModelConfig | None = None, workers: int = 4) -> I2MDConfig:  # fmt: skip
    return I2MDConfig(
        data=DataConfig(store=store, protocol=protocol, frames=frames, batch_size=batch, workers=workers),
        model=model or I2MDModelConfig(),
        augment=ViewConfig(normalization="agcn", crop_min=0.1),
        optim=OptimConfig(name="sgd", lr=0.01, momentum=0.9, weight_decay=1e-4, schedule="step",
                          milestones=(milestone,)),  # fmt: skip
        run=RunConfig(epochs=epochs, log_every=50),
    )


def _default_store(dataset: str) -> str:
    return str(default_store(dataset))


def _nwucla_cpu() -> I2MDConfig:
    """NW-UCLA cross-view on a 2-core CPU: a small GCN-Transformer, queue within the 1,020 training samples.

    80 epochs (21-37 minutes): 20 of contrastive learning alone, 40 of CMD, then 20 of the full
    I2MD (CMD + IMD) at the stepped-down lr.
    """
    # 16 steps an epoch instead of NTU's ~160: at m=0.999 the key encoder is still 80% its random
    # initialisation after 225 steps, its keys are all alike (cosine 0.998) and InfoNCE stays at
    # chance; m=0.99 lets it follow (MoCo kNN 68.5% vs 62.7% random after 15 epochs).
    # The warm-ups (not in the paper) are what make it learn at this budget. Measured, joint encoder,
    # kNN / linear / linear --standardize: random init 61.4 / 55.8 / 64.0; this preset
    # 70.9 / 75.9 / 75.9 and, seed 1, 68.5 / 76.7 / 76.3; at the same budget --no-imd 69.4 / 76.1 / 78.2
    # and 72.6 / 75.6 / 75.2, --variant moco 70.3 / 74.1 / 76.1 and 68.8 / 74.6 / 75.7. From scratch, IMD
    # does not learn here: with no warm-up 49.8 / 40.1; both warm-ups at 20: 66.8 / 52.4 (with
    # model.retrieval=hidden 66.4 / 51.9 / 62.9); cluster warm-up 40 of 60 epochs: 67.2 / 51.5 / 63.8.
    # Why: the ISC views leave an untrained encoder's positive pair barely closer than two samples
    # (cosine 0.65 vs 0.63, benchmarks/i2md_view_margin.py), so in every variant, MoCo included,
    # the 128-d embeddings z collapse to their mean in the first ~10 steps (pairwise cosine
    # 0.9995) while h stays informative; the cluster branch's retrieval and eq. 7-8 then act on
    # collapsed embeddings, and the linear probe underfits the features (train accuracy 53%).
    model = I2MDModelConfig(width=128, depth=2, heads=4, ffn_dim=256, queue_size=512, k_c=256, k_a=16,
                            momentum=0.99, distill_warmup_epochs=20, cluster_warmup_epochs=60)  # fmt: skip
    return _preset(_default_store("nwucla"), "xview", frames=32, batch=64, epochs=80, milestone=50, model=model,
                   workers=2)  # fmt: skip


#: Named presets (I2MD paper, section 4.1.2): SGD lr 0.01, batch 256, 500 epochs x0.1 at 400
#: (PKU-MMD II: 1000 / 800); ISC's temporal crop U[0.1, 1] everywhere.
PRESETS: dict[str, Callable[[], I2MDConfig]] = {
    "ntu60-xsub": lambda: _preset(_default_store("ntu60"), "xsub", frames=64, batch=256, epochs=500, milestone=400),
    "ntu60-xview": lambda: _preset(_default_store("ntu60"), "xview", frames=64, batch=256, epochs=500, milestone=400),
    "ntu120-xsub": lambda: _preset(_default_store("ntu120"), "xsub", frames=64, batch=256, epochs=500, milestone=400),
    "ntu120-xset": lambda: _preset(_default_store("ntu120"), "xset", frames=64, batch=256, epochs=500, milestone=400),
    "pkummd2-xsub": lambda: _preset(_default_store("pkummd2"), "xsub", frames=64, batch=256, epochs=1000,
                                    milestone=800),  # fmt: skip
    "nwucla-xview-cpu": _nwucla_cpu,
}


#: I2MD's NTU schedule (epochs, lr drop) -> the CMD release's (``--epochs 451 --schedule 351``).
CMD_SCHEDULES = {(500, (400,)): (451, (351,))}


def to_cmd(cfg: I2MDConfig) -> I2MDConfig:
    """The conference version as its authors released it: CMD with the 3-layer BiGRU (1024 units), no IMD.

    The CMD release's settings replace I2MD's: the cross-modal loss alone at weight 1.0
    (``lambda_cmd``; I2MD's 0.5 weighs it against IMD, which CMD lacks), batch 64, and on the
    NTU presets 451 epochs with the lr drop at 351 (I2MD: 500 / 400). Kept from the preset:
    PKU-MMD II's 1000 epochs / drop at 800 (the CMD release's scripts cover NTU only) and the
    CPU preset's own short schedule (its budget is the point of that preset).
    """
    cfg.model.backbone, cfg.model.imd, cfg.model.lambda_cmd = "gru", False, 1.0
    cfg.model.width = cfg.model.depth = cfg.model.heads = cfg.model.ffn_dim = 0
    cfg.model.gcn_channels = ()
    cfg.data.batch_size = 64
    schedule = CMD_SCHEDULES.get((cfg.run.epochs, tuple(cfg.optim.milestones)))
    if schedule is not None:
        cfg.run.epochs, cfg.optim.milestones = schedule[0], schedule[1]
    return cfg


def to_moco(cfg: I2MDConfig) -> I2MDConfig:
    """The single-modality MoCo v2 baseline on the joint stream (same encoder as the preset)."""
    cfg.model.modalities, cfg.model.cmd, cfg.model.imd = ("joint",), False, False
    return cfg


#: ``--variant`` name -> config transformation applied after the preset.
VARIANTS: dict[str, Callable[[I2MDConfig], I2MDConfig]] = {"i2md": lambda c: c, "cmd": to_cmd, "moco": to_moco}


def make_train_set(cfg: I2MDConfig, store: Path | None = None, view: CMDView | None = None) -> SkeletonDataset:
    """Two CMD views of each training sample (joint stream; motion and bone come later, on the device).

    ``view`` replaces the config's ISC view (``benchmarks/i2md_view_margin.py`` compares recipes).
    """
    view = view or CMDView(cfg.data.frames, (cfg.augment.crop_min, cfg.augment.crop_max))
    norm = None if cfg.augment.normalization == "none" else Normalize(cfg.augment.normalization)
    return SkeletonDataset(Path(store or cfg.data.store), (cfg.data.protocol, cfg.data.train_part), stream="joint",
                           transform=MultiView(view, n=2), seed=cfg.run.seed, pre_transform=norm)  # fmt: skip


def build(cfg: I2MDConfig) -> tuple[I2MD, SkeletonDataset, None]:
    """The method and its training set (evaluation is ``actionkit eval`` on the run)."""
    train_set = make_train_set(cfg)
    max_bodies = int(open_store(cfg.data.store).attrs["max_bodies"])
    kwargs = backbone_kwargs(cfg.model, cfg.data.frames)
    torch.manual_seed(cfg.run.seed)

    def make_backbone() -> nn.Module:
        return build_backbone(cfg.model.backbone, train_set.layout, max_bodies=max_bodies, **kwargs)

    method = I2MD(make_backbone, train_set.layout.parents, cfg.model)
    if cfg.model.init:
        init_from_run(method, Path(cfg.model.init))
    return method, train_set, None


def init_from_run(method: I2MD, source: Path) -> None:
    """Load a previous i2md run's weights and queues into ``method`` (``model.init``).

    Entries the run did not have keep their fresh initialisation.

    Raises:
        FileNotFoundError: No checkpoint at ``source``.
        ValueError: Not an i2md run, or an entry of another shape (another encoder size).
    """
    ckpt = load_checkpoint(source)
    if ckpt.get("method") != "i2md":
        raise ValueError(f"model.init: {source} is a {ckpt.get('method')} run, not an i2md run")
    state, own = ckpt["model"], method.state_dict()
    shared = [k for k in state if k in own]
    if not any(k.startswith("encoders.") for k in shared):
        raise ValueError(f"model.init: {source} has none of this run's encoders (modalities {method.modalities})")
    for k in shared:
        if state[k].shape != own[k].shape:
            raise ValueError(f"model.init: {source}: {k} is {tuple(state[k].shape)}, this run's is "
                             f"{tuple(own[k].shape)} (another encoder size?)")  # fmt: skip
    method.load_state_dict({k: state[k] for k in shared}, strict=False)


def encoder_recipe(config: dict[str, Any], modality: str | None = None) -> EncoderRecipe:
    """How ``actionkit eval`` rebuilds one modality's query encoder of an I2MD run.

    Features and test samples use the test view (the centre 95% resized to the
    pre-training length); the linear classifier trains on random crops redrawn every
    epoch (``augment.probe_view``); finetuning uses the crop-resize (``augment.downstream_spatial``)
    and the paper's protocol
    (SGD lr 0.01, 80 epochs, x0.1 at epochs 50 and 70; section 4.3.3); transfer the same
    with one drop, at epoch 50 (section 4.3.5).
    """
    cfg = from_dict(I2MDConfig, config)
    modality = modality or "joint"
    if modality not in cfg.model.modalities:
        raise ValueError(f"this run pre-trained {', '.join(cfg.model.modalities)}; it has no {modality} encoder")
    frames = cfg.data.frames
    finetune = SupervisedConfig(
        data=DataConfig(**{**vars(cfg.data), "stream": "joint"}),
        model=ModelConfig(backbone=cfg.model.backbone),
        augment=AugmentConfig(normalization=cfg.augment.normalization),
        optim=OptimConfig(name="sgd", lr=0.01, momentum=0.9, weight_decay=1e-4, schedule="step", milestones=(50, 70)),
        run=RunConfig(epochs=80, eval_every=10, seed=cfg.run.seed),
    )
    transfer = dataclasses.replace(finetune, optim=dataclasses.replace(finetune.optim, milestones=(50,)))
    return EncoderRecipe(
        transfer=transfer,
        backbone=cfg.model.backbone,
        backbone_kwargs=backbone_kwargs(cfg.model, frames, cross_attention=cfg.model.imd),
        state_prefix=f"encoders.{modality}.backbone.",
        stream="joint",
        derived=None if modality == "joint" else modality,
        normalization=cfg.augment.normalization,
        test_transform=cmd_test_view(frames),
        train_transform=CMDView(frames, (cfg.augment.crop_min, cfg.augment.crop_max),
                                spatial=cfg.augment.downstream_spatial),
        finetune=finetune,
        linear=LinearProtocol(train_view=cfg.augment.probe_view),
    )
