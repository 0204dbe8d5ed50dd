"""Loading a pickle that may come from anyone: only numpy arrays, dtypes and built-in data.

``pickle.load`` runs whatever callable a file names (``os.system`` included), so an
annotation file found online must never reach it. :func:`safe_load` resolves a global
only when it is on :data:`ALLOWED`, the few that rebuild numpy arrays, dtypes and
scalars (numpy 1.x and 2.x module paths) and the built-in containers that need one;
dicts, lists, tuples, strings, bytes and numbers need no global at all. Anything else
stops the load with :class:`UnsafePickleError`, naming the refused global.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

#: ``(module, name)`` globals an annotation pickle may use.
ALLOWED: frozenset[tuple[str, str]] = frozenset({
    *((m, "_reconstruct") for m in ("numpy.core.multiarray", "numpy._core.multiarray")),
    *((m, "scalar") for m in ("numpy.core.multiarray", "numpy._core.multiarray")),
    *((m, "_frombuffer") for m in ("numpy.core.numeric", "numpy._core.numeric")),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    # protocols 0-2 name the built-ins' module __builtin__ (python 2's name)
    *((m, n) for m in ("builtins", "__builtin__") for n in ("set", "frozenset", "complex", "bytearray", "bytes")),
    ("_codecs", "encode"),  # protocols 0-2 write bytes as _codecs.encode(text, "latin1")
})


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names something other than numpy data or a built-in container."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED:
            raise UnsafePickleError(
                f"the pickle refers to {module}.{name}, which is not numpy data or a built-in container; "
                f"refusing to load it (a pickle can run code: only arrays, dtypes, containers and scalars are "
                f"admitted)")
        if module.startswith("numpy._core") or module.startswith("numpy.core"):
            import numpy as np

            core = getattr(np, "_core", None) or np.core
            sub = module.rsplit(".", 1)[-1]
            return getattr(getattr(core, sub), name)
        if module == "__builtin__":
            module = "builtins"
        return super().find_class(module, name)

    def persistent_load(self, pid):
        raise UnsafePickleError(f"the pickle uses a persistent id ({type(pid).__name__}); refusing to load it")


def safe_loads(data: bytes):
    """Unpickle ``data`` admitting only :data:`ALLOWED` globals.

    Raises:
        UnsafePickleError: the pickle names anything else.
        pickle.UnpicklingError, EOFError, ValueError: a damaged pickle.
    """
    return _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()


def safe_load(path: Path):
    """Unpickle the file at ``path`` admitting only :data:`ALLOWED` globals (see :func:`safe_loads`).

    Raises:
        UnsafePickleError: the pickle names anything else.
        ValueError: the file is not a readable pickle (damaged, truncated, or another format).
    """
    with open(path, "rb") as fh:
        try:
            return _RestrictedUnpickler(fh, encoding="latin1").load()
        except UnsafePickleError:
            raise
        except Exception as exc:  # a damaged pickle fails in whichever opcode it breaks: any error type
            raise ValueError(f"{path}: not a readable pickle file ({type(exc).__name__}: {exc}); "
                             f"give the annotation .pkl as PYSKL or MMAction2 wrote it") from None
