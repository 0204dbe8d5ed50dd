"""The genuine-data helper: skip on a user's clone, fail in CI (``ACTIONKIT_REQUIRE_REAL=1``)."""

from __future__ import annotations

import pytest
import realdata


@pytest.mark.parametrize("value", ["", "0"])
def test_missing_data_skips_with_its_path_when_not_required(monkeypatch, value):
    monkeypatch.setenv(realdata.REQUIRE_ENV, value)
    with pytest.raises(pytest.skip.Exception, match=r"no-such-dataset/x\.bin"):
        realdata.real_path("no-such-dataset", "x.bin")
    with pytest.raises(pytest.skip.Exception, match=r"no-such-dataset/\*\.skeleton"):
        realdata.real_files("no-such-dataset", pattern="*.skeleton")


def test_missing_data_fails_when_required(monkeypatch):
    monkeypatch.setenv(realdata.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="ACTIONKIT_REQUIRE_REAL=1 requires it"):
        realdata.real_path("no-such-dataset", "x.bin")
    with pytest.raises(pytest.fail.Exception, match=r"no-such-dataset/\*"):
        realdata.real_files("no-such-dataset")


def test_present_data_is_returned(monkeypatch, tmp_path):
    monkeypatch.setattr(realdata, "REAL_DATA", tmp_path)
    monkeypatch.setenv(realdata.REQUIRE_ENV, "1")
    (tmp_path / "ntu").mkdir()
    for name in ("b.skeleton", "a.skeleton", "c.txt"):
        (tmp_path / "ntu" / name).write_text("x")
    assert realdata.real_path("ntu", "c.txt") == tmp_path / "ntu" / "c.txt"
    assert [p.name for p in realdata.real_files("ntu", pattern="*.skeleton")] == ["a.skeleton", "b.skeleton"]
