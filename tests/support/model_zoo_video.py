"""Video families of the zoo (see model_zoo): Wan 2.1 T2V / I2V, Wan 2.2 TI2V 5B, Wan 2.2 A14B (two experts),
HunyuanVideo (and its I2V and SkyReels I2V), HunyuanVideo 1.5, LTXV, LTX-2, Mochi, Kandinsky 5, MiniMax H3 (audio
+ video). Latents are 5-D (B, C, T, H, W) with 3 latent frames (the Wan variants: model_zoo_wan)."""

from __future__ import annotations

import torch

from model_zoo import CONTEXT_DIM, POOLED_DIM, TOKENS, FamilySpec, clip_vision_output
from seeded import randn

FRAMES = 3

# The sigma at which ComfyUI's Wan 2.2 A14B workflows hand over from the high-noise to the low-noise expert.
WAN22_BOUNDARY = {"t2v": 0.875, "i2v": 0.9}


def wan_unet(**over) -> dict:
    cfg = {
        "image_model": "wan2.1", "model_type": "t2v", "patch_size": (1, 2, 2), "in_dim": 16, "dim": 32,
        "ffn_dim": 64, "freq_dim": 32, "text_dim": CONTEXT_DIM, "out_dim": 16, "num_heads": 2, "num_layers": 1,
        "window_size": (-1, -1), "qk_norm": True, "cross_attn_norm": True, "eps": 1e-6,
    }
    cfg.update(over)
    return cfg


def first_frame_mask(samples) -> torch.Tensor:
    """(1, 1, T, H, W): 0 on the first latent frame (the given image), 1 elsewhere, as WanImageToVideo sets it."""
    mask = torch.ones((1, 1, *samples.shape[2:]))
    mask[:, :, :1] = 0.0
    return mask


def wan_i2v_cond(seed, samples):
    """WanImageToVideo: the start image's latent (zeros-padded frames) and the mask as concat conditioning, and
    CLIPVisionEncode's output (Wan 2.1 I2V reads its penultimate hidden states, 1280 wide)."""
    return {
        "concat_latent_image": randn(samples.shape, 3000 + seed),
        "concat_mask": first_frame_mask(samples),
        "clip_vision_output": clip_vision_output(4, 1280, 3100 + seed),
    }


def wan22_i2v_cond(seed, samples):
    """WanImageToVideo for Wan 2.2 A14B: the concat latent and mask, and no CLIP vision output."""
    return {"concat_latent_image": randn(samples.shape, 3000 + seed), "concat_mask": first_frame_mask(samples)}


def hunyuan_video_unet(**over) -> dict:
    cfg = {
        "image_model": "hunyuan_video", "in_channels": 16, "out_channels": 16, "patch_size": [1, 2, 2],
        "vec_in_dim": POOLED_DIM, "context_in_dim": CONTEXT_DIM, "hidden_size": 64, "mlp_ratio": 2.0,
        "num_heads": 2, "depth": 1, "depth_single_blocks": 1, "axes_dim": [8, 12, 12], "theta": 256,
        "qkv_bias": True, "guidance_embed": True, "byt5": False, "meanflow": False,
        "use_cond_type_embedding": False, "vision_in_dim": None, "meanflow_sum": False,
    }
    cfg.update(over)
    return cfg


def hunyuan15_cond(seed, samples):
    """HunyuanVideo 1.5 reads a SigLIP vision output (clip_fea, 1152 wide) and an image concat (zeros for T2V)."""
    return {"clip_vision_output": clip_vision_output(4, 1152, 3200 + seed)}


def text_attention_mask(seed, samples):
    """The attention mask a text encoder returns with its context (T5 for LTXV, LLMs for the newer families): all
    tokens real here."""
    return {"attention_mask": torch.ones((samples.shape[0], TOKENS), dtype=torch.long)}


def ltxv_unet(**over) -> dict:
    cfg = {
        "image_model": "ltxv", "in_channels": 128, "cross_attention_dim": 64, "attention_head_dim": 32,
        "num_attention_heads": 2, "caption_channels": CONTEXT_DIM, "num_layers": 1,
    }
    cfg.update(over)
    return cfg


def ltx2_unet() -> dict:
    return ltxv_unet(
        image_model="ltxav", audio_in_channels=128, audio_cross_attention_dim=32, audio_attention_head_dim=16,
        audio_num_attention_heads=2, connector_attention_head_dim=16, connector_num_attention_heads=2,
        connector_num_layers=1,
    )


def ltx2_samples(seed):
    """LTXVConcatAVLatent's output: a NestedTensor of the video latent and the audio latent (B, 8, L, 16)."""
    import comfy.nested_tensor

    return comfy.nested_tensor.NestedTensor((randn((1, 128, FRAMES, 4, 4), seed), randn((1, 8, 4, 16), seed + 1)))


def has_nested_tensor():
    import importlib.util

    return None if importlib.util.find_spec("comfy.nested_tensor") else "ComfyUI has no comfy.nested_tensor"


