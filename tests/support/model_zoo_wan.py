"""The Wan 2.1 / 2.2 variants of the zoo (see model_zoo), each with the conditioning its ComfyUI node gives it:
VACE (WanVaceToVideo: control video, control masks and a reference image), Fun Control (WanFunControlToVideo),
Camera 2.1 / 2.2 (WanCameraImageToVideo: camera embeddings), HuMo (WanHuMoImageToVideo: audio features and a
reference image), S2V (WanSoundImageToVideo: audio features, reference image, motion frames, control video),
Animate (WanAnimateToVideo: pose latents, reference and background frames), SCAIL and SCAIL-2 (WanSCAILToVideo:
pose latents, references, identity masks), WanDancer (WanDancerVideo: music features, start image, CLIP vision of
the frame and the reference). Latents are 5-D (B, 16, T, H, W). What these nodes add besides the prompt (control
video, audio, references) is the same for every prompt of a graph, so it does not depend on the seed here."""

from __future__ import annotations

import torch

from model_zoo import FamilySpec, clip_vision_output
from model_zoo_video import FRAMES, first_frame_mask, wan_unet
from seeded import randn

SHAPE = (1, 16, FRAMES, 8, 8)


def zeros_like_frames(samples, channels: int, frames: int | None = None) -> torch.Tensor:
    return torch.zeros((samples.shape[0], channels, frames or samples.shape[2], *samples.shape[3:]))


def vace_cond(seed, samples):
    """WanVaceToVideo with a control video, its masks and a reference image: vace_frames = (inactive 16 +
    reactive 16) latents behind the reference frame's latent (then zeros), vace_mask = 64 channels (the 8x8 pixel
    mask per latent pixel, 0 on the reference frame); the latent has the reference frame first (trim_latent 1)."""
    frames = samples.shape[2]
    control = randn((samples.shape[0], 32, frames, *samples.shape[3:]), 3400)
    mask = torch.ones((1, 64, frames, *samples.shape[3:]))
    mask[:, :, 0] = 0.0
    control[:, 16:, 0] = 0.0
    return {"vace_frames": [control], "vace_mask": [mask], "vace_strength": [1.0]}


def fun_control_cond(seed, samples):
    """WanFunControlToVideo: concat = control video latent 16 + start image latent 16, and CLIP vision."""
    return {"concat_latent_image": randn((samples.shape[0], 32, *samples.shape[2:]), 3500),
            "clip_vision_output": clip_vision_output(4, 1280, 3510)}


def camera_cond(seed, samples):
    """WanCameraImageToVideo: the start image latent and mask as concat, and WanCameraEmbedding's Pluecker
    embedding (B, 6 x 4 frames, T, 8 H, 8 W) at pixel size."""
    b, _, t, h, w = samples.shape
    return {"concat_latent_image": randn(samples.shape, 3600), "concat_mask": first_frame_mask(samples),
            "camera_conditions": randn((b, 24, t, 8 * h, 8 * w), 3610),
            "clip_vision_output": clip_vision_output(4, 1280, 3620)}


def humo_cond(seed, samples):
    """WanHuMoImageToVideo: whisper features, a window of 8 per latent frame (B, T, 8, 5, 1280), and the reference
    image's latent."""
    b, _, t, h, w = samples.shape
    return {"audio_embed": randn((b, t, 8, 5, 1280), 3700),
            "reference_latents": [randn((b, 16, 1, h, w), 3710)]}


def s2v_cond(seed, samples):
    """WanSoundImageToVideo: wav2vec features of every layer (B, 25, audio_dim, 4 T), the reference image, 19 motion
    frames and the control video latent."""
    b, _, t, h, w = samples.shape
    return {"audio_embed": randn((b, 25, 32, 4 * t), 3800),
            "reference_latents": [randn((b, 16, 1, h, w), 3810)],
            "reference_motion": randn((b, 16, 19, h, w), 3820),
            "control_video": randn(samples.shape, 3830)}


def animate_cond(seed, samples):
    """WanAnimateToVideo without a face video (face_cond adds it): the pose video latent, the reference image and
    background frames as concat (one more frame than the video) with their mask, and CLIP vision; the latent has
    the reference frame first (trim_latent 1)."""
    b, _, t, h, w = samples.shape
    mask = torch.ones((1, 4, t, h, w))
    mask[:, :, 0] = 0.0
    return {"pose_video_latent": randn((b, 16, t - 1, h, w), 3900),
            "concat_latent_image": randn((b, 16, t, h, w), 3910), "concat_mask": mask,
            "clip_vision_output": clip_vision_output(4, 1280, 3920)}


def animate_face_cond(seed, samples):
    """animate_cond plus the face video WanAnimateToVideo hands the motion encoder: 512 x 512 pixels in [-1, 1]."""
    return {**animate_cond(seed, samples),
            "face_video_pixels": randn((samples.shape[0], 3, 1, 512, 512), 3930).clamp(-1, 1)}


