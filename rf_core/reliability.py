"""Steps each solver needs to invert reliably."""

from __future__ import annotations

from .checks import check_option
from .schemes import ORDERS

# fewest steps whose gamma = eta = 0 round trip errs at most twice Euler at 28 (bench/exact_few_steps.py)
RELIABLE_STEPS = {"euler": 17, "midpoint": 6, "fireflow": 4}


def few_steps_reason(steps: int, order: str) -> str | None:
    """Why `steps` of `order` invert unreliably, and the fix; None if reliable."""
    check_option("order", order, ORDERS)
    need = RELIABLE_STEPS[order]
    if int(steps) >= need:
        return None
    fix = f"raise steps to {need} or more" + ("" if order == "fireflow" else
                                              f", or use order fireflow (reliable from {RELIABLE_STEPS['fireflow']})")
    return (f"{int(steps)} steps of order {order} invert unreliably: below {need} the round trip (gamma = eta = 0) "
            "errs over twice as much as the paper's euler 28 on the exact-model test, and sources change "
            f"composition. Expect the edit to lose the source's layout or details; {fix}.")
