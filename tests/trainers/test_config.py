"""Typed configs: --set overrides, errors, round trip, saved files, settings read from the docstrings."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from actionkit.trainers.config import (
    DataConfig,
    OptimConfig,
    RunConfig,
    apply_overrides,
    attribute_docs,
    describe,
    flat_keys,
    format_value,
    from_dict,
    load_config,
    one_line,
    save_config,
    to_dict,
)


@dataclass
class Cfg:
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)


def test_overrides_parse_by_declared_type_and_do_not_touch_the_original():
    base = Cfg()
    cfg = apply_overrides(base, ["optim.lr=0.05", "optim.nesterov=true", "optim.milestones=30,40",
                                 "data.store=/x.zarr", "run.epochs=3"])
    assert cfg.optim.lr == 0.05 and cfg.optim.nesterov is True and cfg.optim.milestones == (30, 40)
    assert cfg.data.store == "/x.zarr" and cfg.run.epochs == 3
    assert base.optim.lr == 0.1 and base.optim.milestones == () and base.run.epochs == 1


@pytest.mark.parametrize("item, message", [
    ("optim.lr", "expected key=value"),
    ("optim.learning_rate=1", "unknown key"),
    ("nothing.lr=1", "unknown key"),
    ("optim=1", "unknown key"),
    ("run.epochs=ten", "not a valid int"),
    ("optim.nesterov=maybe", "not a valid bool"),
])
def test_bad_overrides_say_what_is_wrong(item, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(Cfg(), [item])


def test_round_trip_and_keys():
    cfg = apply_overrides(Cfg(), ["optim.milestones=5,7"])
    assert from_dict(Cfg, to_dict(cfg)) == cfg
    assert "optim.lr" in flat_keys(cfg) and "data.store" in flat_keys(cfg)


@dataclass
class Documented:
    """Something.

    Attributes:
        lr: Base rate (eq. 3 of the paper). Ignored when frozen.
        a / b: Two ends of a range,
            continued here.
        flag (bool): On or off.

    A paragraph after the section.
    """

    lr: float = 0.1
    a: int = 0
    b: int = 1
    flag: bool = False
    undocumented: str = ""


def test_attribute_docs_and_one_line_meanings():
    docs = attribute_docs(Documented)
    assert docs["a"] == docs["b"] == "Two ends of a range, continued here."
    assert one_line(docs["lr"]) == "Base rate (eq. 3 of the paper)" and "undocumented" not in docs
    rows = {s.key: s for s in describe(Documented())}
    assert (rows["lr"].type, rows["lr"].value, rows["flag"].meaning) == ("float", 0.1, "On or off")
    assert rows["undocumented"].meaning == ""


def test_every_setting_of_every_method_is_documented():
    from actionkit.trainers.registry import METHODS

    for name, entry in METHODS.items():
        for preset in entry.presets.values():
            missing = [s.key for s in describe(preset()) if not s.meaning]
            assert not missing, f"{name}: no Attributes: entry for {missing}"


def test_load_config_round_trip_and_strict_keys(tmp_path):
    cfg = apply_overrides(Cfg(), ["optim.milestones=5,7", "run.seed=3"])
    path = tmp_path / "c.json"
    save_config(cfg, path)
    assert load_config(Cfg, path) == cfg
    path.write_text('{"run": {"epochs": 2}}')
    assert load_config(Cfg, path).run.epochs == 2 and load_config(Cfg, path).optim == OptimConfig()
    for text, message in (('{"runs": {}}', "unknown setting 'runs'"), ('{"run": {"seed": 1.5}}', "expected int"),
                          ('{"run": {"amp": 1}}', "expected bool"), ("[1]", "JSON object"), ("{", "not a JSON")):
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            load_config(Cfg, path)
    with pytest.raises(FileNotFoundError, match="no such config file"):
        load_config(Cfg, tmp_path / "none.json")
    assert format_value((1, 2)) == "1,2" and format_value(True) == "true"