FAMILIES = [
    FamilySpec("Wan 2.1 T2V", "WAN21_T2V", "WAN21", wan_unet, shape=(1, 16, FRAMES, 8, 8), kind="video",
               true_cfg=True, notes="umT5 context; shift 8"),
    FamilySpec("Wan 2.1 I2V", "WAN21_I2V", "WAN21", lambda: wan_unet(model_type="i2v", in_dim=36),
               shape=(1, 16, FRAMES, 8, 8), kind="video", true_cfg=True, cond_extra=wan_i2v_cond,
               notes="concat: 4 mask channels + 16 image-latent channels; clip_vision_output (1280)"),
    FamilySpec("Wan 2.2 TI2V 5B", "WAN22_T2V", "WAN22", lambda: wan_unet(in_dim=48, out_dim=48),
               shape=(1, 48, FRAMES, 8, 8), kind="video", true_cfg=True, weight_scale=0.1,
               notes="48-channel Wan 2.2 VAE latent; ComfyUI turns a noise_mask into per-frame timesteps for it, so "
               "the nodes apply a noise_mask in the controller only (the SAMPLER forms refuse one)"),
    FamilySpec("Wan 2.2 A14B T2V (high-noise expert)", "WAN21_T2V", "WAN21", wan_unet,
               shape=(1, 16, FRAMES, 8, 8), kind="video", true_cfg=True,
               notes="two experts: the high-noise one (model) at sigma >= 0.875, the low-noise one (model_low_noise) "
               "below"),
    FamilySpec("Wan 2.2 A14B I2V (high-noise expert)", "WAN21_T2V", "WAN21", lambda: wan_unet(in_dim=36),
               shape=(1, 16, FRAMES, 8, 8), kind="video", true_cfg=True, cond_extra=wan22_i2v_cond,
               notes="two experts switching at sigma 0.9; concat = 4 mask + 16 image-latent channels, no CLIP vision"),
    FamilySpec("HunyuanVideo", "HunyuanVideo", "HunyuanVideo", hunyuan_video_unet, shape=(1, 16, FRAMES, 8, 8),
               pooled=POOLED_DIM, kind="video", guidance_embed=True, reads_guidance=True,
               notes="guidance embedding, default guidance 6.0; LLaVA context + CLIP pooled"),
    FamilySpec("HunyuanVideo 1.5", "HunyuanVideo15", "HunyuanVideo15",
               lambda: hunyuan_video_unet(in_channels=65, out_channels=32, patch_size=[1, 1, 1], vec_in_dim=None,
                                          guidance_embed=False, use_cond_type_embedding=True, vision_in_dim=1152),
               shape=(1, 32, FRAMES, 8, 8), pooled=POOLED_DIM, kind="video", true_cfg=True, reads_guidance=True,
               weight_scale=0.1,
               cond_extra=hunyuan15_cond,
               notes="32-channel latent; concat = image latent 32 + mask 1 (zeros for T2V); SigLIP clip_fea"),
    FamilySpec("LTXV", "LTXV", "LTXV", ltxv_unet, shape=(1, 128, FRAMES, 4, 4), kind="video", true_cfg=True,
               cond_extra=text_attention_mask,
               notes="128-channel latent (32x spatial, 8x temporal); ComfyUI turns a noise_mask into per-token "
               "timesteps for it, so the nodes apply a noise_mask in the controller only (the SAMPLER forms refuse "
               "one)"),
    FamilySpec("LTX-2 (audio + video)", "LTXAV", "LTXAV", ltx2_unet, shape=(1, 128, FRAMES, 4, 4), kind="video",
               samples=ltx2_samples, true_cfg=True, requires=has_nested_tensor,
               weight_scale=0.08,  # at 0.05 two prompts move its video latent by 3e-5 (cfg 3 vs 1)
               notes="the LATENT is a NestedTensor (video, audio) from LTXVConcatAVLatent, packed by the guider into "
               "one (B, 1, N) tensor; y1 is drawn per part; masks apply to the video"),
]


def mochi_unet() -> dict:
    return {
        "image_model": "mochi_preview", "depth": 1, "patch_size": 2, "num_heads": 2, "hidden_size_x": 64,
        "hidden_size_y": 32, "mlp_ratio_x": 192.0, "mlp_ratio_y": 2.0,  # its block asserts 12288 = x * ratio
        "learn_sigma": False, "in_channels": 12,
        "qk_norm": True, "qkv_bias": False, "out_bias": True, "attn_drop": 0.0, "patch_embed_bias": True,
        "posenc_preserve_area": True, "timestep_mlp_bias": True, "attend_to_padding": False,
        "timestep_scale": 1000.0, "use_t5": True, "t5_feat_dim": CONTEXT_DIM, "t5_token_length": TOKENS,
        "rope_theta": 10000.0,
    }


def hunyuan_i2v_cond(seed, samples):
    """HunyuanImageToVideo (v1 'concat'): the start image's latent as concat_latent_image (mask_inverted is built
    from the noise mask, ones without one)."""
    return {"concat_latent_image": randn(samples.shape, 3300 + seed)}


