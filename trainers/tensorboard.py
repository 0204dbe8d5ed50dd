"""Optional TensorBoard logging of a run (``--set run.tensorboard=true``).

The writer receives exactly the records written to ``metrics.jsonl`` and logs their
numeric entries as scalars at the record's optimiser ``step`` (step records: ``train/<key>``,
epoch records: ``epoch/<key>``), in ``RUN/tensorboard``. Only the main process writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: What to install when TensorBoard is asked for and missing.
INSTALL = "pip install 'actionkit[report]' (or pip install tensorboard)"


class ScalarWriter:
    """TensorBoard scalars of ``metrics.jsonl`` records.

    Args:
        folder: Where the event files go (``RUN/tensorboard``).

    Raises:
        ValueError: the ``tensorboard`` package is not installed (says what to install).
    """

    def __init__(self, folder: Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ValueError(f"run.tensorboard=true needs the tensorboard package, which is not installed: "
                             f"{INSTALL}; or leave run.tensorboard false") from None
        self.folder = Path(folder)
        self.writer = SummaryWriter(log_dir=str(self.folder))

    def log(self, record: dict[str, Any]) -> None:
        """Log one metrics.jsonl record."""
        step = int(record.get("step", 0))
        group = "epoch" if "epoch_seconds" in record else "train"
        for key, value in record.items():
            if key in ("step",) or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            self.writer.add_scalar(f"{group}/{key}", float(value), step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
