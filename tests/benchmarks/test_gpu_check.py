"""benchmarks/gpu_check.sh runs end to end on the CPU (--quick), and refuses bad options."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from realdata import real_path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.sh"


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=1800)


@pytest.mark.slow
def test_quick_check_runs_every_section_on_cpu():
    """The suite's slowest test (about 26 s on 2 cores): five benchmark processes, each starting torch.

    Kept whole because it is the only check, on machines without a GPU (CI), that the script a
    GPU session runs in one call still runs every section; a break found on the GPU costs device time.
    """
    real_path("videos", "demo.mp4")  # the flow section reads the genuine clips
    done = run("--device", "cpu", "--quick")
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    finished = re.findall(r"^--- (\d\w?)\. .*: \d+ s, exit (\d+)$", out, flags=re.M)
    assert finished == [("1", "0"), ("2", "0"), ("3", "0"), ("4", "0"), ("5", "0")], finished
    assert "0 section(s) failed" in out
    # Each section printed its figures: flow rates and agreement, every skeleton backbone, the BiGRU bar, DMCL.
    assert re.search(r"^\(c\) torch TV-L1 on cpu, batch 2 +2 +[\d.]+ +[\d.]+$", out, flags=re.M)
    assert re.search(r"^demo\.mp4 +2 +[01]\.\d{4}", out, flags=re.M)
    for backbone in ("stgcn", "stgcn16", "gru", "gcn_transformer"):
        assert re.search(rf"^{backbone} +bf16\+cl ", out, flags=re.M), backbone
    assert re.search(r"^cmpl aux 16x4 +resnet3d50 +3x16x32 +fp32 ", out, flags=re.M)
    assert re.search(r"true BiGRU / reference loop: [\d.]+x per sample", out)
    assert re.search(r"^dmcl +\d+\.\d% +\d+\.\d% ", out, flags=re.M)


def test_bad_options_are_refused():
    done = run("--frobnicate")
    assert done.returncode == 2 and "error: --frobnicate: unknown option" in done.stderr
    done = run("--device", "tpu")
    assert done.returncode == 2 and "error: --device tpu: expected cpu, cuda or auto" in done.stderr
