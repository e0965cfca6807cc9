"""Image families of the zoo (see model_zoo) conditioned on a language model's hidden states: Anima, OmniGen2,
Boogu, ERNIE-Image, Lens, Mage-Flow, JoyImage, Ideogram 4, Krea 2. The edit models among them read the reference
images of ReferenceLatent (the same for every prompt of a graph, so not seed-dependent here). Every network has
hidden size 32-128 and one block of each kind."""

from __future__ import annotations

import torch

from model_zoo import CONTEXT_DIM, TOKENS, FamilySpec
from model_zoo_video import text_attention_mask
from seeded import randn

FLUX2_SHAPE = (1, 128, 8, 8)  # the Flux.2 VAE latent of ERNIE-Image, Lens, Mage-Flow and Ideogram 4
WAN_IMAGE_SHAPE = (1, 16, 1, 8, 8)  # a one-frame Wan 2.1 VAE latent (Anima, JoyImage, Krea 2)
ANIMA_CONTEXT = 1024  # Qwen3 0.6B's hidden size, which Anima's LLM adapter (fixed at 1024 wide) reads


def edit_references(seed, samples):
    """ReferenceLatent: one reference image of the latent's size, with the text encoder's attention mask."""
    return {"reference_latents": [randn(samples.shape, 4200)], **text_attention_mask(seed, samples)}


def anima_ids(seed, samples):
    """Anima's text encoder adds the T5 token ids and weights of the prompt, which its LLM adapter embeds."""
    ids = torch.randint(0, 32128, (TOKENS,), generator=torch.Generator().manual_seed(4300 + seed))
    return {"t5xxl_ids": ids.int(), "t5xxl_weights": torch.ones(TOKENS)}


def anima_unet() -> dict:
    return {
        "image_model": "anima", "max_img_h": 16, "max_img_w": 16, "max_frames": 8, "in_channels": 16,
        "out_channels": 16, "patch_spatial": 2, "patch_temporal": 1, "model_channels": 64, "num_blocks": 1,
        "num_heads": 2, "concat_padding_mask": True, "crossattn_emb_channels": ANIMA_CONTEXT,
        "pos_emb_cls": "rope3d", "pos_emb_learnable": True, "pos_emb_interpolation": "crop", "min_fps": 1,
        "max_fps": 30, "use_adaln_lora": True, "adaln_lora_dim": 16, "extra_per_block_abs_pos_emb": False,
        "rope_h_extrapolation_ratio": 4.0, "rope_w_extrapolation_ratio": 4.0, "rope_t_extrapolation_ratio": 1.0,
        "extra_h_extrapolation_ratio": 1.0, "extra_w_extrapolation_ratio": 1.0, "extra_t_extrapolation_ratio": 1.0,
        "rope_enable_fps_modulation": False,
    }


def omnigen2_unet(**over) -> dict:
    return {"image_model": "omnigen2", "patch_size": 2, "in_channels": 16, "out_channels": 16, "hidden_size": 64,
            "num_layers": 1, "num_refiner_layers": 1, "num_attention_heads": 2, "num_kv_heads": 1, "multiple_of": 16,
            "axes_dim_rope": (8, 12, 12), "axes_lens": (64, 64, 64), "text_feat_dim": CONTEXT_DIM,
            "timestep_scale": 1000.0, **over}


def boogu_unet() -> dict:
    return {"image_model": "boogu", "patch_size": 2, "in_channels": 16, "out_channels": 16, "hidden_size": 64,
            "num_layers": 2, "num_double_stream_layers": 1, "num_refiner_layers": 1, "num_attention_heads": 2,
            "num_kv_heads": 1, "multiple_of": 16, "axes_dim_rope": (8, 12, 12), "axes_lens": (64, 64, 64),
            "instruction_feat_dim": CONTEXT_DIM}


def ernie_unet() -> dict:
    return {"image_model": "ernie", "hidden_size": 64, "num_attention_heads": 2, "num_layers": 1,
            "ffn_hidden_size": 128, "in_channels": 128, "out_channels": 128, "patch_size": 1,
            "text_in_dim": CONTEXT_DIM, "rope_axes_dim": (8, 12, 12)}


def lens_unet() -> dict:
    """Two text-encoder layers of 16 features each: a 32-wide context, as CONTEXT_DIM."""
    return {"image_model": "lens", "patch_size": 2, "in_channels": 128, "out_channels": 32, "num_layers": 1,
            "attention_head_dim": 32, "num_attention_heads": 2, "enc_hidden_dim": CONTEXT_DIM // 2,
            "axes_dims_rope": (8, 12, 12), "multi_layer_encoder_feature": True, "selected_layer_index": (0, 1)}


