"""``actionkit train METHOD`` and ``actionkit config METHOD``: generated per method, --config, recorded stores."""

from __future__ import annotations

import json

import pytest
from clirun import TINY_TRAIN
from typer.testing import CliRunner

from actionkit.cli.main import app
from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import generate_ntu_dataset
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.registry import METHODS, resolve_config

runner = CliRunner()
TINY = ["--set", "run.epochs=2", "--set", "data.frames=8", "--set", "data.batch_size=4", "--set", "data.workers=0",
        "--set", "run.eval_every=1", "--split", "xsub"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-train")
    generate_ntu_dataset(tmp / "raw", samples_per_class=4, seed=1, classes=[10, 23, 27, 55])
    prepare(NTUSource([tmp / "raw"], "ntu60"), tmp / "s.zarr", workers=1, streams=("joint",))
    return tmp / "s.zarr"


def _help(*args: str) -> str:
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def test_each_method_is_a_subcommand_listed_in_train_help():
    text = _help("train")
    for method in METHODS:
        assert f"  {method} " in text


def test_method_help_shows_only_its_own_options_presets_and_settings():
    i2md = _help("train", "i2md")
    assert "--no-imd" in i2md and "--no-cmd" in i2md and "--variant" in i2md
    for other in ("--teacher", "--strategy", "--stage", "--labeled", "--aux-width", "--pipeline", "--scheme"):
        assert other not in i2md, other
    # presets with their length, the measured CPU time where there is one
    assert "nwucla-xview-cpu  80 epochs; measured 21-37 min" in i2md and "pkummd2-xsub      1000 epochs" in i2md
    # the settings table: key, meaning from the dataclass docstring, type and the default preset's value
    line = " ".join(i2md[i2md.index("model.queue_size"):].split()[:8])
    assert line == "model.queue_size Keys per modality queue, N. [int; 512]"
    cmpl = _help("train", "cmpl")
    assert "--labeled" in cmpl and "--aux-width" in cmpl and "--no-imd" not in cmpl
    assert "loss.scheme" in cmpl and "model.queue_size" not in cmpl
    assert "--stage" in _help("train", "mml") and "--teacher" in _help("train", "asma-distill")


def test_help_is_wrapped_not_cut_at_80_columns():
    for args in (("prepare",), ("train", "i2md"), ("eval", "linear")):
        text = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "80"}).output
        assert "…" not in text and max(len(line) for line in text.splitlines() if "<" not in line) <= 80
    prepare_help = " ".join(runner.invoke(app, ["prepare", "--help"], env={"COLUMNS": "80"}).output.split())
    assert "$ACTIONKIT_DATA/raw/DATASET" in prepare_help and "seq[start-1:end]" in prepare_help
    assert "--min-frames" in prepare_help and "Default: 2 when flow or rgbdiff is stored, else 1" in prepare_help


@pytest.mark.parametrize("args, listed", [
    (["train", "moco"], "methods: supervised, i2md, asma, asma-distill, dmcl, mml, cmpl"),
    (["train", "supervised", "--preset", "ntu61-xsub"], "'ntu60-xsub'"),
    (["train", "i2md", "--variant", "simclr"], "'moco'"),
    (["train", "dmcl", "--strategy", "best"], "'random-teacher'"),
    (["config", "cmpl", "--scheme", "x"], "'fixmatch'"),
    (["prepare", "kinetics9000"], "'kinetics400'"),
])
def test_names_are_validated_choices_listed_in_the_error(args, listed):
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and listed in " ".join(result.output.split())


def test_config_prints_the_resolved_settings_and_writes_a_loadable_file(tmp_path):
    result = runner.invoke(app, ["config", "dmcl", "--preset", "nwucla-xview", "--strategy", "independent",
                                 "--set", "optim.lr=0.005"])
    assert result.exit_code == 0, result.output
    cfg = json.loads(result.stdout)
    assert cfg["loss"]["strategy"] == "independent" and cfg["optim"]["lr"] == 0.005
    assert cfg["data"]["protocol"] == "xview" and cfg["data"]["store"].endswith("nwucla-rgbd.zarr")

    out = tmp_path / "dmcl.json"
    assert runner.invoke(app, ["config", "dmcl", "--preset", "nwucla-xview", "--out", str(out)]).exit_code == 0
    again = runner.invoke(app, ["config", "dmcl", "--config", str(out), "--set", "run.epochs=3"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == {**json.loads(out.read_text()),
                                        "run": {**json.loads(out.read_text())["run"], "epochs": 3}}


def test_config_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"optim": {"learning_rate": 1}}))
    result = runner.invoke(app, ["config", "supervised", "--config", str(bad)])
    assert result.exit_code == 1 and "unknown setting 'optim.learning_rate'" in result.output
    bad.write_text(json.dumps({"run": {"epochs": "ten"}}))
    result = runner.invoke(app, ["config", "supervised", "--config", str(bad)])
    assert result.exit_code == 1 and "'run.epochs' is 'ten'; expected int" in " ".join(result.output.split())
    result = runner.invoke(app, ["config", "supervised", "--config", str(bad), "--preset", "demo"])
    assert result.exit_code == 1 and "not both" in result.output
    result = runner.invoke(app, ["train", "supervised", "--config", str(tmp_path / "none.json")])
    assert result.exit_code == 1 and "no such config file" in result.output