def kandinsky5_unet(**over) -> dict:
    cfg = {
        "image_model": "kandinsky5", "in_visual_dim": 16, "out_visual_dim": 16, "in_text_dim": CONTEXT_DIM,
        "in_text_dim2": POOLED_DIM, "time_dim": 32, "model_dim": 64, "ff_dim": 128, "visual_embed_dim": 132,
        "patch_size": (1, 2, 2), "num_text_blocks": 1, "num_visual_blocks": 1, "axes_dims": (8, 12, 12),
    }
    cfg.update(over)
    return cfg


def skyreels_cond(seed, samples):
    """SkyReels I2V (HunyuanImageToVideo, v2 'replace'): the start image's latent as concat_latent_image."""
    return {"concat_latent_image": randn(samples.shape, 3350)}


def minimax_unet() -> dict:
    return {"image_model": "minimax_h3", "hidden_size": 64, "num_layers": 1, "token_refiner_num_layers": 1,
            "num_attention_heads": 2, "attention_head_dim": 32, "ffn_hidden_size": 64, "latents_dim": 24,
            "audio_latents_dim": 32, "text_dim": CONTEXT_DIM, "timestep_input_dim": 32,
            "time_embed_hidden_size": 64, "time_embed_dim": 32, "rope_inv_freq_len": 4}


def minimax_samples(seed):
    """EmptyMiniMaxH3LatentAV's layout at 5 frames: a NestedTensor of video (B, 24, 2, H, W) and audio (B, 32, 2, 8)."""
    import comfy.nested_tensor

    return comfy.nested_tensor.NestedTensor((randn((1, 24, 2, 4, 4), seed), randn((1, 32, 2, 8), seed + 1)))


MORE = [
    FamilySpec("Mochi", "GenmoMochi", "GenmoMochi", mochi_unet, shape=(1, 12, FRAMES, 8, 8), kind="video",
               true_cfg=True, cond_extra=text_attention_mask, notes="12-channel latent; T5 context + attention mask"),
    FamilySpec("HunyuanVideo I2V", "HunyuanVideoI2V", "HunyuanVideoI2V",
               lambda: hunyuan_video_unet(in_channels=33), shape=(1, 16, FRAMES, 8, 8), pooled=POOLED_DIM,
               kind="video", guidance_embed=True, reads_guidance=True, cond_extra=hunyuan_i2v_cond,
               notes="concat = image latent 16 + mask_inverted 1 (from the noise mask)"),
    FamilySpec("HunyuanVideo SkyReels I2V", "HunyuanVideoSkyreelsI2V", "HunyuanVideoSkyreelsI2V",
               lambda: hunyuan_video_unet(in_channels=32), shape=(1, 16, FRAMES, 8, 8), pooled=POOLED_DIM,
               kind="video", guidance_embed=True, reads_guidance=True, cond_extra=skyreels_cond,
               notes="concat = start image latent 16 (no mask channel)"),
    FamilySpec("MiniMax H3 (audio + video)", "MiniMaxH3", "MiniMaxH3", minimax_unet, shape=(1, 24, 2, 4, 4),
               kind="video", samples=minimax_samples, true_cfg=True, requires=has_nested_tensor, weight_scale=0.2,
               notes="a NestedTensor (video 24 channels, audio 32) packed by the guider; its format's 32 channels are "
               "its widest part's, which the pack checks a nested latent's widest part against; the network maps the "
               "video sigma to the audio stream's own shifted schedule inside, so the pack's controller acts on the "
               "video sigma for both"),
    FamilySpec("Kandinsky 5 (video)", "Kandinsky5", "Kandinsky5", kandinsky5_unet, shape=(1, 16, FRAMES, 8, 8),
               pooled=POOLED_DIM, kind="video", true_cfg=True,
               notes="HunyuanVideo VAE latent; concat = zeros 16 + (1 - noise mask) 1"),
    FamilySpec("Kandinsky 5 Image", "Kandinsky5Image", "Kandinsky5Image",
               lambda: kandinsky5_unet(visual_embed_dim=64), shape=(1, 16, 8, 8), pooled=POOLED_DIM,
               true_cfg=True, notes="Flux VAE latent, no concat"),
]
FAMILIES += MORE


def wan22_experts(seed: int = 0, mode: str = "t2v"):
    """Wan 2.2 A14B as ComfyUI runs it: two WAN21 models of one architecture with different weights.

    Returns (high_noise, low_noise, boundary): the high-noise expert serves sigma >= boundary, the low-noise one
    the rest (ComfyUI's Wan 2.2 templates: 0.875 text-to-video, 0.9 image-to-video)."""
    spec = next(f for f in FAMILIES if f.name == f"Wan 2.2 A14B {mode.upper()} (high-noise expert)")
    return spec.build(seed=seed), spec.build(seed=seed + 1), WAN22_BOUNDARY[mode]
