"""What an inversion leaves for the edit's levers (levers.py): its states and model velocities per walk step."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class InversionTrace:
    """The walk's sigmas t_0 = 0 < ... < t_n, its states Z_0..Z_n, and per step j the model's velocity u_j read at
    (Z_j, read_j) (t_j, or t_1 for an x0 network or one not finite at 0). Memory: (2 n + 1) latents."""

    sigmas: tuple
    states: list = field(default_factory=list)
    velocities: list = field(default_factory=list)
    reads: list = field(default_factory=list)

    def record(self, d: dict) -> None:
        """An integrate callback: keeps the step's state, model velocity and where the walk read it (d["read"])."""
        self.states.append(d["x"].detach().clone())
        self.velocities.append(d["v"].detach().clone())
        self.reads.append(d.get("read", d["sigma"]))

    def finish(self, y: torch.Tensor) -> "InversionTrace":
        self.states.append(y.detach().clone())
        return self

    def step_of(self, sigma: float) -> int:
        """The walk step j that an edit step starting at `sigma` undoes (it goes from t_{j+1} = sigma down)."""
        return self.sigmas.index(sigma) - 1

    def source_velocity(self, j: int, aligned: bool) -> torch.Tensor:
        """Step j's velocity on the source path: the model's u_j, or under alignment the walk's own
        (Z_{j+1} - Z_j) / (t_{j+1} - t_j) = u_j + c_j, its controller term included."""
        if not aligned:
            return self.velocities[j]
        return (self.states[j + 1] - self.states[j]) / (self.sigmas[j + 1] - self.sigmas[j])

    def complete(self) -> bool:
        """Every step of the walk recorded, and its end state."""
        n = len(self.sigmas) - 1
        return len(self.velocities) == n and len(self.states) == n + 1

    def to(self, device) -> "InversionTrace":
        """The same trace with its latents on `device` (where the nodes keep it between the passes)."""
        move = lambda ts: [t.to(device) for t in ts]  # noqa: E731
        return InversionTrace(tuple(self.sigmas), move(self.states), move(self.velocities), list(self.reads))

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.states, *self.velocities))
