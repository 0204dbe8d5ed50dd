"""The embedded default: a procedural NTU-format dataset prepared through the NTU-60 code path."""

from __future__ import annotations

import tempfile
from pathlib import Path

from actionkit.prepare import prepare
from actionkit.reports import PrepareReport
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import generate_ntu_dataset

DEMO_STORE_ID = "ntu60-demo"


def run_demo(out: Path, *, samples_per_class: int = 8, seed: int = 0, workers: int | None = None) -> PrepareReport:
    """Generate genuine-format ``.skeleton`` files and prepare them as NTU-60.

    The raw files live in a temporary folder that is removed afterwards; the store at
    ``out`` is replaced on every run.

    Args:
        out: The store to write.
        samples_per_class: Files per procedural action class.
        seed: Seed of the generator (the files are byte-identical for a seed).
        workers: Parsing processes (default: all cores).
    """
    with tempfile.TemporaryDirectory(prefix="actionkit-demo-") as tmp:
        raw = Path(tmp) / "nturgb+d_skeletons"
        generate_ntu_dataset(raw, samples_per_class=samples_per_class, seed=seed)
        source = NTUSource([raw], "ntu60", store_id=DEMO_STORE_ID)
        source.description = "actionkit demo: procedural skeletons in genuine NTU .skeleton format"
        return prepare(source, out, workers=workers, overwrite=True)
