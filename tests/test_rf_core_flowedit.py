"""FlowEdit (Kulikov et al., 2024) on exact Gaussian-mixture velocities: the same prompt both ways keeps the source,
another prompt moves it towards its class, and it costs 2 n_avg (n_max - n_min) + n_min model evaluations."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import CLASS_A, CLASS_B, Counting, class_log_odds, class_mixture, gen

EVENT = (4, 8, 8)


def draws(seed: int, shape, n_avg: int = 1):
    return [rf.step_noise(seed + 1000 * k, shape) for k in range(n_avg)]


@pytest.mark.parametrize("n_min", [0, 3])
def test_the_source_prompt_keeps_the_source(n_min):
    """v_tar = v_src: the FlowEdit steps add nothing (to float rounding); the last n_min steps re-sample the noised
    source, which keeps its class."""
    gm = class_mixture(event=EVENT, seed=2)
    x = gm.sample(3, gen(1), classes=CLASS_A)
    out = rf.flowedit(gm.field(CLASS_A), gm.field(CLASS_A), x, flux_sigmas(20), n_min=n_min, n_max=15,
                      noises=draws(4, x.shape))
    if n_min == 0:
        assert torch.allclose(out, x, atol=1e-5, rtol=0)
    else:
        assert (class_log_odds(gm, out, CLASS_A, CLASS_B) < 0).all() and not torch.allclose(out, x, atol=1e-2)


def test_another_prompt_edits_towards_its_class_and_counts_evaluations():
    gm = class_mixture(event=EVENT, seed=2)
    x = gm.sample(4, gen(1), classes=CLASS_A)
    src, tar = Counting(gm.field(CLASS_A)), Counting(gm.field(CLASS_B))
    out = rf.flowedit(src, tar, x, flux_sigmas(20), n_min=2, n_max=16, noises=draws(4, x.shape, 2))
    assert (class_log_odds(gm, x, CLASS_A, CLASS_B) < 0).all() and (class_log_odds(gm, out, CLASS_A, CLASS_B) > 0).all()
    assert src.n == 2 * (16 - 2) and tar.n == 2 * (16 - 2) + 2  # 2 n_avg (n_max - n_min) + n_min in all
    assert rf.flowedit_plan(flux_sigmas(20), n_min=2, n_max=16, n_avg=2).evaluations == src.n + tar.n


def test_flowedit_refuses_windows_that_do_not_fit():
    gm = class_mixture(event=EVENT, seed=2)
    x = gm.sample(1, gen(1))
    with pytest.raises(rf.RFInputError, match=r"0 <= n_min < n_max <= steps \(10\)"):
        rf.flowedit(gm.field(), gm.field(), x, flux_sigmas(10), n_min=4, n_max=12, noises=draws(0, x.shape))
    with pytest.raises(rf.RFInputError, match="n_avg must be 1 or more"):
        rf.flowedit(gm.field(), gm.field(), x, flux_sigmas(10), n_min=0, n_max=5, noises=[])
