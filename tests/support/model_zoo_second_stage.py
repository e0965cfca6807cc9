"""Second-stage families of the zoo (see model_zoo): models that refine, upscale or restore another model's output,
conditioned on it. HunyuanVideo 1.5 super-resolution (HunyuanVideo15SuperResolution: the low-resolution latent as
concat, noise-augmented with the run's seed), PiD (PiDConditioning: the latent it decodes to pixels), SeedVR2
(SeedVR2Conditioning: the degraded video's latent plus a mask, against the prompt stored in the model), and the
HunyuanImage 2.1 refiner, which the pack refuses (its latent format repacks a latent on the way in)."""

from __future__ import annotations

import torch

from model_zoo import CONTEXT_DIM, FamilySpec, clip_vision_output
from model_zoo_video import FRAMES, hunyuan_video_unet
from seeded import randn

NOISE_AUGMENTATION = 0.1  # HunyuanVideo15SuperResolution's default


def sr_cond(seed, samples):
    """HunyuanVideo15SuperResolution: concat = start image 32 + its flag 1 + the low-resolution latent 32 + 1,
    noise-augmented by the sampler's seed; SigLIP CLIP vision."""
    b, c, t, h, w = samples.shape
    cond = torch.zeros((b, 2 * c + 2, t, h, w))
    cond[:, c + 1: 2 * c + 1] = randn(samples.shape, 4400)
    cond[:, 2 * c + 1] = 1.0
    return {"concat_latent_image": cond, "noise_augmentation": NOISE_AUGMENTATION,
            "clip_vision_output": clip_vision_output(4, 1152, 4410)}


def pid_unet() -> dict:
    return {"image_model": "pid", "num_groups": 2, "hidden_size": 64, "pixel_hidden_size": 16,
            "pixel_attn_hidden_size": 32, "pixel_num_groups": 2, "patch_depth": 1, "pixel_depth": 1, "patch_size": 4,
            "txt_embed_dim": CONTEXT_DIM, "txt_max_length": 16, "lq_latent_channels": 16, "lq_hidden_dim": 32,
            "lq_num_res_blocks": 1, "lq_interval": 1, "sr_scale": 1, "latent_spatial_down_factor": 8}


def pid_cond(seed, samples):
    """PiDConditioning: the 16-channel latent it decodes (here an eighth of the image's size) and degrade_sigma 0."""
    b, _, h, w = samples.shape
    return {"lq_latent": randn((b, 16, h // 8, w // 8), 4500), "degrade_sigma": torch.tensor([0.0]),
            "attention_mask": torch.ones((b, 4), dtype=torch.long)}


SEEDVR2_PROMPT = 5120  # the width of the prompt embeddings SeedVR2 stores in its checkpoint


def seedvr2_unet() -> dict:
    return {"image_model": "seedvr2", "vid_dim": 64, "heads": 2, "head_dim": 32, "num_layers": 2, "mm_layers": 2,
            "norm_eps": 1e-5, "mlp_type": "swiglu", "expand_ratio": 2, "rope_dim": 16, "vid_out_norm": True}


def seedvr2_context(seed, batch):
    """SeedVR2Conditioning hands the prompts the model stores (positive_ and negative_conditioning, 58 tokens)."""
    return randn((batch, 58, SEEDVR2_PROMPT), 4600 + seed)


def seedvr2_cond(seed, samples):
    """SeedVR2Conditioning: the degraded video's latent with a mask channel of ones."""
    lq = randn(samples.shape, 4610)
    return {"condition": torch.cat([lq, torch.ones_like(lq[:, :1])], dim=1)}


FAMILIES = [
    FamilySpec("HunyuanVideo 1.5 super-resolution", "HunyuanVideo15_SR_Distilled", "HunyuanVideo15_SR_Distilled",
               lambda: hunyuan_video_unet(in_channels=98, out_channels=32, patch_size=[1, 1, 1], vec_in_dim=None,
                                          guidance_embed=False, use_cond_type_embedding=True, vision_in_dim=1152),
               shape=(1, 32, FRAMES, 8, 8), pooled=None, kind="video", true_cfg=True, reads_guidance=True,
               weight_scale=0.1, cond_extra=sr_cond,
               notes="concat = start image 32 + flag + low-resolution latent 32 + flag (66 channels), noise-augmented "
               "with the run's seed: the edit runs the model with the inversion's seed, so both passes see the same "
               "concat"),
    FamilySpec("PiD (pixel decoder)", "PiD", "PiD", pid_unet, shape=(1, 3, 32, 32), true_cfg=True, weight_scale=0.2,
               cond_extra=pid_cond,
               notes="pixel space; lq_latent: the 16-channel latent it decodes to pixels (PiDConditioning)"),
    FamilySpec("SeedVR2", "SeedVR2", "SeedVR2", seedvr2_unet, shape=(1, 16, FRAMES, 8, 8), kind="video",
               true_cfg=True, weight_scale=0.1, context=(58, SEEDVR2_PROMPT), make_context=seedvr2_context, cond_extra=seedvr2_cond,
               notes="video restoration: the degraded video's latent (+ mask) as condition; its prompt is stored in "
               "the checkpoint (positive / negative_conditioning)"),
    FamilySpec("HunyuanImage 2.1 refiner (refused)", "HunyuanImage21Refiner", "HunyuanImage21Refiner",
               lambda: hunyuan_video_unet(in_channels=64, out_channels=32, patch_size=[1, 1, 1], vec_in_dim=None,
                                          guidance_embed=True),
               shape=(1, 64, 1, 8, 8), kind="video",
               refuse=(("HunyuanImage21Refiner", "repacks"), "no source latent"),
               notes="its latent format repacks a latent on the way in (64 channels become 128), so ComfyUI's own "
               "KSampler runs it only from an empty latent (HunyuanRefinerLatent) and no encoded source can be "
               "inverted"),
]
