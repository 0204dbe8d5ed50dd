"""Launch a script on two CPU ranks with ``torchrun`` (gloo), for the DDP tests.

A module of its own (not ``conftest``) so test files import it the same way whatever the
collection order.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

# Gloo can abort a rank at interpreter exit, after its work is done and written
# ("terminate called without an active exception" from a C++ thread torn down during
# finalisation; seen on a loaded 2-core machine, about once per few hundred launches).
# That race is torch's, not the code under test, so such a run is launched once more;
# any other failure, and a second abort, fail the test.
EXIT_ABORT = "terminate called without an active exception"


def free_port() -> int:
    """A TCP port nobody listens on now (the rendezvous store's)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two_ranks(script: Path, *args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``script args...`` on 2 ranks; fail the calling test with rank output if it fails.

    Returns:
        The completed ``torchrun`` process (return code 0).
    """
    # The scripts import test modules, which import this one.
    path = os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path}
    for attempt in range(2):
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
               "--master-addr", "127.0.0.1", "--master-port", str(free_port()),
               str(script), *map(str, args)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
        if proc.returncode == 0 or EXIT_ABORT not in proc.stderr or attempt == 1:
            break
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc
