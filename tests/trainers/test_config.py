"""Typed configs: --set overrides, errors, round trip."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from actionkit.trainers.config import DataConfig, OptimConfig, RunConfig, apply_overrides, flat_keys, from_dict, to_dict


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
