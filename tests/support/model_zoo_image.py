"""Image families of the zoo (see model_zoo): Flux.1 (dev, schnell, Kontext, Fill), Flux.2, SD3, AuraFlow, Chroma,
Chroma Radiance (pixel space), HiDream, Lumina 2, Z-Image (and its pixel-space variant), Qwen-Image (and -Edit),
HunyuanImage 2.1, PixelDiT (pixel space). Every network has hidden size 32-64 and one block of each kind."""

from __future__ import annotations

import comfy_harness
from model_zoo import CONTEXT_DIM, POOLED_DIM, FamilySpec, takes, where_accepted
from model_zoo_video import text_attention_mask
from seeded import gen, randn


flux_unet = comfy_harness.flux_unet_config  # the Flux.1 dev of the fixtures (conftest's flux_dev)


def reference_latents(seed, samples):
    """What ReferenceLatent adds: the encoded reference image(s), here one of the latent's own size."""
    return {"reference_latents": [randn(samples.shape, 2000 + seed)]}


def fill_concat(seed, samples):
    """What InpaintModelConditioning gives Flux Fill: the masked image's latent and the image-sized mask (8x the
    latent; 1 = inpaint, here the left half)."""
    import torch

    mask = torch.zeros((samples.shape[0], 1, samples.shape[-2] * 8, samples.shape[-1] * 8))
    mask[..., : mask.shape[-1] // 2] = 1.0
    return {"concat_latent_image": randn(samples.shape, 3000 + seed), "concat_mask": mask}


def chroma_unet(**over) -> dict:
    cfg = {
        "image_model": "chroma", "in_channels": 64, "out_channels": 64, "patch_size": 2,
        "context_in_dim": CONTEXT_DIM, "hidden_size": 64, "mlp_ratio": 2.0, "num_heads": 2, "depth": 1,
        "depth_single_blocks": 1, "axes_dim": [8, 12, 12], "theta": 10000, "qkv_bias": True, "in_dim": 64,
        "out_dim": 64, "hidden_dim": 32, "n_layers": 1, "txt_ids_dims": [], "vec_in_dim": None,
    }
    cfg.update(over)
    return cfg


def chroma_radiance_unet(use_x0: bool = False) -> dict:
    import torch

    return chroma_unet(
        image_model="chroma_radiance", in_channels=3, out_channels=3, patch_size=4, nerf_hidden_size=16,
        nerf_mlp_ratio=2, nerf_depth=1, nerf_max_freqs=4, nerf_tile_size=0, nerf_final_head_type="conv",
        nerf_embedder_dtype=torch.float32, **where_accepted("comfy.ldm.chroma_radiance.model", "ChromaRadianceParams",
                                                           use_x0=use_x0),
        **where_accepted("comfy.ldm.chroma_radiance.model", "ChromaRadianceParams", use_sequential_txt_ids=False),
    )


def lumina_unet(**over) -> dict:
    cfg = {
        "image_model": "lumina2", "patch_size": 2, "in_channels": 16, "dim": 64, "cap_feat_dim": CONTEXT_DIM,
        "n_layers": 1, "n_refiner_layers": 1, "qk_norm": True, "n_heads": 2, "n_kv_heads": 1,
        "axes_dims": [8, 12, 12], "axes_lens": [64, 64, 64], "rope_theta": 10000.0, "ffn_dim_multiplier": 2.0,
        "multiple_of": 16,
    }
    cfg.update(over)
    return cfg


def zimage_unet(**over) -> dict:
    # z_image_modulation sizes its adaLN input as min(dim, 256) but the time embedding is always 256 wide
    over = {"dim": 256, "axes_dims": [32, 48, 48], **over}
    return lumina_unet(
        n_kv_heads=2, rope_theta=256.0, ffn_dim_multiplier=8.0 / 3.0, z_image_modulation=True,
        time_scale=1000.0, pad_tokens_multiple=32, **over,
    )


def zimage_pixel_unet() -> dict:
    return zimage_unet(
        image_model="zimage_pixel", in_channels=3, patch_size=4, decoder_in_channels=48, decoder_hidden_size=32,
        decoder_num_res_blocks=1, decoder_max_freqs=4, use_x0=True,
    )


def hidream_cond(seed, samples):
    """HiDream reads the Llama-3 hidden states of every block (one per llama_layers entry) besides the T5 context."""
    return {"conditioning_llama3": randn((samples.shape[0], 2, 4, CONTEXT_DIM), 4000 + seed)}


def qwen_unet(**over) -> dict:
    cfg = {
        "image_model": "qwen_image", "patch_size": 2, "in_channels": 64, "out_channels": 16, "num_layers": 1,
        "attention_head_dim": 32, "num_attention_heads": 2, "joint_attention_dim": CONTEXT_DIM,
        "axes_dims_rope": [8, 12, 12],
    }
    cfg.update(over)
    return cfg


def hunyuan_image_unet() -> dict:
    return {
        "image_model": "hunyuan_video", "in_channels": 64, "out_channels": 64, "patch_size": [1, 1],
        "vec_in_dim": None, "context_in_dim": CONTEXT_DIM, "hidden_size": 64, "mlp_ratio": 2.0, "num_heads": 2,
        "depth": 1, "depth_single_blocks": 1, "axes_dim": [16, 16], "theta": 256, "qkv_bias": True,
        "guidance_embed": True, "byt5": False, "meanflow": False, "use_cond_type_embedding": False,
        "vision_in_dim": None, "meanflow_sum": False,
    }


def flux2_unet() -> dict:
    return {
        "image_model": "flux2", "guidance_embed": True, "in_channels": 128, "out_channels": 128, "patch_size": 1,
        "vec_in_dim": None, "context_in_dim": CONTEXT_DIM, "hidden_size": 64, "mlp_ratio": 3.0, "num_heads": 2,
        "depth": 1, "depth_single_blocks": 1, "axes_dim": [8, 8, 8, 8], "theta": 2000, "qkv_bias": False,
        "global_modulation": True, "mlp_silu_act": True, "ops_bias": False, "default_ref_method": "index",
        "ref_index_scale": 10.0, "txt_ids_dims": [3],
    }


def sd3_unet() -> dict:
    return {
        "in_channels": 16, "out_channels": 16, "patch_size": 2, "depth": 1, "input_size": None,
        "adm_in_channels": POOLED_DIM,
        "context_embedder_config": {"target": "torch.nn.Linear",
                                    "params": {"in_features": CONTEXT_DIM, "out_features": 64}},
        "num_patches": 32 * 32, "pos_embed_max_size": 32, "pos_embed_scaling_factor": None,
        "x_block_self_attn_layers": [],
    }


def auraflow_unet() -> dict:
    return {
        "in_channels": 4, "out_channels": 4, "patch_size": 2, "dim": 64, "n_layers": 2, "n_double_layers": 1,
        "n_heads": 2, "global_conddim": 64, "cond_seq_dim": CONTEXT_DIM, "max_seq": 64,
    }


def hidream_o1_unet() -> dict:
    return {
        "image_model": "hidream_o1",
        "text_config_overrides": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=1, num_attention_heads=2,
                                      num_key_value_heads=1, head_dim=32, rope_dims=[6, 5, 5]),
        "vision_config_overrides": dict(hidden_size=32, num_heads=2, intermediate_size=64, depth=1,
                                        num_position_embeddings=64, deepstack_visual_indexes=()),
    }


def hidream_o1_ids(seed, batch):
    """What HiDream-O1's pass-through text encoder emits: the chat-formatted prompt's token ids (here a few random
    word ids), ending in the image and timestep markers the network looks for."""
    import torch
    from comfy.text_encoders import hidream_o1 as te

    words = torch.randint(1000, 2000, (3,), generator=gen(6000 + seed)).tolist()
    ids = [te.IM_START_ID, te.USER_ID, te.NEWLINE_ID, *words, te.IM_END_ID, te.NEWLINE_ID, te.IM_START_ID,
           te.ASSISTANT_ID, te.NEWLINE_ID, te.BOI_TOKEN_ID, te.TMS_TOKEN_ID]
    return torch.tensor([ids] * batch)


def pixeldit_unet() -> dict:
    return {"image_model": "pixeldit_t2i", "num_groups": 2, "hidden_size": 64, "pixel_hidden_size": 16,
            "pixel_attn_hidden_size": 32, "pixel_num_groups": 2, "patch_depth": 1, "pixel_depth": 1, "patch_size": 4,
            "txt_embed_dim": CONTEXT_DIM, "txt_max_length": 16}


FLUX_NOTE = "guidance embedding: reads `guidance` (default 3.5)"
X0_TESTED = ("(tested with a trained-like x0 estimate: a random x0 network cannot be inverted, "
             "model_zoo.trained_like_x0)")

FAMILIES = [
    FamilySpec("Flux.1 dev", "Flux", "Flux", flux_unet, pooled=POOLED_DIM, guidance_embed=True,
               reads_guidance=True, notes=FLUX_NOTE),
    FamilySpec("Flux.1 schnell", "FluxSchnell", "Flux", lambda: flux_unet(guidance_embed=False), pooled=POOLED_DIM,
               reads_guidance=True, notes="no guidance embedding; extra_conds still passes `guidance` (ignored)"),
    FamilySpec("Flux.1 Kontext", "Flux", "Flux", flux_unet, pooled=POOLED_DIM, cond_extra=reference_latents,
               guidance_embed=True, reads_guidance=True,
               notes="edit model: reference_latents in the conditioning (ReferenceLatent node)"),
    FamilySpec("Flux.1 Fill", "FluxInpaint", "Flux", lambda: flux_unet(in_channels=96), pooled=POOLED_DIM,
               cond_extra=fill_concat, guidance_embed=True, reads_guidance=True,
               notes="in_channels 96: latent 16 + masked image 16 + mask 64 (8x8 packed) as concat conditioning"),
    FamilySpec("Flux.2", "Flux2", "Flux2", flux2_unet, shape=(1, 128, 8, 8), cond_extra=reference_latents,
               guidance_embed=True, reads_guidance=True,
               notes="128-channel latent, patch 1; text context padded to 512 tokens; reference images as "
               "reference_latents (index method)"),
    FamilySpec("LongCat-Image", "LongCatImage", "LongCatImage",
               lambda: flux_unet(guidance_embed=False, vec_in_dim=None, txt_ids_dims=[1, 2]), true_cfg=True,
               requires=takes("comfy.ldm.flux.model", "FluxParams", "txt_ids_dims"),
               notes="a Flux network with text position ids; extra_conds drops guidance"),
    FamilySpec("SD3", "SD3", "SD3", sd3_unet, pooled=POOLED_DIM, true_cfg=True),
    FamilySpec("AuraFlow", "AuraFlow", "AuraFlow", auraflow_unet, shape=(1, 4, 8, 8), true_cfg=True, weight_scale=0.1,
               notes="4-channel SDXL-format latent; multiplier 1"),
    FamilySpec("Chroma", "Chroma", "Chroma", chroma_unet, reads_guidance=True, true_cfg=True,
               notes="NO guidance embedding, but its distilled_guidance_layer reads `guidance` (default 0)"),
    FamilySpec("Chroma Radiance (pixel space)", "ChromaRadiance", "ChromaRadiance", chroma_radiance_unet,
               shape=(1, 3, 16, 16), reads_guidance=True, true_cfg=True, weight_scale=0.2,
               notes="pixel space (3 channels, no VAE), velocity prediction"),
    FamilySpec("Chroma Radiance (pixel space, x0)", "ChromaRadiance", "ChromaRadiance",
               lambda: chroma_radiance_unet(use_x0=True),
               shape=(1, 3, 16, 16), reads_guidance=True, true_cfg=True, weight_scale=0.2, x0_network=True,
               requires=takes("comfy.ldm.chroma_radiance.model", "ChromaRadianceParams", "use_x0"),
               notes="pixel space (3 channels, no VAE); the x0 variant divides by the timestep, so the inversion "
               "reads its first step at sigma_1 " + X0_TESTED),
    FamilySpec("HiDream I1", "HiDream", "HiDream", lambda: {
        "image_model": "hidream", "patch_size": 2, "in_channels": 16, "out_channels": 16, "num_layers": 1,
        "num_single_layers": 1, "attention_head_dim": 32, "num_attention_heads": 2,
        "caption_channels": [CONTEXT_DIM, CONTEXT_DIM], "text_emb_dim": POOLED_DIM, "num_routed_experts": 2,
        "num_activated_experts": 1, "axes_dims_rope": [16, 8, 8], "max_resolution": [16, 16], "llama_layers": [0, 1],
    }, pooled=POOLED_DIM, cond_extra=hidream_cond, true_cfg=True,
        notes="T5 context, pooled CLIP, Llama-3 states per block (conditioning_llama3); its sampling_settings are {}"),
    FamilySpec("HiDream-O1 (pixel space, noise_scale 8)", "HiDreamO1", "HiDreamO1", hidream_o1_unet,
               shape=(1, 3, 64, 64), true_cfg=True, weight_scale=0.2, x0_network=True,
               make_context=lambda seed, b: hidream_o1_ids(seed, b)[..., None].float(),
               cond_extra=lambda seed, samples: {"text_input_ids": hidream_o1_ids(seed, samples.shape[0])},
               notes="pixel space, 32-pixel patches, a Qwen3-VL backbone; model_sampling.noise_scale = 8: its prior "
               "noise is 8 * eps (so are y1 and the SDE noise); the network returns (x - x0) / max(sigma, 1e-3), so "
               "the inversion reads its first step at sigma_1 " + X0_TESTED),
    FamilySpec("Lumina 2", "Lumina2", "Lumina2", lumina_unet, true_cfg=True),
    FamilySpec("Z-Image", "ZImage", "Lumina2", zimage_unet, true_cfg=True,
               requires=takes("comfy.ldm.lumina.model", "NextDiT", "z_image_modulation", "pad_tokens_multiple")),
    FamilySpec("Z-Image (pixel space, x0)", "ZImagePixelSpace", "ZImagePixelSpace", zimage_pixel_unet,
               shape=(1, 3, 16, 16), true_cfg=True, weight_scale=0.2, x0_network=True,
               notes="pixel space; its forward returns (x + x0) / t, which is not finite at t = 0, so the inversion "
               "reads its first step at sigma_1 " + X0_TESTED),
    FamilySpec("Qwen-Image", "QwenImage", "QwenImage", qwen_unet, shape=(1, 16, 1, 8, 8), true_cfg=True,
               weight_scale=0.1,
               notes="Wan 2.1 VAE latent: 5-D (B, 16, 1, H, W)"),
    FamilySpec("Qwen-Image-Edit", "QwenImage", "QwenImage", qwen_unet, shape=(1, 16, 1, 8, 8), true_cfg=True,
               weight_scale=0.1,
               cond_extra=reference_latents, notes="reference_latents (TextEncodeQwenImageEdit / ReferenceLatent)"),
    FamilySpec("HunyuanImage 2.1", "HunyuanImage21", "HunyuanImage21", hunyuan_image_unet, shape=(1, 64, 8, 8),
               true_cfg=True, guidance_embed=True, reads_guidance=True,
               notes="64-channel latent (32x VAE); guidance embedding, default guidance 6.0"),
    FamilySpec("PixelDiT (pixel space)", "PixelDiTT2I", "PixelDiTT2I", pixeldit_unet, shape=(1, 3, 16, 16),
               true_cfg=True, weight_scale=0.3, cond_extra=text_attention_mask,
               notes="pixel space (3 channels, no VAE), 16-pixel patches, velocity prediction; Gemma-2 context"),
]
