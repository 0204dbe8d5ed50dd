"""I2MD / CMD / MoCo: losses wired per the paper, aligned queues, DDP key gathering, exact resume."""

from __future__ import annotations

import functools
import itertools
import json
from pathlib import Path

import byhand
import pytest
import torch
from ranks import run_two_ranks

from actionkit.data import derive_streams
from actionkit.layouts import NTU25
from actionkit.losses import distill, info_nce, mutual_distillation
from actionkit.models import build_backbone
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.i2md import I2MD, I2MDModelConfig, backbone_kwargs, build, parse_pairs
from actionkit.trainers.registry import resolve_config, train

TINY = {"width": 32, "depth": 1, "heads": 2, "ffn_dim": 32, "queue_size": 24, "k_c": 8, "k_a": 4, "proj_dim": 16}


def tiny_method(seed: int = 0, **overrides) -> I2MD:
    cfg = I2MDModelConfig(**{**TINY, **overrides})
    kwargs = backbone_kwargs(cfg, frames=8)
    if cfg.backbone == "gcn_transformer":
        kwargs["gcn_channels"] = (8, 8, 8)
    torch.manual_seed(seed)
    return I2MD(lambda: build_backbone(cfg.backbone, NTU25, max_bodies=2, **kwargs), NTU25.parents, cfg)