def test_a_run_repeated_from_its_config_json_gives_the_same_figures(store, tmp_path, monkeypatch):
    monkeypatch.chdir(store.parent)  # the store given relative: the run must record it absolute
    first = runner.invoke(app, ["train", "supervised", "--preset", "demo", "--store", "s.zarr", *TINY,
                                "--out", str(tmp_path / "r1")])
    assert first.exit_code == 0, first.output
    recorded = json.loads((tmp_path / "r1" / "config.json").read_text())
    assert recorded["data"]["store"] == str(store)

    monkeypatch.chdir(tmp_path)
    again = runner.invoke(app, ["train", "supervised", "--config", str(tmp_path / "r1" / "config.json"),
                                "--out", str(tmp_path / "r2")])
    assert again.exit_code == 0, again.output
    a, b = (json.loads((tmp_path / r / "summary.json").read_text()) for r in ("r1", "r2"))
    a.pop("seconds"), b.pop("seconds")
    assert a == b and "top1" in a

    # --set still applies on top of the file
    third = runner.invoke(app, ["train", "supervised", "--config", str(tmp_path / "r1" / "config.json"),
                                "--set", "run.epochs=1", "--out", str(tmp_path / "r3")])
    assert third.exit_code == 0, third.output
    assert json.loads((tmp_path / "r3" / "summary.json").read_text())["epochs"] == 1


def test_a_missing_store_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONKIT_DATA", str(tmp_path / "data"))
    result = runner.invoke(app, ["train", "supervised", "--preset", "nwucla-xview-cpu"])
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "no such store" in text
    assert f"actionkit prepare nwucla --raw DOWNLOAD --out {tmp_path / 'data' / 'nwucla.zarr'}" in text
    assert "--store PATH" in text and "Traceback" not in text


def test_user_facing_epochs_are_1_based(store, tmp_path):
    result = runner.invoke(app, ["train", "supervised", "--preset", "demo", "--store", str(store), *TINY,
                                 "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("epoch ")]
    assert lines[0].startswith("epoch 1/2 step") and lines[1].startswith("epoch 2/2 step")
    stopped = runner.invoke(app, ["train", "supervised", "--preset", "demo", "--store", str(store), *TINY,
                                  "--set", "run.max_steps=1", "--out", str(tmp_path / "s")])
    assert stopped.exit_code == 0 and "stopped by max_steps 1 at epoch 1, step 1" in stopped.output


@pytest.mark.parametrize("args, expected", [
    (["mml", "--stage", "ce", "--modality", "rgb", "--init", "w.pth"],
     {"stage": "ce", "model.modalities": ["rgb"], "model.init": "w.pth"}),
    (["mml", "--pipeline", "--modalities", "rgb,flow"], {"pipeline": True, "model.modalities": ["rgb", "flow"]}),
    (["i2md", "--variant", "cmd", "--no-cmd", "--split", "xsub"],
     {"model.backbone": "gru", "model.imd": False, "model.cmd": False, "data.protocol": "xsub"}),
    (["cmpl", "--labeled", "0.1", "--subset-seed", "1", "--scheme", "fixmatch", "--aux", "resnet3d18",
      "--aux-width", "1"], {"data.labeled": 0.1, "data.subset_seed": 1, "loss.scheme": "fixmatch",
                            "model.aux": "resnet3d18", "model.aux_width": 1.0}),
    (["asma-distill", "--teacher", "runs/asma/x", "--tau", "9"], {"teacher.run": "runs/asma/x", "model.tau": 9.0}),
    (["dmcl", "--strategy", "independent", "--modalities", "rgb,depth"],
     {"loss.strategy": "independent", "data.modalities": ["rgb", "depth"]}),
    (["supervised", "--backbone", "gru", "--set", "optim.lr=0.05"], {"model.backbone": "gru", "optim.lr": 0.05}),
])
def test_the_documented_option_spellings_set_their_keys(args, expected):
    result = runner.invoke(app, ["config", *args])
    assert result.exit_code == 0, result.output
    cfg = json.loads(result.stdout)
    for key, value in expected.items():
        node = cfg
        for part in key.split("."):
            node = node[part]
        assert node == value, key


def test_two_options_for_the_variant_conflict():
    result = runner.invoke(app, ["config", "mml", "--stage", "ce", "--variant", "ml"])
    assert result.exit_code == 1 and "not both" in result.output


# ----------------------------------------------------------------------------- a run through the command line
def test_train_supervised_writes_the_run_and_prints_its_summary(cli_run, cli_store):
    run, result = cli_run
    assert result.exit_code == 0, result.output
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["epochs"], summary["steps"]) == (1, 2)  # 8 training samples, batch 4
    printed = json.loads(result.stdout[result.stdout.index("{"):])
    # per-class accuracy stays in summary.json (the terminal shows totals)
    assert "per_class" in summary and "mean_class" in printed
    assert printed == {**{k: v for k, v in summary.items() if k != "per_class"}, "run": str(run)}
    config = json.loads((run / "config.json").read_text())
    # --store and every --set reached the run's config; the rest is the demo preset.
    assert config["data"]["store"] == str(cli_store)
    assert (config["data"]["frames"], config["data"]["batch_size"], config["run"]["epochs"]) == (8, 4, 1)
    assert config["model"]["backbone"] == resolve_config("supervised", "demo", [], None).model.backbone
    state = load_checkpoint(run)["state"]
    assert (state["epoch"], state["step"], state["position"]) == (1, 2, 0)


def test_train_errors_are_one_line(cli_store, tmp_path):
    result = runner.invoke(app, ["train", "supervised", "--store", str(cli_store), "--preset", "demo", *TINY_TRAIN,
                                 "--set", "data.protocol=xset", "--out", str(tmp_path / "r")])  # fmt: skip
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and "no split" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["train", "supervised", "--store", str(tmp_path / "absent.zarr"), *TINY_TRAIN])
    assert result.exit_code == 1 and result.output.startswith("error: ") and "Traceback" not in result.output