def mage_flow_unet() -> dict:
    return {"image_model": "mage_flow", "in_channels": 128, "out_channels": 128, "num_layers": 1,
            "attention_head_dim": 32, "num_attention_heads": 2, "joint_attention_dim": CONTEXT_DIM,
            "axes_dims_rope": (8, 12, 12)}


def joyimage_unet() -> dict:
    return {"image_model": "joyimage", "patch_size": [1, 2, 2], "in_channels": 16, "out_channels": 16,
            "hidden_size": 64, "num_attention_heads": 2, "text_dim": CONTEXT_DIM, "mlp_width_ratio": 2.0,
            "num_layers": 1, "rope_dim_list": [8, 12, 12], "theta": 10000}


def ideogram4_unet() -> dict:
    return {"image_model": "ideogram4", "in_channels": 128, "num_layers": 1, "num_attention_heads": 2,
            "attention_head_dim": 32, "intermediate_size": 64, "adaln_dim": 32, "llm_features_dim": CONTEXT_DIM,
            "rope_theta": 10000, "mrope_section": (6, 5, 5), "norm_eps": 1e-5}


def krea2_unet() -> dict:
    """Two text-encoder layers of 16 features (context B, L, 2 x 16), fused by its text transformer."""
    return {"image_model": "krea2", "features": 64, "tdim": 32, "txtdim": CONTEXT_DIM // 2, "heads": 2, "kvheads": 1,
            "multiplier": 2, "layers": 1, "patch": 2, "channels": 16, "txtlayers": 2, "txtheads": 2,
            "txtkvheads": 2}


FAMILIES = [
    FamilySpec("Anima", "Anima", "Anima", anima_unet, shape=WAN_IMAGE_SHAPE, context=(TOKENS, ANIMA_CONTEXT),
               cond_extra=anima_ids, true_cfg=True, weight_scale=0.1,
               notes="a Cosmos Predict2 network behind an LLM adapter (fixed at 1024 wide, 6 layers) that embeds the "
               "prompt's T5 ids against Qwen3 states; one-frame Wan 2.1 VAE latent"),
    FamilySpec("OmniGen2", "Omnigen2", "Omnigen2", omnigen2_unet, cond_extra=edit_references, true_cfg=True,
               notes="edit model: reference_latents; Qwen2.5-VL states with their attention mask"),
    FamilySpec("Boogu", "Boogu", "Boogu", boogu_unet, cond_extra=edit_references, true_cfg=True,
               notes="an OmniGen2 network with double-stream layers; reference_latents; Qwen3-VL states"),
    FamilySpec("ERNIE-Image", "ErnieImage", "ErnieImage", ernie_unet, shape=FLUX2_SHAPE, true_cfg=True, weight_scale=0.1,
               cond_extra=text_attention_mask, notes="Flux.2 VAE latent (128 channels, patch 1); multiplier 1000"),
    FamilySpec("Lens", "Lens", "Lens", lens_unet, shape=FLUX2_SHAPE, true_cfg=True, weight_scale=0.1,
               notes="Flux.2 VAE latent; several GPT-OSS layers side by side in the context"),
    FamilySpec("Mage-Flow", "MageFlow", "MageFlow", mage_flow_unet, shape=FLUX2_SHAPE, true_cfg=True, weight_scale=0.1,
               cond_extra=edit_references,
               notes="ComfyUI's Qwen-Image model class with its own network, on the Flux.2 VAE latent; its timestep "
               "is rounded to bfloat16; reference_latents"),
    FamilySpec("JoyImage", "JoyImage", "JoyImage", joyimage_unet, shape=WAN_IMAGE_SHAPE, true_cfg=True,
               cond_extra=edit_references, notes="one-frame Wan 2.1 VAE latent; multiplier 1000; reference_latents"),
    FamilySpec("Ideogram 4", "Ideogram4", "Ideogram4", ideogram4_unet, shape=FLUX2_SHAPE, true_cfg=True, weight_scale=0.1,
               cond_extra=text_attention_mask,
               notes="Flux.2 VAE latent; Qwen3-VL states with their attention mask"),
    FamilySpec("Krea 2", "Krea2", "Krea2", krea2_unet, shape=WAN_IMAGE_SHAPE, true_cfg=True,
               cond_extra=edit_references, notes="one-frame Wan 2.1 VAE latent; Qwen3-VL layers fused by a text "
               "transformer; reference_latents"),
]