def views(batch: int = 4, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {"x": [torch.randn(batch, 3, 8, 25, 2, generator=g) for _ in range(2)]}


@pytest.mark.parametrize(("overrides", "logged"), [
    ({}, {"scl", "ccl", "imd", "cmd"}),
    ({"imd": False}, {"scl", "cmd"}),
    ({"cmd": False}, {"scl", "ccl", "imd"}),
    ({"backbone": "gru", "imd": False}, {"scl", "cmd"}),
    ({"modalities": ("joint",), "cmd": False, "imd": False}, {"scl"}),
])  # fmt: skip
def test_every_variant_trains_a_step(overrides, logged):
    method = tiny_method(**overrides)
    out = method(views())
    assert set(out) == {"loss"} | logged
    assert torch.isfinite(out["loss"])
    out["loss"].backward()
    grads = [p.grad for p in method.encoders.parameters() if p.requires_grad]
    assert all(g is not None for g in grads) and sum(float(g.abs().sum()) for g in grads) > 0
    assert all(p.grad is None for p in method.key_encoders.parameters())


@pytest.mark.parametrize("overrides", [{}, {"imd": False}, {"modalities": ("joint",), "cmd": False, "imd": False}],
                         ids=["i2md", "cmd", "moco"])  # fmt: skip
def test_total_is_eq10_from_the_networks_outputs(overrides):
    """Each term recomputed with the pure losses from the encoders' outputs on the same batch."""
    method = tiny_method(lambda_cmd=0.3, **overrides)
    cfg, batch = method.cfg, views()
    torch.manual_seed(4)  # dropout: the same draws in the same order below
    out = method(batch)
    torch.manual_seed(4)
    streams = [derive_streams(x, method.parents, method.modalities) for x in batch["x"]]
    zq, zk, terms = {}, {}, dict.fromkeys(("scl", "ccl", "imd", "cmd"), 0.0)
    for m in method.modalities:
        query, key = streams[0][m], streams[1][m]
        if cfg.imd:
            memory_of = functools.partial(method.neighbours, modality=m)
            with torch.no_grad():
                (_, zk[m]), (_, zk_c) = method.key_encoders[m].branches(key, memory_of)
            (_, zq[m]), (_, zq_c) = method.encoders[m].branches(query, memory_of)
        else:
            with torch.no_grad():
                zk[m] = method.key_encoders[m](key)[1]
            zq[m] = method.encoders[m](query)[1]
        terms["scl"] += info_nce(zq[m], zk[m], method.queue(m), cfg.tau_c)  # eq. 1
        if cfg.imd:  # eq. 7 and 8, against the cluster-level queue
            cq = getattr(method, f"cluster_queue_{m}")
            terms["ccl"] += info_nce(zq_c, zk_c, cq, cfg.tau_c)
            terms["imd"] += mutual_distillation(zq[m], zk[m], method.queue(m), zq_c, zk_c, cq, cfg.k_c, cfg.tau_t,
                                                cfg.tau_s)  # fmt: skip
    if cfg.cmd:  # eq. 5: every ordered pair of modalities
        for teacher, student in itertools.permutations(method.modalities, 2):
            terms["cmd"] += distill(zk[teacher], method.queue(teacher), zq[student], method.queue(student), cfg.k_c,
                                    cfg.tau_t, cfg.tau_s)  # fmt: skip
    for name in set(out) - {"loss"}:
        torch.testing.assert_close(out[name], terms[name].detach())
    total = terms["scl"] + terms["ccl"] + terms["imd"] + 0.3 * terms["cmd"]  # eq. 10 with lambda_1 = 0.3
    torch.testing.assert_close(out["loss"], total)


def test_distillation_waits_for_its_warmup_epochs():
    method = tiny_method(distill_warmup_epochs=2)
    for epoch, distilling in ((0, False), (1, False), (2, True), (5, True)):
        method.start_epoch(epoch)
        out = method(views())
        assert out["imd"] > 0 and out["cmd"] > 0  # logged during the warm-up too
        md = out["imd"] + 0.5 * out["cmd"] if distilling else 0.0
        torch.testing.assert_close(out["loss"].detach(), out["scl"] + out["ccl"] + md)


def test_the_cluster_branch_waits_for_its_warmup_but_keeps_its_queue_filled():
    method = tiny_method(cluster_warmup_epochs=2)
    for epoch, clustering in ((0, False), (1, False), (2, True)):
        method.start_epoch(epoch)
        out = method(views(seed=epoch))
        assert (out["ccl"] > 0) == clustering and (out["imd"] > 0) == clustering
        torch.testing.assert_close(out["loss"].detach(), out["scl"] + out["ccl"] + out["imd"] + 0.5 * out["cmd"])
        before = method.cluster_queue("joint").clone()
        method.after_step()
        assert not torch.equal(before, method.cluster_queue("joint"))  # cluster keys enqueued in the warm-up too
    method.start_epoch(0)
    method.zero_grad()
    method(views())["loss"].backward()
    cross = [p for n, p in method.encoders.named_parameters() if "cross_attn" in n or "norm_memory" in n]
    assert cross and all(p.grad is None for p in cross)  # the query's cluster branch did not run


def test_queues_stay_aligned_and_wrap_around():
    method = tiny_method()
    for step in range(7):  # 7 x 4 keys through a queue of 24: wraps once
        method(views(seed=step))
        pending = [dict(p) for p in method._pending]
        ptr = int(method.queue_ptr)
        method.after_step()
        idx = (ptr + torch.arange(4)) % 24
        for m in method.modalities:
            torch.testing.assert_close(method.queue(m)[idx], pending[0][m][0])  # the same samples at the same slots
            torch.testing.assert_close(method.hidden(m)[idx], pending[0][m][1])
            torch.testing.assert_close(method.cluster_queue(m)[idx], pending[0][m][2])
        assert int(method.queue_ptr) == (ptr + 4) % 24


def test_cluster_branch_contrasts_against_its_own_queue():
    own = tiny_method()
    shared = tiny_method(cluster_queue=False)
    shared.load_state_dict({k: v for k, v in own.state_dict().items() if not k.startswith("cluster_queue_")})
    assert not any(k.startswith("cluster_queue_") for k in shared.state_dict())
    for m in own.modalities:
        assert shared.cluster_queue(m) is shared.queue(m)
    a, b = own(views()), shared(views())
    torch.testing.assert_close(a["scl"], b["scl"])  # the instance branch is untouched
    assert not torch.allclose(a["ccl"], b["ccl"]) and not torch.allclose(a["imd"], b["imd"])
    for m in own.modalities:  # the same memory contents give the same eq. 7 and eq. 8
        own.cluster_queue(m).copy_(own.queue(m))
    a = own(views())
    torch.testing.assert_close(a["ccl"], b["ccl"])
    torch.testing.assert_close(a["imd"], b["imd"])


def test_momentum_update():
    method = tiny_method()
    with torch.no_grad():
        for p in method.encoders.parameters():
            p.add_(1.0)
    before = [p.clone() for p in method.key_encoders.parameters()]
    method.after_step()
    for b, k, q in zip(before, method.key_encoders.parameters(), method.encoders.parameters()):
        torch.testing.assert_close(k, 0.999 * b + 0.001 * q)


def test_distillation_pairs():
    mods = ("joint", "motion", "bone")
    assert len(parse_pairs((), mods)) == 6
    assert parse_pairs(("joint<-bone",), mods) == [("bone", "joint")]
    assert parse_pairs(("joint<->motion", "joint->bone"), mods) == [("joint", "motion"), ("motion", "joint"),
                                                                     ("joint", "bone")]  # fmt: skip
    with pytest.raises(ValueError, match="not one of the modalities"):
        parse_pairs(("joint<->depth",), mods)
    with pytest.raises(ValueError, match="A<->B"):
        parse_pairs(("joint,bone",), mods)


def test_bad_configs_say_what_to_do():
    with pytest.raises(ValueError, match="IMD needs the gcn_transformer"):
        tiny_method(backbone="gru")
    with pytest.raises(ValueError, match="CMD needs at least two"):
        tiny_method(modalities=("joint",), imd=False)
    with pytest.raises(ValueError, match="k_c=99 must be in 1..queue_size"):
        tiny_method(k_c=99)
    with pytest.raises(ValueError, match="model.retrieval must be one of"):
        tiny_method(retrieval="queue")


def test_gcn_channels_set_the_frame_embedding_of_the_gcn_transformer_only():
    cfg = I2MDModelConfig(**TINY, gcn_channels=(8, 4))
    net = build_backbone(cfg.backbone, NTU25, max_bodies=2, **backbone_kwargs(cfg, frames=8))
    assert len(net.gcn.blocks) == 2 and net.frame_dim == 4 * 25 * 2
    assert "gcn_channels" not in backbone_kwargs(I2MDModelConfig(**TINY), frames=8)  # the paper's 3 x 64
    with pytest.raises(ValueError, match="gcn_channels applies to the gcn_transformer backbone, not 'gru'"):
        backbone_kwargs(I2MDModelConfig(**TINY, backbone="gru", gcn_channels=(8,)), frames=8)


@pytest.mark.parametrize("retrieval", ["embedding", "hidden"])
def test_neighbours_are_retrieved_by_the_configured_embedding(retrieval):
    method = tiny_method(retrieval=retrieval)
    n, k = method.cfg.queue_size, method.cfg.k_a
    g = torch.Generator().manual_seed(3)
    hidden = torch.randn(n, method.hidden("joint").shape[1], generator=g)
    method.hidden("joint").copy_(hidden)
    method.queue("joint").copy_(torch.nn.functional.normalize(torch.randn(n, TINY["proj_dim"], generator=g), dim=1))
    h = torch.randn(2, hidden.shape[1], generator=g)
    z = torch.nn.functional.normalize(torch.randn(2, TINY["proj_dim"], generator=g), dim=1)
    got = method.neighbours(h, z, "joint")
    assert got.shape == (2, k, hidden.shape[1])
    for i in range(2):  # a per-sample search written from the definitions
        if retrieval == "hidden":
            sims = [float(torch.cosine_similarity(h[i], hidden[j], dim=0)) for j in range(n)]
        else:
            sims = [float(z[i] @ method.queue("joint")[j]) for j in range(n)]
        best = sorted(range(n), key=lambda j: -sims[j])[:k]
        assert sorted(best) == sorted(int(torch.nonzero((hidden == row).all(1))[0]) for row in got[i])
    # the other embedding plays no part
    h2, z2 = (h, z.flip(0)) if retrieval == "hidden" else (h.flip(0), z)
    other = method.neighbours(h2, z2, "joint")
    torch.testing.assert_close(other, got)


DDP_SCRIPT = """
import sys, torch
sys.path.insert(0, sys.argv[2])
from test_i2md import tiny_method, views
from actionkit.trainers.distributed import setup, teardown
ctx = setup("cpu")
method = tiny_method(imd=False)
method(views(seed=10 + ctx.rank))
keys = method._pending[0]["joint"][0]
method.after_step()
torch.save({"keys": keys, "queue": method.queue("joint"), "ptr": method.queue_ptr}, f"{sys.argv[1]}/rank{ctx.rank}.pt")
teardown()
"""


def test_ddp_gathers_keys_from_every_rank_before_enqueueing(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    run_two_ranks(script, str(tmp_path), str(Path(__file__).parent))
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    both = torch.cat([r0["keys"], r1["keys"]])
    for r in (r0, r1):  # every rank holds both ranks' keys, rank 0's first
        assert int(r["ptr"]) == 8
        torch.testing.assert_close(r["queue"][:8], both)
    torch.testing.assert_close(r0["queue"], r1["queue"])


def tiny_config(store, *extra):
    sets = [f"model.{k}={v}" for k, v in TINY.items()]
    sets += ["model.distill_warmup_epochs=0", "model.cluster_warmup_epochs=0"]  # the preset's are for 80 epochs
    return resolve_config("i2md", "nwucla-xview-cpu", [*sets, "data.protocol=xsub", "data.frames=8",
                                                        "data.batch_size=4", "data.workers=0", "run.epochs=2",
                                                        *extra], str(store))  # fmt: skip


def test_init_starts_imd_from_a_cmd_run(store, tmp_path):
    train("i2md", tiny_config(store, "model.imd=false", "run.epochs=1"), out=tmp_path / "cmd")
    source = load_checkpoint(tmp_path / "cmd")["model"]
    method, _, _ = build(tiny_config(store, f"model.init={tmp_path / 'cmd'}"))
    own = method.state_dict()
    for k, v in source.items():
        torch.testing.assert_close(own[k], v)
    fresh = [k for k in own if k not in source]
    assert fresh and all("cross" in k or "norm_memory" in k or k.startswith(("hidden_", "cluster_queue_"))
                         for k in fresh)  # fmt: skip
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        build(tiny_config(store, f"model.init={tmp_path / 'nothing'}"))
    with pytest.raises(ValueError, match="another encoder size"):
        build(tiny_config(store, f"model.init={tmp_path / 'cmd'}", "model.width=16"))


def test_ablations_start_from_the_full_methods_weights():
    full, no_imd = tiny_method(), tiny_method(imd=False)
    moco = tiny_method(modalities=("joint",), cmd=False, imd=False)
    own = full.state_dict()
    for k, v in no_imd.state_dict().items():
        assert torch.equal(own[k], v), k
    for k, v in moco.state_dict().items():
        if "encoders." in k:
            assert torch.equal(own[k], v), k
    with pytest.raises(ValueError, match="without cross-attention"):
        cfg = I2MDModelConfig(**TINY)
        kwargs = {**backbone_kwargs(cfg, frames=8, cross_attention=True), "gcn_channels": (8, 8, 8)}
        I2MD(lambda: build_backbone(cfg.backbone, NTU25, max_bodies=2, **kwargs), NTU25.parents, cfg)


def test_imd_during_its_warmup_trains_exactly_as_without_imd(store, tmp_path):
    train("i2md", tiny_config(store, "model.imd=false", "run.epochs=1"), out=tmp_path / "cmd")
    train("i2md", tiny_config(store, "model.cluster_warmup_epochs=1", "run.epochs=1"), out=tmp_path / "i2md")
    cmd = load_checkpoint(tmp_path / "cmd")["model"]
    i2md = load_checkpoint(tmp_path / "i2md")["model"]
    assert len(i2md) > len(cmd)
    for k, v in cmd.items():
        assert torch.equal(i2md[k], v), k


@pytest.mark.parametrize("extra", [(), ("model.distill_warmup_epochs=1",),
                                   ("model.cluster_warmup_epochs=1", "model.distill_warmup_epochs=1")])
def test_resume_mid_pretraining_is_exact(store, tmp_path, extra):
    full = train("i2md", tiny_config(store, *extra), out=tmp_path / "full")
    assert full["epochs"] == 2
    stopped = train("i2md", tiny_config(store, "run.max_steps=3", *extra), out=tmp_path / "part")
    assert stopped["interrupted"]
    train("i2md", None, resume=tmp_path / "part")
    a = load_checkpoint(tmp_path / "full")["model"]
    b = load_checkpoint(tmp_path / "part")["model"]
    assert any(k.startswith("queue_") for k in a)
    for k in a:  # weights, key encoders, queues, hidden memories and the queue pointer
        assert torch.equal(a[k], b[k]), k


def test_the_trainer_starts_distilling_after_the_warmup(store, tmp_path):
    train("i2md", tiny_config(store, "model.distill_warmup_epochs=1", "run.log_every=1000"), out=tmp_path / "run")
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    epochs = [r for r in lines if "train_loss" in r]
    assert [r["epoch"] for r in epochs] == [0, 1]
    for r, md in zip(epochs, (0.0, 1.0)):  # epoch means of the step losses
        expected = r["train_scl"] + r["train_ccl"] + md * (r["train_imd"] + 0.5 * r["train_cmd"])
        assert r["train_loss"] == pytest.approx(expected, rel=1e-5)
    assert epochs[0]["train_cmd"] > 0


def test_variants_resolve(store):
    cmd = resolve_config("i2md", None, [], str(store), variant="cmd")
    assert (cmd.model.backbone, cmd.model.imd, cmd.model.cmd) == ("gru", False, True)
    moco = resolve_config("i2md", None, [], str(store), variant="moco")
    assert (moco.model.modalities, moco.model.cmd, moco.model.imd) == (("joint",), False, False)
    with pytest.raises(KeyError, match="variants: i2md, cmd, moco"):
        resolve_config("i2md", None, [], str(store), variant="simclr")


def test_protocols_evaluate_each_modality_of_a_run(store, tmp_path):
    from actionkit.results import load_scores
    from actionkit.trainers.distributed import Context
    from actionkit.trainers.evaluation import EvalOptions, load_encoder, run_protocol
    from actionkit.trainers.probe import linear_probe_logits

    cpu = Context(0, 1, 0, torch.device("cpu"))
    run = tmp_path / "run"
    train("i2md", tiny_config(store, "run.epochs=1"), out=run)
    for modality in ("joint", "motion", "bone"):
        results, path = run_protocol("knn", run, cpu, EvalOptions(modality=modality))
        assert path.name == f"knn-{modality}.json" and results["modality"] == modality
        assert results["top1"] == pytest.approx(byhand.knn_top1(run, modality)) and results["test"] == 8
    results, _ = run_protocol("linear", run, cpu, EvalOptions(epochs=2))
    tx, ty, vx, vy = byhand.features(run, "joint")
    assert results["modality"] == "joint" and results["epochs"] == 2
    probe, logits = linear_probe_logits(tx, ty, vx, vy, 60, epochs=2)
    assert results["top1"] == pytest.approx(probe["top1"])
    saved = load_scores(run / "results" / "linear.scores.npz").scores
    torch.testing.assert_close(torch.from_numpy(saved), logits, rtol=1e-3, atol=1e-3)  # the same classifier
    results, _ = run_protocol("finetune", run, cpu, EvalOptions(epochs=3, modality="motion"))
    # the fine-tuned motion encoder + head of RUN/eval/finetune-motion, run on the test part by hand
    top1, scores = byhand.finetuned(run, modality="motion")
    assert results["top1"] == top1 and results["epochs"] == 3 and results["test"] == 8
    byhand.assert_same_scores(run / "results" / "finetune-motion.scores.npz", scores)
    # the loaded encoder is the run's query encoder, and a random-init one differs from it
    enc = load_encoder(run, modality="bone")
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["model"]
    for k, v in enc.encoder.state_dict().items():
        assert torch.equal(v, state[f"encoders.bone.backbone.{k}"])
    fresh = load_encoder(run, random_init=True, modality="bone").encoder.state_dict()
    assert any(not torch.equal(fresh[k], v) for k, v in enc.encoder.state_dict().items())
    with pytest.raises(ValueError, match="no depth encoder|pre-trained joint, motion, bone"):
        load_encoder(run, modality="depth")


def test_branches_share_tokens_and_equal_two_full_passes():
    method = tiny_method().eval()
    enc = method.encoders["joint"]
    x = views()["x"][0]
    fixed = torch.randn(4, 3, 32, generator=torch.Generator().manual_seed(5))
    (h, z), (h_c, z_c) = enc.branches(x, lambda h, z: fixed)
    h2, z2 = enc(x)
    h2_c, z2_c = enc.project(enc.backbone(x, fixed))
    for a, b in ((h, h2), (z, z2), (h_c, h2_c), (z_c, z2_c)):
        torch.testing.assert_close(a, b)
    assert not torch.allclose(h, h_c)  # the neighbours changed the cluster-level embedding


def test_linear_probe_trains_on_crops_redrawn_every_epoch_and_finetune_crops_only(store, tmp_path):
    """The CMD reference's downstream protocol: random crops U[0.1, 1] (no shear / corruption), one per epoch."""
    from actionkit.results import load_scores
    from actionkit.trainers.distributed import Context
    from actionkit.trainers.evaluation import EvalOptions, load_encoder, run_protocol
    from actionkit.trainers.probe import linear_probe_logits

    cfg = resolve_config("i2md", "nwucla-xview-cpu", ["data.protocol=xsub", "data.frames=16", "data.batch_size=8",
                                                      "data.workers=0", "run.epochs=1", "model.queue_size=64",
                                                      "model.k_c=16", "model.k_a=4"], str(store))  # fmt: skip
    train("i2md", cfg, out=tmp_path / "run")
    enc = load_encoder(tmp_path / "run")
    assert enc.recipe.linear.train_view == "train" and not enc.recipe.train_transform.spatial
    assert enc.recipe.train_transform.crop.ratio == (0.1, 1.0)
    # I2MD 4.3.3 / 4.3.5: finetune drops the lr at 50 and 70, transfer once, at 50.
    assert enc.recipe.finetune.optim.milestones == (50, 70) and enc.recipe.transfer.optim.milestones == (50,)
    train_set = enc.recipe.dataset(store, "xsub", "train", train=True)
    train_set.set_epoch(0)
    first = train_set[0]["x"]
    train_set.set_epoch(1)
    assert not torch.equal(first, train_set[0]["x"])  # a new crop each epoch
    cpu = Context(0, 1, 0, torch.device("cpu"))
    results, _ = run_protocol("linear", tmp_path / "run", cpu, EvalOptions(epochs=2))
    assert results["train_view"] == "train" and results["epochs"] == 2
    # The same probe on features extracted by hand: epoch e trains on epoch e's crops; tested on the test view.
    _, ty, vx, vy = byhand.features(tmp_path / "run")
    views, p = byhand.training_views(tmp_path / "run"), enc.recipe.linear
    probe, logits = linear_probe_logits(views(0), ty, vx, vy, 60, epochs=2, lr=p.lr, milestones=p.milestones,
                                        optimizer=p.optimizer, weight_decay=p.weight_decay, train_views=views)
    assert (results["top1"], results["train_top1"]) == pytest.approx((probe["top1"], probe["train_top1"]))
    saved = load_scores(tmp_path / "run" / "results" / "linear.scores.npz")
    torch.testing.assert_close(torch.from_numpy(saved.scores), logits, rtol=1e-4, atol=1e-5)
    fixed = resolve_config("i2md", "nwucla-xview-cpu", ["augment.probe_view=test"], str(store))
    assert fixed.augment.probe_view == "test"
