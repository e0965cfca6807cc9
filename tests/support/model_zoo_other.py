"""Audio families of the zoo (ACE-Step, ACE-Step 1.5) and the flow-like families the pack must refuse: Cosmos
Predict2 (COSMOS_RFLOW sampling), Wan FlowRVS (IMG_TO_IMG_FLOW: a CONST subclass whose network predicts x0 and
whose noise_scaling keeps the image), Hunyuan3D 2, 2.1 and 2 mini and TripoSplat (CONST, but latents of 3-D
objects: shape tokens (B, C, N), Gaussian splats), Wan 2.1 causal AR (samples a few frames at a time against a
cache of the frames before)."""

from __future__ import annotations

import torch

from model_zoo import CONTEXT_DIM, FamilySpec, where_accepted
from model_zoo_video import FRAMES, wan_unet
from seeded import gen, randn


def ace_unet() -> dict:
    return {
        "audio_model": "ace", "in_channels": 8, "num_layers": 1, "inner_dim": 32, "attention_head_dim": 16,
        "num_attention_heads": 2, "mlp_ratio": 2.0, "out_channels": 8, "max_position": 256,
        "speaker_embedding_dim": 512, "text_embedding_dim": CONTEXT_DIM, "ssl_encoder_depths": [1, 1],
        "ssl_names": ["mert", "m-hubert"], "ssl_latent_dims": [16, 16], "lyric_encoder_vocab_size": 16,
        "lyric_hidden_size": 1024, "patch_size": [16, 1], "max_height": 16, "max_width": 64,
    }


def ace_lyrics(seed, samples):
    """The lyric token ids ACE-Step's text encoder adds to the conditioning."""
    g = gen(5000 + seed)
    return {"conditioning_lyrics": torch.randint(0, 16, (samples.shape[0], 4), generator=g)}


def ace15_unet() -> dict:
    return {
        "audio_model": "ace1.5", "in_channels": 192, "hidden_size": 32, "text_hidden_dim": CONTEXT_DIM,
        "timbre_hidden_dim": 64, "audio_acoustic_hidden_dim": 64, "num_dit_layers": 1, "num_lyric_layers": 1,
        "num_timbre_layers": 1, "num_tokenizer_layers": 1, "num_heads": 2, "num_kv_heads": 1, "head_dim": 16,
        "intermediate_size": 64, "patch_size": 2, "sliding_window": 16, "fsq_dim": 32,
        # newer versions size the condition encoder separately (older ones use hidden_size, intermediate_size...)
        **where_accepted("comfy.ldm.ace.ace_step15", "AceStepConditionGenerationModel", encoder_hidden_size=32,
                         encoder_intermediate_size=64, encoder_num_heads=2),
    }


def ace15_lyrics(seed, samples):
    """ACE-Step 1.5's text encoder hands the model lyric embeddings (not ids)."""
    return {"conditioning_lyrics": randn((samples.shape[0], 4, CONTEXT_DIM), 5100 + seed)}


def cosmos_predict2_unet() -> dict:
    return {
        "image_model": "cosmos_predict2", "max_img_h": 16, "max_img_w": 16, "max_frames": 8, "in_channels": 16,
        "out_channels": 16, "patch_spatial": 2, "patch_temporal": 1, "model_channels": 64, "num_blocks": 1,
        "num_heads": 2, "concat_padding_mask": True, "crossattn_emb_channels": CONTEXT_DIM, "pos_emb_cls": "rope3d",
        "pos_emb_learnable": True, "pos_emb_interpolation": "crop", "min_fps": 1, "max_fps": 30,
        "use_adaln_lora": True, "adaln_lora_dim": 16, "extra_per_block_abs_pos_emb": False,
        "rope_h_extrapolation_ratio": 4.0, "rope_w_extrapolation_ratio": 4.0, "rope_t_extrapolation_ratio": 1.0,
        "extra_h_extrapolation_ratio": 1.0, "extra_w_extrapolation_ratio": 1.0, "extra_t_extrapolation_ratio": 1.0,
        "rope_enable_fps_modulation": False,
    }


def hunyuan3d_unet() -> dict:
    return {
        "image_model": "hunyuan3d2", "in_channels": 64, "context_in_dim": CONTEXT_DIM, "hidden_size": 64,
        "mlp_ratio": 2.0, "num_heads": 2, "depth": 1, "depth_single_blocks": 1, "qkv_bias": True,
        "guidance_embed": False,
    }


