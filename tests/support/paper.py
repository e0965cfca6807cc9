"""The paper's per-task settings (Rout et al., ICLR 2025, the table of per-task hyper-parameters) as README.md lists
them: the one copy the tests read, task -> (start_step, stop_step, eta), all at 28 steps."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def paper_rows() -> dict[str, tuple[int, int, float]]:
    """README.md's table under "| task | start_step | stop_step | eta |"."""
    readme = README.read_text()
    table = readme[readme.index("| task | start_step | stop_step | eta |"):].split("\n\n")[0].splitlines()[2:]
    rows = {}
    for line in table:
        task, start, stop, eta = (c.strip() for c in line.strip("|").split("|"))
        rows[task] = (int(start), int(stop), float(eta))
    return rows
