"""ASMa: eq. 9 wired per the paper, every masking mode, exact resume, evaluation of either encoder."""

from __future__ import annotations

import byhand
import pytest
import torch

from actionkit.data import collate
from actionkit.losses import asma_encoder_loss
from actionkit.trainers.asma import ASMa, ASMaModelConfig, build, make_train_set
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.registry import resolve_config, train

TINY = ["model.channels=8,8,16", "model.strides=1,2,1", "model.proj_hidden=32", "model.proj_dim=32",
        "masking.joints=3", "masking.frames=2", "data.protocol=xsub", "data.frames=12", "data.batch_size=4",
        "data.workers=0", "run.epochs=2", "run.log_every=1"]  # fmt: skip


def tiny_config(store, *extra, variant=None):
    return resolve_config("asma", "nwucla-xview-cpu", [*TINY, *extra], str(store), variant=variant)


def first_batch(cfg, size: int = 4) -> dict:
    train_set = make_train_set(cfg)
    return collate([train_set[i] for i in range(size)])


@pytest.mark.parametrize("mode", ["asymmetric", "symmetric", "random"])
def test_every_masking_mode_trains_a_step(store, mode):
    cfg = tiny_config(store, variant=mode)
    assert cfg.masking.mode == mode
    method, train_set, _ = build(cfg)
    batch = first_batch(cfg)
    assert len(batch["x"]) == 5 and all(v.shape[:3] == (4, 3, 12) for v in batch["x"])
    out = method(batch)
    assert set(out) == {"loss", "theta", "phi"}
    assert torch.isfinite(out["loss"]) and float(out["loss"].detach()) > 0
    out["loss"].backward()
    for part in (method.encoders["theta"], method.encoders["phi"], method.projector):
        grads = [p.grad for p in part.parameters()]
        assert all(g is not None and torch.isfinite(g).all() for g in grads)
        assert sum(float(g.abs().sum()) for g in grads) > 0


def test_the_projector_is_shared_and_the_encoders_are_not(store):
    method, _, _ = build(tiny_config(store))
    assert [name for name, _ in method.named_children()] == ["encoders", "projector"]
    theta, phi = method.encoders["theta"], method.encoders["phi"]
    assert theta is not phi
    assert any(not torch.equal(a, b) for a, b in zip(theta.parameters(), phi.parameters()))  # two initialisations


def test_total_is_eq9_computed_from_the_modules(store):
    cfg = tiny_config(store, "model.lambd=0.01")
    method, _, _ = build(cfg)
    batch = first_batch(cfg)
    torch.manual_seed(3)  # the encoders' dropout: the same draws in the same order below
    out = method(batch)
    torch.manual_seed(3)
    anchor, xj_t, xm_t, xj_p, xm_p = batch["x"]
    total = 0.0
    for enc, (xj, xm) in (("theta", (xj_t, xm_t)), ("phi", (xj_p, xm_p))):
        z, zj, zm = (method.projector(method.encoders[enc](v)) for v in (anchor, xj, xm))
        term = asma_encoder_loss(z, zj, zm, lambd=0.01)  # eq. 8: L_1^k + L_2^k
        torch.testing.assert_close(out[enc], term.detach())
        total = total + term
    torch.testing.assert_close(out["loss"], total)  # eq. 9


def test_dataset_items_carry_five_streams_seeded_per_sample(store):
    cfg = tiny_config(store)
    a, b = make_train_set(cfg), make_train_set(cfg)
    other = make_train_set(tiny_config(store, "run.seed=1"))
    item = a[1]["x"]
    assert len(item) == 5 and all(v.shape[:2] == (3, 12) for v in item)
    assert all(torch.equal(u, v) for u, v in zip(item, b[1]["x"]))
    assert not all(torch.equal(u, v) for u, v in zip(item, other[1]["x"]))
    a.set_epoch(1)
    assert not all(torch.equal(u, v) for u, v in zip(item, a[1]["x"]))


def test_resume_mid_pretraining_is_exact(store, tmp_path):
    full = train("asma", tiny_config(store), out=tmp_path / "full")
    assert full["epochs"] == 2 and full["steps"] >= 3
    stopped = train("asma", tiny_config(store, "run.max_steps=3"), out=tmp_path / "part")
    assert stopped["interrupted"]
    train("asma", None, resume=tmp_path / "part")
    a = load_checkpoint(tmp_path / "full")
    b = load_checkpoint(tmp_path / "part")
    assert a["method"] == "asma" and any(k.startswith("encoders.phi.") for k in a["model"])
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert a["state"]["step"] == b["state"]["step"] == full["steps"]


