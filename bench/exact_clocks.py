"""Reference clocks from published implementations, re-implemented for the exact-model study's comparison (bench
only; NOT used by the pack). Each walks the same sampling grid as rf_core but tells the model, or the controller,
another time than the noise level the latent is at."""

from __future__ import annotations

import torch


def diffusers_invert(velocity, y0, sigmas, y1, gamma=0.0):
    """The diffusers community pipeline's inversion (examples/community/pipeline_flux_rf_inversion.py, invert()).

    Its scheduler grid is our sampling grid (shifted, sigma_0 = 1 ... sigma_N = 0, N + 1 values). It loops
    i = 0 .. N - 1, queries the model at t_i = i / (N + 1) (unshifted), uses u_cond = (y1 - Y) / (1 - t_i), and
    steps Y += u_hat * (sigma_i - sigma_{i+1}): the sampling grid's step sizes taken in sampling order, so the latent
    actually sits at noise level 1 - sigma_i while the model is told i / (N + 1).
    """
    sig = [float(s) for s in sigmas]
    n_plus_1 = len(sig)
    Y = y0.detach().to(torch.float32).clone()
    for i in range(n_plus_1 - 1):
        t = i / n_plus_1
        u = velocity(Y, t).to(torch.float32)
        u_hat = u + gamma * ((y1 - Y) / (1.0 - t) - u)
        Y = Y + u_hat * (sig[i] - sig[i + 1])
    return Y


def model_clock_invert(velocity, y0, sigmas, y1, gamma=0.0):
    """Our grid walked upwards (the latent really at the shifted sigma), but the model told t = i / (N + 1)."""
    fwd = [float(s) for s in torch.flip(sigmas, (0,))]
    n_plus_1 = len(fwd)
    Y = y0.detach().to(torch.float32).clone()
    for i in range(n_plus_1 - 1):
        t = i / n_plus_1
        u = velocity(Y, t).to(torch.float32)
        u_hat = u + gamma * ((y1 - Y) / (1.0 - fwd[i]) - u)
        Y = Y + u_hat * (fwd[i + 1] - fwd[i])
    return Y


def unshifted_controller_invert(velocity, y0, sigmas, y1, gamma):
    """Eq. 8 on our grid with the model at the right sigma, but the controller's clock is i / N (u_cond over 1 - i/N)."""
    fwd = [float(s) for s in torch.flip(sigmas, (0,))]
    n = len(fwd) - 1
    Y = y0.detach().to(torch.float32).clone()
    for i in range(n):
        u = velocity(Y, fwd[i]).to(torch.float32)
        u_hat = u + gamma * ((y1 - Y) / (1.0 - i / n) - u)
        Y = Y + u_hat * (fwd[i + 1] - fwd[i])
    return Y


def unshifted_controller_edit(velocity, x, y0, sigmas, eta, stop):
    """Eq. 15 on our grid with the model at the right sigma, but v_cond = (y0 - X) / (1 - i/N) (unshifted clock)."""
    sig = [float(s) for s in sigmas]
    n = len(sig) - 1
    X = x.detach().to(torch.float32).clone()
    for i in range(n):
        v_hat = -velocity(X, sig[i]).to(torch.float32)
        e = eta if i < stop else 0.0
        v_tilde = v_hat + e * ((y0 - X) / (1.0 - i / n) - v_hat)
        X = X + (sig[i] - sig[i + 1]) * v_tilde
    return X
