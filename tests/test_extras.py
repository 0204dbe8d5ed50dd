"""Dependencies by need: the core path never imports an extra, and a missing extra is one clear error."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from realdata import real_path

from actionkit.extras import MissingExtraError, require

#: Installs an import hook that makes the extras' libraries look uninstalled.
BLOCK = textwrap.dedent("""
    import importlib.abc, sys
    BLOCKED = {"torch", "torchvision", "cv2", "decord", "av", "h5py"} - ALLOWED
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, Block())
""")


def _run(script: str, allowed: tuple[str, ...] = ()) -> dict:
    prelude = f"ALLOWED = {set(allowed)!r}\n" + BLOCK
    proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_require_imports_or_names_the_extra():
    assert require("json", "video") is json
    with pytest.raises(MissingExtraError) as caught:
        require("actionkit_no_such_module", "video")
    message = str(caught.value)
    assert isinstance(caught.value, ImportError) and caught.value.name == "actionkit_no_such_module"
    assert "'video' extra" in message and "pip install 'actionkit[video]'" in message and "\n" not in message
    with pytest.raises(KeyError, match="no extra is known for 'actionkit_no_such_module'"):
        require("actionkit_no_such_module")


def test_a_library_missing_its_own_dependency_keeps_its_error(tmp_path, monkeypatch):
    (tmp_path / "fakelib").mkdir()
    (tmp_path / "fakelib" / "__init__.py").write_text("import fakelib_missing_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as caught:
        require("fakelib", "video")
    assert not isinstance(caught.value, MissingExtraError) and caught.value.name == "fakelib_missing_dependency"


def test_core_skeleton_path_runs_without_any_extra(tmp_path):
    raw = real_path("nw_ucla", "all_sqe")
    out = tmp_path / "s.zarr"
    result = _run(f"""
        import json, sys
        from typer.testing import CliRunner
        from actionkit.cli.main import app
        runner = CliRunner()
        codes = [runner.invoke(app, args).exit_code for args in (
            ["prepare", "nwucla", "--raw", {str(raw)!r}, "--out", {str(out)!r}, "--limit", "12", "--workers", "1"],
            ["info", {str(out)!r}], ["verify", {str(out)!r}])]
        from actionkit import open_store
        n = len(open_store({str(out)!r}))
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "cv2", "decord", "av", "h5py"))
        print(json.dumps({{"codes": codes, "samples": n, "loaded": loaded}}))
    """)
    assert result == {"codes": [0, 0, 0], "samples": 12, "loaded": []}


def test_modules_that_need_an_extra_say_which():
    result = _run("""
        import importlib, json
        from actionkit.extras import MissingExtraError
        found = {}
        for module in ("actionkit.models", "actionkit.data.skeleton", "actionkit.losses", "actionkit.trainers.engine",
                       "actionkit.video.flow", "actionkit.codecs.images"):
            try:
                importlib.import_module(module)
                found[module] = "imported"
            except MissingExtraError as exc:
                found[module] = str(exc)
        from actionkit.prepare import prepare_video
        try:
            prepare_video(None, "unused.zarr")
        except MissingExtraError as exc:
            found["prepare_video"] = str(exc)
        print(json.dumps(found))
    """)
    for module in ("actionkit.models", "actionkit.data.skeleton", "actionkit.losses", "actionkit.trainers.engine"):
        assert result[module].startswith("torch is not installed: this needs the 'train' extra"), result[module]
    for module in ("actionkit.video.flow", "actionkit.codecs.images", "prepare_video"):
        assert result[module].startswith("cv2 (opencv-contrib-python-headless) is not installed: this needs the "
                                         "'video' extra"), result[module]


def test_skeleton_training_needs_only_the_train_extra():
    """The README's first command installs ``[train]`` alone: every method's trainer imports, and the demo's
    training step runs, without OpenCV, decord, PyAV or h5py (video code imports them where it runs)."""
    result = _run("""
        import json, sys
        import actionkit.trainers.registry as registry
        from actionkit.cli.main import app
        from typer.testing import CliRunner
        code = CliRunner().invoke(app, ["train", "dmcl", "--help"]).exit_code
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("cv2", "decord", "av", "h5py"))
        print(json.dumps({"methods": sorted(registry.METHODS), "help": code, "loaded": loaded}))
    """, allowed=("torch",))
    assert result["help"] == 0 and result["loaded"] == [] and "supervised" in result["methods"], result