def scail_cond(seed, samples):
    """WanSCAILToVideo: the reference image's latent, the pose video latent at half size, CLIP vision."""
    b, _, t, h, w = samples.shape
    return {"reference_latents": [randn((b, 16, 1, h, w), 4000)],
            "pose_video_latent": randn((b, 16, t, h // 2, w // 2), 4010),
            "clip_vision_output": clip_vision_output(4, 1280, 4020), "ref_mask_flag": True}


def scail2_cond(seed, samples):
    """scail_cond plus SCAIL-2's identity masks: 28 channels per frame for the driving pose (half size) and for the
    reference frame followed by zeros over the video frames."""
    b, _, t, h, w = samples.shape
    ref_mask = torch.zeros((b, 1 + t, 28, h, w))
    ref_mask[:, 0] = (randn((b, 28, h, w), 4030) > 0).float()
    return {**scail_cond(seed, samples),
            "driving_mask_28ch": (randn((b, t, 28, h // 2, w // 2), 4040) > 0).float(),
            "ref_mask_28ch": ref_mask}


def dancer_cond(seed, samples):
    """WanDancerVideo: the start image latent and mask as concat, CLIP vision of the frame and of the reference,
    the music features (B, frames, 35) at 30 fps."""
    b, _, t, h, w = samples.shape
    return {"concat_latent_image": randn(samples.shape, 4100), "concat_mask": first_frame_mask(samples),
            "clip_vision_output": clip_vision_output(4, 1280, 4110),
            "clip_vision_output_ref": clip_vision_output(4, 1280, 4120),
            "audio_embed": randn((b, 4 * t, 35), 4130), "fps": 30.0, "audio_inject_scale": 1.0}


def wan_i2v_unet(model_type: str, in_dim: int, **over) -> dict:
    return wan_unet(model_type=model_type, in_dim=in_dim, **over)


FAMILIES = [
    FamilySpec("Wan 2.1 VACE", "WAN21_Vace", "WAN21_Vace",
               lambda: wan_unet(model_type="vace", vace_layers=1, vace_in_dim=96), shape=(1, 16, FRAMES + 1, 8, 8),
               kind="video", true_cfg=True, cond_extra=vace_cond,
               notes="vace_frames (inactive + reactive control latents) and vace_mask (64 channels) from "
               "WanVaceToVideo; with a reference image the latent has it as its first frame (trim_latent 1), so the "
               "source latent is the reference frame followed by the video"),
    FamilySpec("Wan 2.1 Fun Control", "WAN21_FunControl2V", "WAN21", lambda: wan_i2v_unet("i2v", 48),
               shape=SHAPE, kind="video", true_cfg=True, cond_extra=fun_control_cond,
               notes="concat = control video latent 16 + start image latent 16 (no mask channels); CLIP vision"),
    FamilySpec("Wan 2.1 Camera", "WAN21_Camera", "WAN21_Camera",
               lambda: wan_i2v_unet("camera", 32, in_dim_control_adapter=24), shape=SHAPE, kind="video",
               true_cfg=True, cond_extra=camera_cond,
               notes="camera_conditions: WanCameraEmbedding's Pluecker embedding (24 channels at pixel size); concat "
               "= start image latent 16"),
    FamilySpec("Wan 2.2 Camera", "WAN22_Camera", "WAN21_Camera",
               lambda: wan_i2v_unet("camera_2.2", 36, in_dim_control_adapter=24), shape=SHAPE, kind="video",
               true_cfg=True, cond_extra=camera_cond,
               notes="camera_conditions as Wan 2.1 Camera; concat = 4 mask + 16 start image latent channels"),
    FamilySpec("Wan 2.1 HuMo", "WAN21_HuMo", "WAN21_HuMo", lambda: wan_unet(model_type="humo"), shape=SHAPE,
               kind="video", true_cfg=True, cond_extra=humo_cond,
               notes="audio_embed: whisper features (T + 1, 8, 5, 1280); reference image latent appended as frames"),
    FamilySpec("Wan 2.2 S2V", "WAN22_S2V", "WAN22_S2V",
               lambda: wan_unet(model_type="s2v", audio_dim=32, audio_inject_layers=[0], cond_dim=16),
               shape=SHAPE, kind="video", true_cfg=True, cond_extra=s2v_cond,
               notes="audio_embed (25 wav2vec layers), reference image, 19 motion frames and the control video latent"),
    FamilySpec("Wan 2.2 Animate", "WAN22_Animate", "WAN22_Animate",
               lambda: wan_i2v_unet("animate", 36, num_layers=5),  # its face adapter has a block per 5 layers
               shape=(1, 16, FRAMES + 1, 8, 8), kind="video", true_cfg=True,
               cond_extra=animate_cond,
               notes="pose video latent, reference + background frames as concat, CLIP vision; the latent has the "
               "reference frame first (trim_latent 1); the face video (512 x 512 pixels through a motion encoder, too "
               "slow for every check) in both passes by test_wan22_animate_reads_the_face_video_in_both_passes"),
    FamilySpec("Wan 2.1 SCAIL", "WAN21_SCAIL", "WAN21_SCAIL", lambda: wan_i2v_unet("scail", 20), shape=SHAPE,
               kind="video", true_cfg=True, cond_extra=scail_cond,
               notes="reference image latent (+ 4 mask channels) before the video, pose video latent at half size"),
    FamilySpec("Wan 2.1 SCAIL-2", "WAN21_SCAIL2", "WAN21_SCAIL2", lambda: wan_i2v_unet("scail2", 20), shape=SHAPE,
               kind="video", true_cfg=True, cond_extra=scail2_cond,
               notes="SCAIL plus identity masks (28 channels) of the pose video and the reference"),
    FamilySpec("Wan 2.2 WanDancer", "WAN22_WanDancer", "WAN22_WanDancer",
               lambda: wan_i2v_unet("wandancer", 36, audio_inject_layers=[0], music_dim=32, music_heads=2,
                                    music_latent_dim=32),
               shape=SHAPE, kind="video", true_cfg=True, cond_extra=dancer_cond,
               notes="music features (35 per frame), start image concat, CLIP vision of the frame and the reference"),
]
