"""ASMa-Distill: a student trained on a frozen aligned teacher's logits (eq. 13-14)."""

from __future__ import annotations

import byhand
import pytest
import torch
from learning import one_thread, prepare_skeletons, skeleton_raw

from actionkit.data import collate
from actionkit.layouts import NTU25
from actionkit.losses import knowledge_distillation
from actionkit.models import build_backbone
from actionkit.trainers.asma_distill import ASMaDistill, StudentConfig, build
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.distributed import Context
from actionkit.trainers.evaluation import EvalOptions, run_protocol
from actionkit.trainers.registry import resolve_config, train

ASMA_TINY = ["model.channels=8,8,16", "model.strides=1,2,1", "model.proj_hidden=32", "model.proj_dim=32",
             "masking.joints=3", "masking.frames=2", "data.protocol=xsub", "data.frames=12", "data.batch_size=4",
             "data.workers=0", "run.epochs=1"]  # fmt: skip


@pytest.fixture(scope="module")
def teacher_run(store, tmp_path_factory):
    run = tmp_path_factory.mktemp("asma") / "run"
    train("asma", resolve_config("asma", None, ASMA_TINY, str(store)), out=run)
    return run


def distill_config(teacher, *extra):
    return resolve_config("asma-distill", None, [f"teacher.run={teacher}", "data.batch_size=4", "data.workers=0",
                                                 "run.epochs=2", "run.eval_every=1", *extra], None)  # fmt: skip


def test_student_learns_from_the_frozen_aligned_teacher(teacher_run, tmp_path):
    cpu = Context(0, 1, 0, torch.device("cpu"))
    with pytest.raises(ValueError, match="no trained alignment module; run `actionkit eval linear"):
        build(distill_config(teacher_run))
    run_protocol("linear", teacher_run, cpu, EvalOptions(epochs=2, align=True))
    cfg = distill_config(teacher_run, "model.tau=4")
    method, train_set, test_set = build(cfg)
    assert (cfg.data.protocol, cfg.data.frames) == ("xsub", 12)  # the teacher run's data
    assert train_set.num_classes == test_set.num_classes

    batch = collate([train_set[i] for i in range(4)])
    method.train()
    assert not method.teacher.training and method.student.training
    torch.manual_seed(5)  # the student's dropout: the same draws in the same order below
    out = method(batch)
    torch.manual_seed(5)
    with torch.no_grad():
        student, teacher = method.logits(batch["x"]), method.teacher(batch["x"])
    # Eq. 14 from the networks' outputs, train mode on both sides (batch statistics, same dropout).
    torch.testing.assert_close(out["loss"].detach(), knowledge_distillation(student, teacher, 4.0))
    for wrong in (knowledge_distillation(student, teacher, 3.0), knowledge_distillation(student, teacher, 4.0, True)):
        assert not torch.allclose(out["loss"].detach(), wrong)  # another temperature or direction is told apart
    out["loss"].backward()
    assert all(p.grad is None for p in method.teacher.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in method.student.parameters())



@pytest.fixture(scope="module")
def separable_teacher(tmp_path_factory):
    """An ASMa run on the 4 separable classes (24 train, 24 test) with an aligned classifier clearly above chance.

    3 epochs of ASMa, then ``linear --align`` for 400 epochs (the paper's Adam lr 1e-3): the
    tiny run of :func:`teacher_run` with its 2-epoch module is near-constant (its logits differ
    by 3e-3), so that a student agreeing with it proves little.
    """
    tmp = tmp_path_factory.mktemp("separable-teacher")
    store = prepare_skeletons(skeleton_raw(tmp / "raw"), tmp / "s.zarr")
    run = tmp / "run"
    with one_thread():
        train("asma", resolve_config("asma", None, [*ASMA_TINY, "data.frames=8", "run.epochs=3"], str(store)), out=run)
        run_protocol("linear", run, Context(0, 1, 0, torch.device("cpu")), EvalOptions(epochs=400, align=True))
    return run