def hunyuan3d21_unet() -> dict:
    return {"image_model": "hunyuan3d2_1", "in_channels": 64, "context_dim": CONTEXT_DIM, "hidden_size": 64,
            "mlp_ratio": 2.0, "num_heads": 2, "depth": 1, "qkv_bias": False, "num_moe_layers": 0,
            "guidance_cond_proj_dim": None}


def triposplat_unet() -> dict:
    return {"image_model": "triposplat", "q_token_length": 32, "in_channels": 16, "model_channels": 64,
            "cond_channels": CONTEXT_DIM, "out_channels": 16, "num_blocks": 1, "num_refiner_blocks": 1,
            "num_head_channels": 32, "cond2_channels": 32}


FAMILIES = [
    FamilySpec("ACE-Step", "ACEStep", "ACEStep", ace_unet, shape=(1, 8, 16, 8), kind="audio",
               latent_extra=lambda: {"type": "audio"}, cond_extra=ace_lyrics, true_cfg=True,
               notes="audio latent (B, 8, 16, L) with type 'audio'; lyric token ids in the conditioning"),
    FamilySpec("ACE-Step 1.5", "ACEStep15", "ACEStep15", ace15_unet, shape=(1, 64, 8), kind="audio",
               latent_extra=lambda: {"type": "audio", "downscale_ratio_temporal": 1764}, cond_extra=ace15_lyrics,
               true_cfg=True, weight_scale=0.1,  # at 0.05 two prompts change its velocity by 1e-5 of 0.05
               notes="3-D audio latent (B, 64, L); a mask is one row over time"),
    FamilySpec("Cosmos Predict2 (refused)", "CosmosT2IPredict2", "CosmosPredict2", cosmos_predict2_unet,
               shape=(1, 16, 1, 8, 8), kind="video", refuse=(("CosmosPredict2", "COSMOS_RFLOW"), "rectified-flow"),
               notes="COSMOS_RFLOW sampling: not a rectified-flow (CONST) model"),
    FamilySpec("Wan FlowRVS (refused)", "WAN21_FlowRVS", "WAN21_FlowRVS", lambda: wan_unet(model_type="flow_rvs"),
               shape=(1, 16, FRAMES, 8, 8), kind="video",
               refuse=(("WAN21_FlowRVS", "IMG_TO_IMG_FLOW"), "rectified-flow"),
               notes="IMG_TO_IMG_FLOW subclasses CONST but predicts x0 and never adds noise"),
    FamilySpec("Hunyuan3D 2 (refused)", "Hunyuan3Dv2", "Hunyuan3Dv2", hunyuan3d_unet, shape=(1, 64, 32),
               kind="3d", refuse=(("Hunyuan3Dv2",), "3-D"),
               notes="CONST, but 3-D shape latents (B, C, N), and ComfyUI has no encoder to make a source latent"),
    FamilySpec("Hunyuan3D 2.1 (refused)", "Hunyuan3Dv2_1", "Hunyuan3Dv2_1", hunyuan3d21_unet, shape=(1, 64, 32),
               kind="3d", refuse=(("Hunyuan3Dv2_1",), "3-D"), notes="as Hunyuan3D 2: 3-D shape latents (B, C, N)"),
    FamilySpec("Hunyuan3D 2 mini (refused)", "Hunyuan3Dv2mini", "Hunyuan3Dv2", lambda: {**hunyuan3d_unet(), "depth": 8},
               shape=(1, 64, 32), kind="3d", refuse=(("Hunyuan3Dv2", "Hunyuan3Dv2mini"), "3-D"),
               notes="as Hunyuan3D 2: 3-D shape latents (B, C, N)"),
    FamilySpec("TripoSplat (refused)", "TripoSplat", "TripoSplat", triposplat_unet, shape=(1, 32, 16), kind="3d",
               refuse=(("TripoSplat",), "3-D"),
               notes="CONST, but its latent is a set of 3-D Gaussian splats (B, tokens, 16) with a camera token; no "
               "encoder makes one from an image"),
    FamilySpec("Wan 2.1 causal AR (refused)", "WAN21_CausalAR_T2V", "WAN21_CausalAR", wan_unet,
               shape=(1, 16, FRAMES, 8, 8), kind="video", refuse=(("WAN21_CausalAR",), "frames at a time"),
               notes="samples a few frames at a time against a cache of the frames before (ComfyUI's ar_video "
               "sampler); a whole-video inversion does not follow how it generates"),
]
