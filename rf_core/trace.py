"""What an inversion leaves for the edit's levers."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class InversionTrace:
    """Sigmas t_0 = 0 < ... < t_n, states Z_0..Z_n, and u_j read at (Z_j, reads[j]): (2 n + 1) latents."""

    sigmas: tuple
    states: list = field(default_factory=list)
    velocities: list = field(default_factory=list)
    reads: list = field(default_factory=list)

    def record(self, d: dict) -> None:
        """An integrate callback."""
        self.states.append(d["x"].detach().clone())
        self.velocities.append(d["v"].detach().clone())
        self.reads.append(d.get("read", d["sigma"]))

    def finish(self, y: torch.Tensor) -> "InversionTrace":
        self.states.append(y.detach().clone())
        return self

    def step_of(self, sigma: float) -> int:
        """The walk step j undone by the edit step from sigma = t_{j+1}."""
        return self.sigmas.index(sigma) - 1

    def source_velocity(self, j: int, aligned: bool) -> torch.Tensor:
        """u_j, or under alignment (Z_{j+1} - Z_j) / (t_{j+1} - t_j) = u_j + c_j."""
        if not aligned:
            return self.velocities[j]
        return (self.states[j + 1] - self.states[j]) / (self.sigmas[j + 1] - self.sigmas[j])

    def complete(self) -> bool:
        n = len(self.sigmas) - 1
        return len(self.velocities) == n and len(self.states) == n + 1

    def to(self, device) -> "InversionTrace":
        move = lambda ts: [t.to(device) for t in ts]  # noqa: E731
        return InversionTrace(tuple(self.sigmas), move(self.states), move(self.velocities), list(self.reads))

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.states, *self.velocities))
