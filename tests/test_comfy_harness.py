"""The harness itself: real ComfyUI flow models, and the velocity the pack's adapter reads from them."""

from __future__ import annotations

import pytest
import torch

import comfy_harness
from seeded import randn

pytestmark = pytest.mark.comfyui


class _Probe:
    """A ComfyUI Sampler that, instead of sampling, records adapter velocities and raw network outputs."""

    def __init__(self, adapter_cls, sigmas_to_probe, x):
        self.adapter_cls = adapter_cls
        self.sigmas_to_probe = sigmas_to_probe
        self.x = x
        self.rows = []

    @torch.no_grad()  # as every ComfyUI sampler: on a GPU the weights may be inference tensors from an earlier run
    def sample(self, model_wrap, sigmas, extra_args, callback, noise, latent_image=None, denoise_mask=None, disable_pbar=False):
        inner = model_wrap.inner_model
        velocity = self.adapter_cls(model_wrap, extra_args)
        cond = model_wrap.conds["positive"][0]
        x = self.x.to(noise.device)
        for s in self.sigmas_to_probe:
            v = velocity(x, s)
            sig = x.new_full((x.shape[0],), s)
            kwargs = {k: val.process_cond(batch_size=x.shape[0], device=x.device).cond for k, val in cond["model_conds"].items()}
            # onto the latent's device, as BaseModel._apply_model does (process_cond leaves some conds where they were)
            kwargs = {k: val.to(x.device) if torch.is_tensor(val) else val for k, val in kwargs.items()}
            t = inner.model_sampling.timestep(sig).float()
            context = kwargs.pop("c_crossattn")
            raw = inner.diffusion_model(x.to(inner.get_dtype()), t, context=context, **kwargs).float()
            self.rows.append((s, v, raw))
        return noise


def _probe(comfy, pack, model, x, sigmas, guidance=None):
    import comfy.samplers

    extra = {} if guidance is None else {"guidance": guidance}
    guider = comfy.samplers.CFGGuider(model)
    guider.inner_set_conds({"positive": comfy_harness.conditioning(batch=x.shape[0], **extra)})
    guider.set_cfg(1.0)
    probe = _Probe(pack.nodes.velocity.GuiderVelocity, sigmas, x)
    grid = torch.tensor([1.0, 0.0])
    guider.sample(torch.zeros_like(x), torch.zeros_like(x), probe, grid, seed=0)
    return probe.rows


@pytest.mark.parametrize("which", ["flux_dev", "flux_schnell", "sd3"])
def test_adapter_velocity_is_the_models_raw_output(request, comfy, pack, which):
    model = request.getfixturevalue(which)
    x = randn((2, 16, 8, 8), 0)
    rows = _probe(comfy, pack, model, x, [0.0, 0.03, 0.5, 1.0], guidance=3.5 if which == "flux_dev" else None)
    for s, v, raw in rows:
        assert v.dtype == torch.float32
        assert torch.isfinite(v).all()
        # v = (x - D) / sigma undoes D = x - sigma * v up to float32 rounding of D, i.e. ~ eps * |x| / sigma
        tol = 1e-5 if s == 0.0 else 4e-7 * float(x.abs().max()) / s + 1e-5
        assert torch.allclose(v, raw, rtol=0, atol=tol), (which, s, (v - raw).abs().max())
    # the raw output must depend on sigma, or the comparison above proves little
    assert not torch.allclose(rows[0][2], rows[2][2])


def test_flux_dev_guidance_reaches_the_model(comfy, pack, flux_dev):
    x = randn((1, 16, 8, 8), 1)
    (_, v_low, _), = _probe(comfy, pack, flux_dev, x, [0.5], guidance=1.0)
    (_, v_high, _), = _probe(comfy, pack, flux_dev, x, [0.5], guidance=5.0)
    assert not torch.allclose(v_low, v_high)


def test_models_are_real_comfyui_flow_models(comfy, flux_dev, flux_schnell, sd3):
    import comfy.model_base
    import comfy.model_patcher
    import comfy.model_sampling

    for m, cls in ((flux_dev, comfy.model_base.Flux), (flux_schnell, comfy.model_base.Flux), (sd3, comfy.model_base.SD3)):
        assert isinstance(m, comfy.model_patcher.ModelPatcher)
        assert type(m.model) is cls
        assert isinstance(m.get_model_object("model_sampling"), comfy.model_sampling.CONST)
    assert isinstance(flux_dev.get_model_object("model_sampling"), comfy.model_sampling.ModelSamplingFlux)
    assert flux_dev.model.diffusion_model.params.guidance_embed
    assert not flux_schnell.model.diffusion_model.params.guidance_embed
    shifts = (flux_dev.get_model_object("model_sampling").shift, flux_schnell.get_model_object("model_sampling").shift)
    assert shifts == (1.15, 1.0)