def test_eval_knn_linear_and_finetune_on_either_encoder(store, tmp_path):
    from actionkit.trainers.distributed import Context
    from actionkit.trainers.evaluation import EvalOptions, load_encoder, run_protocol

    cpu = Context(0, 1, 0, torch.device("cpu"))
    run = tmp_path / "run"
    train("asma", tiny_config(store, "run.epochs=1"), out=run)
    results, path = run_protocol("knn", run, cpu, EvalOptions())
    assert path.name == "knn.json" and results["top1"] == pytest.approx(byhand.knn_top1(run)) and results["test"] == 8
    results, path = run_protocol("knn", run, cpu, EvalOptions(modality="phi"))
    assert path.name == "knn-phi.json" and results["top1"] == pytest.approx(byhand.knn_top1(run, "phi"))
    results, _ = run_protocol("linear", run, cpu, EvalOptions(epochs=2))
    assert (results["optimizer"], results["lr"], results["epochs"]) == ("adam", 1e-3, 2)
    results, _ = run_protocol("finetune", run, cpu, EvalOptions(epochs=1, modality="phi"))
    # the fine-tuned f_phi + head of RUN/eval/finetune-phi, run on the test part by hand: its logits and top1
    top1, scores = byhand.finetuned(run, modality="phi")
    assert results["top1"] == top1 and results["epochs"] == 1 and results["test"] == 8
    byhand.assert_same_scores(run / "results" / "finetune-phi.scores.npz", scores)
    enc = load_encoder(run)
    assert (enc.recipe.linear.epochs, enc.recipe.finetune.run.epochs, enc.recipe.finetune.optim.lr) == (150, 150, 5e-3)
    state = load_checkpoint(run)["model"]
    for name in ("theta", "phi"):
        loaded = load_encoder(run, modality=name).encoder.state_dict()
        for k, v in loaded.items():
            assert torch.equal(v, state[f"encoders.{name}.{k}"])
    with pytest.raises(ValueError, match="encoders theta, phi; it has no joint encoder"):
        load_encoder(run, modality="joint")


def test_presets_hold_the_paper_settings():
    for name in ("ntu60-xsub", "ntu60-xview", "ntu120-xsub", "ntu120-xset", "pkummd2-xsub"):
        cfg = resolve_config("asma", name, [], None)
        assert (cfg.optim.name, cfg.optim.schedule, cfg.optim.weight_decay, cfg.optim.warmup_epochs) == (
            "adam", "cosine", 1e-5, 10)
        assert (cfg.run.epochs, cfg.data.batch_size, cfg.data.frames) == (150, 128, 50)
        assert (cfg.masking.mode, cfg.masking.joints, cfg.masking.frames) == ("asymmetric", 9, 10)
        assert (cfg.model.backbone, cfg.model.proj_hidden, cfg.model.proj_dim, cfg.model.lambd) == (
            "stgcn16", 6144, 6144, 2e-4)
    cpu = resolve_config("asma", None, [], None)
    assert cpu.data.protocol == "xview" and cpu.data.store.endswith("nwucla.zarr")


def test_bad_configs_say_what_to_do(store):
    with pytest.raises(KeyError, match="variants: asymmetric, symmetric, random"):
        tiny_config(store, variant="diagonal")
    with pytest.raises(ValueError, match="valid: asymmetric, symmetric, random"):
        build(tiny_config(store, "masking.mode=diagonal"))
    with pytest.raises(ValueError, match=r"masking.frames=20 must be in 0..data.frames \(12\)"):
        build(tiny_config(store, "masking.frames=20"))
    with pytest.raises(ValueError, match="masking.joints=30 exceeds the 25 joints"):
        build(tiny_config(store, "masking.joints=30"))
    with pytest.raises(ValueError, match="must be given together"):
        build(tiny_config(store, "model.strides=1,2"))
    with pytest.raises(ValueError, match="batch_size must be at least 2"):
        build(tiny_config(store, "data.batch_size=1"))
    with pytest.raises(ValueError, match="the five streams"):
        method, _, _ = build(tiny_config(store))
        method({"x": [torch.zeros(2, 3, 12, 25, 2)] * 2})
    with pytest.raises(ValueError, match="model.lambd must be non-negative"):
        ASMa(lambda: None, ASMaModelConfig(lambd=-1.0))


