"""The restricted unpickler: numpy data and built-in containers load, anything else is refused by name."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from actionkit.importers.safe_pickle import UnsafePickleError, safe_load, safe_loads


class RunsCode:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


class Custom:
    pass


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_numpy_and_builtins_load(protocol):
    data = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.int64(4), "c": {1, 2}, "d": (1, "x"),
            "e": [np.float16(1.5), None, True, 2.5, b"raw", frozenset({3})], "f": np.zeros((0, 4), np.uint8)}
    back = safe_loads(pickle.dumps(data, protocol=protocol))
    assert np.array_equal(back["a"], data["a"]) and back["a"].dtype == np.float32
    assert back["b"] == 4 and back["c"] == {1, 2} and back["d"] == (1, "x") and back["e"][4] == b"raw"
    assert back["f"].shape == (0, 4)


def test_code_is_refused_and_not_run(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"annotations": [RunsCode()]}))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(UnsafePickleError, match=r"(posix|os|nt)\.system"):
            safe_load(path)
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "PWNED").exists()
    with pytest.raises(UnsafePickleError, match="test_safe_pickle.Custom"):
        safe_loads(pickle.dumps([Custom()]))
    with pytest.raises(UnsafePickleError, match="subprocess.check_output"):
        safe_loads(b"csubprocess\ncheck_output\n(S'ls'\ntR.")


@pytest.mark.parametrize("content", [b"garbage\n", b"", pickle.dumps({"annotations": [1, 2]})[:-7]],
                         ids=["text", "empty", "truncated"])
def test_a_file_that_is_not_a_pickle_is_named_as_such(tmp_path, content):
    path = tmp_path / "bad.pkl"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"bad\.pkl: not a readable pickle file \(\w+"):
        safe_load(path)