def test_student_learns_the_teachers_decisions(separable_teacher, tmp_path):
    # The student, trained on the teacher's logits alone (no labels), reaches the teacher's
    # classes on the held-out side, against the same run at learning rate 0 (same passes and
    # batch-norm statistics, weights at init). Measured: teacher 1.0; student top-1 0.83 and
    # agreement 0.83, at lr 0 both 0.0 (its 60-way head starts on other classes); chance 0.25.
    runs = {}
    for name, lr in (("student", "0.01"), ("control", "0")):
        with one_thread():
            runs[name] = train("asma-distill", distill_config(separable_teacher, "model.tau=4", f"optim.lr={lr}",
                                                              "run.epochs=10", "run.eval_every=10"),
                               out=tmp_path / name)  # fmt: skip
    print({name: {k: r[k] for k in ("top1", "teacher_top1", "agreement")} for name, r in runs.items()})
    student, control = runs["student"], runs["control"]
    assert student["teacher_top1"] == control["teacher_top1"] >= 0.75  # a teacher clearly above chance (0.25)
    assert student["top1"] >= 0.6 and student["top1"] >= control["top1"] + 0.4
    assert student["agreement"] >= 0.6 and student["agreement"] >= control["agreement"] + 0.4
    teacher = build(distill_config(separable_teacher))[0].teacher.state_dict()
    state = load_checkpoint(tmp_path / "student")["model"]
    for k, v in teacher.items():
        assert torch.equal(state[f"teacher.{k}"], v), k  # the teacher stays frozen


def test_the_teacher_must_be_an_asma_run_with_an_alignment(store, tmp_path):
    with pytest.raises(ValueError, match="needs a teacher"):
        build(resolve_config("asma-distill", None, [], None))
    sup = tmp_path / "sup"
    train("supervised", resolve_config("supervised", "demo", ["data.protocol=xsub", "data.frames=8",
                                                              "data.batch_size=4", "data.workers=0",
                                                              "run.epochs=1", "model.backbone=stgcn16"],
                                       str(store)), out=sup)  # fmt: skip
    with pytest.raises(ValueError, match="the teacher must be an asma run, not 'supervised'"):
        build(distill_config(sup))
    with pytest.raises(ValueError, match="model.tau must be positive"):
        ASMaDistill(torch.nn.Identity(), build_backbone("stgcn5", NTU25), 60, StudentConfig(tau=0.0))


def test_combined_finetuning_and_the_finetuned_teacher(teacher_run, tmp_path):
    """Section 4: the alignment module on the two fine-tuned encoders (50 epochs, lr 1e-4); 5.4: the FT teacher."""
    from actionkit.trainers.evaluation import load_encoder
    from actionkit.trainers.method import finetuned_path
    from actionkit.trainers.probe import alignment_path

    cpu = Context(0, 1, 0, torch.device("cpu"))
    with pytest.raises(FileNotFoundError, match="eval finetune .* first"):
        run_protocol("finetune", teacher_run, cpu, EvalOptions(epochs=1, align=True))
    run_protocol("finetune", teacher_run, cpu, EvalOptions(epochs=1))
    run_protocol("finetune", teacher_run, cpu, EvalOptions(epochs=1, modality="phi"))
    assert (finetuned_path(teacher_run) / "checkpoints" / "last.pt").is_file()
    assert (finetuned_path(teacher_run, "phi") / "checkpoints" / "last.pt").is_file()  # not theta's, overwritten
    results, _ = run_protocol("finetune", teacher_run, cpu, EvalOptions(epochs=2, align=True))
    assert results["align"] and results["lr"] == 1e-4 and results["epochs"] == 2
    assert load_encoder(teacher_run).recipe.combined.epochs == 50
    saved = alignment_path(teacher_run, combined=True)
    scores = torch.load(saved.with_name("aligned-test-scores.pt"), weights_only=True)
    assert scores["logits"].shape[0] == len(scores["labels"]) == len(scores["sample_ids"]) == results["test"]
    assert (scores["logits"].argmax(1) == scores["labels"]).float().mean().item() == pytest.approx(results["top1"])
    # by hand: the saved module on both fine-tuned encoders' per-frame features of the test part, one sample at a time
    *_, v_theta, v_phi, vy = byhand.aligned_features(teacher_run, finetuned=True)
    module = byhand.saved_alignment(saved)
    assert results["top1"] == float((byhand.predictions(module, v_theta, v_phi) == vy).float().mean())
    with torch.no_grad():
        torch.testing.assert_close(module(v_theta, v_phi), scores["logits"], rtol=1e-4, atol=1e-5)

    method, _, _ = build(distill_config(teacher_run, "teacher.finetuned=true"))
    tuned = load_checkpoint(finetuned_path(teacher_run, "phi") / "checkpoints" / "last.pt")["model"]
    key = next(k for k in tuned if k.startswith("backbone.") and k.endswith("weight"))
    torch.testing.assert_close(method.teacher.state_dict()[f"phi.{key[len('backbone.'):]}"], tuned[key])
