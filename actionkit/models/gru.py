"""CMD's recurrent encoder: BatchNorm on the frame vector, then a 3-layer (Bi)GRU.

Each frame is flattened to one vector of ``V*C*M`` numbers (150 for NTU: 25 joints x 3
coordinates x 2 bodies) in CMD's order, ``x.permute(0, 2, 3, 1, 4)`` i.e. joints, then
coordinates, then bodies fastest. ``BatchNorm1d`` normalises that vector (statistics
over the batch and the frames), a GRU with 3 layers of 1024 units reads the sequence,
and the feature is the top layer's state after the sequence: 2048-d for two directions.

Two recurrences share the same parameters (those of ``nn.GRU(bidirectional=True)``, so
a checkpoint of one loads into the other):

- default, a true bidirectional GRU: the forward direction reads frames 0..T-1, the
  backward direction reads T-1..0, and every layer above the first reads both
  directions' outputs at each frame. The feature is the forward direction's state
  after frame T-1 concatenated with the backward direction's state after frame 0.
- ``cmd_quirk=True``, what the reference code (maoyunyao/CMD ``moco/GRU.py``, class
  ``BIGRU`` via ``EncoderRNN``) computes: it feeds the bidirectional GRU one frame at a
  time (sequences of length 1) and carries the hidden state between calls. On a length-1
  sequence the "backward" direction reads the same single frame, so both directions run
  forward in time with separate weights: the output at frame t depends only on frames
  0..t, and the "backward" half never sees the future. The reference keeps every
  step's output by concatenating along time inside the loop (quadratic copying); here
  the steps are stacked once (same numbers, linear memory). It is also a Python loop of
  T GRU calls, so it is much slower than the fused recurrence.

Pooling: the reference returns the top-layer output at the last frame (``seq_len - 1``)
and this is ``pooling="last"`` (the default); for the true BiGRU that is each
direction's final state as described above. ``pooling="mean"`` averages the top-layer
outputs over frames instead.

Initialisation follows the reference's ``weights_init_gru``: Xavier-uniform on every
2-D GRU weight, PyTorch's defaults for the biases and the BatchNorm.
"""

from __future__ import annotations

import torch
from torch import nn

from actionkit.layouts import Layout

__all__ = ["GRUEncoder", "gru"]


class GRUEncoder(nn.Module):
    """CMD's (Bi)GRU encoder: ``(N, C, T, V, M)`` to ``(N, out_dim)``.

    Args:
        layout: Skeleton layout (gives V).
        in_channels: Coordinate channels C.
        max_bodies: Bodies M; the input must have exactly this many.
        hidden_size: GRU units per direction (1024 in CMD).
        num_layers: Stacked GRU layers (3 in CMD).
        bidirectional: Two directions (``out_dim = 2 * hidden_size``) or one.
        cmd_quirk: Reproduce the reference's step-by-step recurrence in which both
            directions run forward in time (see the module docstring). Needs
            ``bidirectional=True``.
        pooling: ``"last"`` (final states, as CMD) or ``"mean"`` (mean over frames).
        dropout: Dropout between GRU layers (0 in CMD).
    """

    def __init__(
        self,
        layout: Layout,
        in_channels: int = 3,
        max_bodies: int = 2,
        hidden_size: int = 1024,
        num_layers: int = 3,
        bidirectional: bool = True,
        cmd_quirk: bool = False,
        pooling: str = "last",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if cmd_quirk and not bidirectional:
            raise ValueError("cmd_quirk=True reproduces CMD's BiGRU; it needs bidirectional=True")
        if pooling not in ("last", "mean"):
            raise ValueError(f"pooling must be 'last' or 'mean', got {pooling!r}")
        self.in_channels = in_channels
        self.num_joints = layout.num_joints
        self.max_bodies = max_bodies
        self.input_size = in_channels * layout.num_joints * max_bodies
        self.hidden_size = hidden_size
        self.num_directions = 2 if bidirectional else 1
        self.cmd_quirk = cmd_quirk
        self.pooling = pooling
        self.input_norm = nn.BatchNorm1d(self.input_size)
        self.gru = nn.GRU(
            self.input_size,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout,
        )
        self.out_dim = hidden_size * self.num_directions
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform on the GRU's weight matrices (CMD's ``weights_init_gru``)."""
        for param in self.gru.parameters():
            if param.dim() == 2:
                nn.init.xavier_uniform_(param)

    def _sequence(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, T, V, M)`` -> normalised ``(N, T, V*C*M)``."""
        n, c, t, v, m = x.shape
        if (c, v, m) != (self.in_channels, self.num_joints, self.max_bodies):
            raise ValueError(
                f"expected (N, {self.in_channels}, T, {self.num_joints}, {self.max_bodies}) "
                f"input, got {tuple(x.shape)}"
            )
        seq = x.permute(0, 2, 3, 1, 4).reshape(n, t, v * c * m)
        return self.input_norm(seq.transpose(1, 2)).transpose(1, 2)

    def _run(self, seq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Runs the recurrence; returns top-layer outputs ``(N, T, D)`` and ``h_n``."""
        if not self.cmd_quirk:
            return self.gru(seq)
        hidden = None
        steps = []
        for t in range(seq.shape[1]):
            out, hidden = self.gru(seq[:, t : t + 1], hidden)
            steps.append(out)
        return torch.cat(steps, dim=1), hidden

    def forward_frames(self, x: torch.Tensor) -> torch.Tensor:
        """Top-layer outputs at every frame.

        For the true BiGRU the backward half at frame t summarises frames t..T-1; with
        ``cmd_quirk`` both halves at frame t summarise frames 0..t.

        Args:
            x: ``(N, C, T, V, M)``.

        Returns:
            ``(N, T, out_dim)``.
        """
        return self._run(self._sequence(x))[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Sequence features.

        Args:
            x: ``(N, C, T, V, M)``.

        Returns:
            ``(N, out_dim)``.
        """
        outputs, h_n = self._run(self._sequence(x))
        if self.pooling == "mean":
            return outputs.mean(dim=1)
        if self.cmd_quirk:
            return outputs[:, -1]
        # h_n: (layers * directions, N, H); the last entries are the top layer's.
        top = h_n[-self.num_directions :]
        return torch.cat(list(top), dim=1)


def gru(layout: Layout, in_channels: int = 3, max_bodies: int = 2, **kwargs) -> GRUEncoder:
    """CMD's encoder (3-layer BiGRU, 1024 units, 2048-d features); kwargs override."""
    return GRUEncoder(layout, in_channels=in_channels, max_bodies=max_bodies, **kwargs)