def assert_aligned_top1_recomputed(run, results, epochs: int, random_init: bool = False, standardize: bool = False):
    """``linear --align``'s top1 is the saved module's accuracy on per-frame features extracted by hand (one sample
    at a time), and that module is what the protocol's pure pieces train on those features."""
    from actionkit.trainers.evaluation import load_encoder
    from actionkit.trainers.probe import train_alignment

    t_theta, t_phi, ty, v_theta, v_phi, vy = byhand.aligned_features(run, random_init, standardize)
    module = byhand.saved_alignment(results["alignment"])
    predicted = byhand.predictions(module, v_theta, v_phi)
    assert results["top1"] == float((predicted == vy).float().mean()) and results["test"] == len(vy) == 8
    again = train_alignment((t_theta, t_phi, ty), (v_theta, v_phi, vy), 60, load_encoder(run).recipe.linear,
                            epochs=epochs, seed=0)[1]  # fmt: skip
    with torch.no_grad():  # outputs, not weights: the key projection's bias has no gradient, Adam moves it on noise
        torch.testing.assert_close(module(v_theta, v_phi), again(v_theta, v_phi), rtol=1e-4, atol=1e-4)
    return predicted


def test_linear_align_trains_the_alignment_module_on_both_frozen_encoders(store, tmp_path):
    from actionkit.trainers.distributed import Context
    from actionkit.trainers.evaluation import EvalOptions, _load_aligned_pair, run_protocol

    cpu = Context(0, 1, 0, torch.device("cpu"))
    run = tmp_path / "run"
    train("asma", tiny_config(store, "run.epochs=1"), out=run)
    before = {k: v.clone() for k, v in load_checkpoint(run)["model"].items()}
    results, path = run_protocol("linear", run, cpu, EvalOptions(epochs=2, align=True))
    assert path.name == "linear-aligned.json" and results["align"] is True
    assert (results["optimizer"], results["epochs"]) == ("adam", 2)
    assert_aligned_top1_recomputed(run, results, epochs=2)
    after = load_checkpoint(run)["model"]
    assert all(torch.equal(before[k], after[k]) for k in before)  # the encoders stay frozen
    results, path = run_protocol("linear", run, cpu, EvalOptions(epochs=1, align=True, random_init=True))
    assert path.name == "linear-aligned-random-init.json"
    assert_aligned_top1_recomputed(run, results, epochs=1, random_init=True)  # features of the run's initial pair
    initial = build(tiny_config(store, "run.epochs=1"))[0].encoders  # two different draws, as the method's
    for name in ("theta", "phi"):
        untrained = _load_aligned_pair(run, True, name).encoder.state_dict()
        assert all(torch.equal(v, initial[name].state_dict()[k]) for k, v in untrained.items()), name
    results, path = run_protocol("linear", run, cpu, EvalOptions(epochs=80, align=True, standardize=True))
    assert path.name == "linear-aligned-standardized.json" and results["standardize"] is True
    assert results["alignment"].endswith("aligned-standardized.pt")
    predicted = assert_aligned_top1_recomputed(run, results, epochs=80, standardize=True)
    assert len(predicted.unique()) > 1  # not a constant prediction, whose accuracy any module would share
    with pytest.raises(ValueError, match="--align fuses both encoders: use it with linear"):
        run_protocol("knn", run, cpu, EvalOptions(align=True))
    with pytest.raises(ValueError, match="--align fuses both encoders: use it with linear"):
        run_protocol("linear", run, cpu, EvalOptions(align=True, modality="phi"))


def test_pstl_recipe_removes_frames_and_joints(store, tmp_path):
    """augment.recipe=pstl: PSTL's view, frames deleted from x_m, one joint set per batch removed from the graph."""
    from unittest import mock

    cfg = tiny_config(store, "augment.recipe=pstl")
    method, train_set, _ = build(cfg)
    batch = first_batch(cfg)
    anchor, theta_j, theta_m, phi_j, phi_m = batch["x"]
    assert theta_m.shape[2] == phi_m.shape[2] == 12 - 2 and theta_j.shape == anchor.shape  # removal, not zeros
    assert theta_j.abs().sum(dim=(0, 1, 2, 4)).min() > 0  # no joint zeroed in the data: the encoder removes them
    kept = {k: method.removal.kept(k, batch["index"], 0, torch.device("cpu")) for k in ("theta", "phi")}
    assert all(len(v) == train_set.layout.num_joints - 3 for v in kept.values())
    torch.testing.assert_close(kept["theta"], method.removal.kept("theta", batch["index"], 0, torch.device("cpu")))
    seen = []
    original = type(method.encoders["theta"]).forward

    def spy(self, x, joints=None):
        seen.append(None if joints is None else joints.tolist())
        return original(self, x, joints)

    with mock.patch.object(type(method.encoders["theta"]), "forward", spy):
        out = method(batch)
    assert kept["theta"].tolist() in seen and kept["phi"].tolist() in seen and seen.count(None) == 4
    assert torch.isfinite(out["loss"])
    assert train("asma", tiny_config(store, "augment.recipe=pstl", "run.epochs=1"), out=tmp_path / "run")["epochs"] == 1
    with pytest.raises(ValueError, match="valid: asma, pstl"):
        build(tiny_config(store, "augment.recipe=moco"))
