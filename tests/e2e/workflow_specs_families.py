"""Graph specs of the workflows for model families beyond Flux (format: see workflow_specs.py).

* qwen_image_edit: RF-Inversion on Qwen-Image-Edit. The source image is the edit model's image condition in
  BOTH directions: TextEncodeQwenImageEdit hands it to the vision-language text encoder and ReferenceLatent puts
  its latent into the conditioning, for the inversion's prompt (which is also the edit's negative) and for the
  edit prompt. Loader names, the shift and the CFG come from ComfyUI's own Qwen-Image-Edit template.
* wan_video_edit: RF-Inversion of a short clip with Wan 2.1 text-to-video 1.3B: LoadVideo -> GetVideoComponents
  -> the first frames -> Wan VAE encode -> RFInvert -> RFControlledSampler -> decode -> SaveWEBM at the clip's
  frame rate. Shift, steps and CFG from ComfyUI's Wan 2.1 text-to-video template.
"""
from workflow_specs import LOADER_COLOR, SOURCE_IMAGE, image_result, note, rf_links, rf_nodes

SOURCE_VIDEO = "source_clip.mp4"  # the user's clip; the tests write a tiny one under this name into input/


def _model(name, directory, url):
    return {"name": name, "directory": directory, "url": url}


QWEN_EDIT_MODELS = {
    "unet": _model("qwen_image_edit_fp8_e4m3fn.safetensors", "diffusion_models",
                   "https://huggingface.co/Comfy-Org/Qwen-Image-Edit_ComfyUI/resolve/main/split_files/"
                   "diffusion_models/qwen_image_edit_fp8_e4m3fn.safetensors"),
    "clip": _model("qwen_2.5_vl_7b_fp8_scaled.safetensors", "text_encoders",
                   "https://huggingface.co/Comfy-Org/Qwen-Image_ComfyUI/resolve/main/split_files/"
                   "text_encoders/qwen_2.5_vl_7b_fp8_scaled.safetensors"),
    "vae": _model("qwen_image_vae.safetensors", "vae",
                  "https://huggingface.co/Comfy-Org/Qwen-Image_ComfyUI/resolve/main/split_files/vae/"
                  "qwen_image_vae.safetensors"),
}

WAN_T2V_MODELS = {
    "unet": _model("wan2.1_t2v_1.3B_fp16.safetensors", "diffusion_models",
                   "https://huggingface.co/Comfy-Org/Wan_2.1_ComfyUI_repackaged/resolve/main/split_files/"
                   "diffusion_models/wan2.1_t2v_1.3B_fp16.safetensors"),
    "clip": _model("umt5_xxl_fp8_e4m3fn_scaled.safetensors", "text_encoders",
                   "https://huggingface.co/Comfy-Org/Wan_2.1_ComfyUI_repackaged/resolve/main/split_files/"
                   "text_encoders/umt5_xxl_fp8_e4m3fn_scaled.safetensors"),
    "vae": _model("wan_2.1_vae.safetensors", "vae",
                  "https://huggingface.co/Comfy-Org/Wan_2.1_ComfyUI_repackaged/resolve/main/split_files/vae/"
                  "wan_2.1_vae.safetensors"),
}


def files_note(family, models):
    """The note's list of model files: every loader's file under its models/ folder."""
    lines = [f"**Model files** ({family}; paths relative to your ComfyUI folder; the loaders carry the download "
             "links)"]
    lines += [f"- `models/{m['directory']}/{m['name']}`" for m in models.values()]
    return "\n".join(lines) + "\n"


def single_loaders(models, clip_type, x=0, y=0):
    """UNETLoader, CLIPLoader and VAELoader of one family, each with its file's download link."""
    return [
        dict(key="unet", type="UNETLoader", pos=[x, y], color=LOADER_COLOR, models=[models["unet"]],
             widgets={"unet_name": models["unet"]["name"], "weight_dtype": "default"}),
        dict(key="clip", type="CLIPLoader", pos=[x, y + 130], color=LOADER_COLOR, models=[models["clip"]],
             widgets={"clip_name": models["clip"]["name"], "type": clip_type}),
        dict(key="vae", type="VAELoader", pos=[x, y + 290], color=LOADER_COLOR, models=[models["vae"]],
             widgets={"vae_name": models["vae"]["name"]}),
    ]


QWEN_EDIT_NOTE = """## RF-Inversion on Qwen-Image-Edit
Invert a photo and edit it with Qwen-Image-Edit (ComfyUI 0.16.3 or newer).

**What to change**
1. *Source image*: your photo (sides divisible by 16, about 1 megapixel).
2. *Edit prompt*: the instruction, e.g. "make her dress red".
3. Identity vs. edit strength: **stop_step** and **eta** on the edit node, as in
   *rf_inversion_edit*; **cfg** (with the negative) for the prompt's strength.

**The image condition is the same in both directions.** The source image goes into both
Qwen edit text encoders (the vision-language prompt) and its latent into the conditioning
through ReferenceLatent, for the inversion's prompt (empty; it is also the edit's
negative) AND for the edit prompt: the model that inverts sees the same image
condition as the model that edits. Change the image in both places or in neither.

**Settings** (kept here). From ComfyUI's Qwen-Image-Edit template: 20 steps, shift 3
(ModelSamplingAuraFlow), cfg 2.5 with the empty prompt plus image as the negative.
From the paper: gamma 0.5 and the empty source prompt (RFInvert runs at cfg 1, no
negative). eta 0.9 on steps [0, 5): the same quarter of the steps as 7 of 28 in
*rf_inversion_edit*, not tuned for Qwen-Image. `guidance` is not used: Qwen-Image has
no guidance embedding. The template's CFGNorm patch is left out (not tested here).

""" + files_note("Qwen-Image-Edit", QWEN_EDIT_MODELS)

WAN_NOTE = """## RF-Inversion on a video: Wan 2.1 text-to-video 1.3B
Invert a short clip into noise and re-generate it with an edit prompt
(ComfyUI 0.16.3 or newer: Load Video, Get Video Components).

**What to change**
1. *Source clip*: upload your clip in **Load Video**. The 1.3B model is made for
   832x480; keep the sides divisible by 16.
2. *First frames*: **length** (33 here: about 2 s of a 16 fps clip). Use 4n + 1
   frames: the Wan VAE encodes 1 + 4k frames and drops the rest. More frames cost
   more memory and time.
3. *Edit prompt*: describe the whole edited clip; *Negative prompt*.
4. Identity vs. edit strength: **stop_step** and **eta** on the edit node.

The edit is saved as WebM at the clip's frame rate; the audio is not kept.

**Settings** (kept here). From ComfyUI's Wan 2.1 text-to-video template: shift 8
(ModelSamplingSD3), 30 steps, cfg 6 with a negative prompt; RF-Inversion samples with
its own solver (order euler, the paper's), not the template's uni_pc. From the paper:
gamma 0.5, the empty source prompt (RFInvert runs at cfg 1). eta 0.9 on steps [0, 8):
about the quarter of the steps that *rf_inversion_edit* guides (7 of 28), not tuned for
Wan. Cost: 30 model evaluations to invert, 60 to edit (the prompt and the negative at
each step).

""" + files_note("Wan 2.1 T2V 1.3B", WAN_T2V_MODELS)


def qwen_image_edit():
    result, result_links, result_group = image_result(1560, "rf_inversion/qwen_edit")
    nodes = single_loaders(QWEN_EDIT_MODELS, "qwen_image") + [
        note(QWEN_EDIT_NOTE, (-500, 0), (440, 640)),
        dict(key="shift", type="ModelSamplingAuraFlow", pos=[0, 400], widgets={"shift": 3.0}),
        dict(key="image", type="LoadImage", pos=[0, 520], size=[320, 400], title="Source image",
             widgets={"image": SOURCE_IMAGE}),
        dict(key="encode", type="VAEEncode", pos=[400, 0]),
        dict(key="src_prompt", type="TextEncodeQwenImageEdit", pos=[400, 110], size=[380, 160],
             title="Source prompt = negative (keep empty)", widgets={"prompt": ""}),
        dict(key="edit_prompt", type="TextEncodeQwenImageEdit", pos=[400, 330], size=[380, 180],
             title="Edit prompt", widgets={"prompt": "make her dress red and give her a straw hat"}),
        dict(key="src_ref", type="ReferenceLatent", pos=[840, 110], size=[260, 70], title="Source image condition"),
        dict(key="edit_ref", type="ReferenceLatent", pos=[840, 330], size=[260, 70],
             title="Edit: same image condition"),
        *rf_nodes(1160, steps=20, stop_step=5, guidance=0.0, cfg=2.5),
        *result,
    ]
    links = [
        ("unet", "MODEL", "shift", "model"),
        ("vae", "VAE", "encode", "vae"), ("image", "IMAGE", "encode", "pixels"),
        ("clip", "CLIP", "src_prompt", "clip"), ("image", "IMAGE", "src_prompt", "image"),
        ("clip", "CLIP", "edit_prompt", "clip"), ("image", "IMAGE", "edit_prompt", "image"),
        ("src_prompt", "CONDITIONING", "src_ref", "conditioning"), ("encode", "LATENT", "src_ref", "latent"),
        ("edit_prompt", "CONDITIONING", "edit_ref", "conditioning"), ("encode", "LATENT", "edit_ref", "latent"),
        *rf_links("shift", "src_ref", "edit_ref", negative="src_ref"),
        *result_links,
    ]
    groups = [
        ("Qwen-Image-Edit + source image", ["unet", "clip", "vae", "shift", "image"], "#3f3f3f"),
        ("The image condition (both directions)", ["encode", "src_prompt", "edit_prompt", "src_ref", "edit_ref"],
         "#353"),
        ("RF-Inversion", ["invert", "edit"], "#335"),
        result_group,
    ]
    return {"nodes": nodes, "links": links, "groups": groups}


WAN_NEGATIVE = ("static picture, blurry details, subtitles, overexposed, low quality, JPEG artefacts, deformed "
                "body, extra fingers, badly drawn hands and face, cluttered background")


def wan_video_edit():
    nodes = single_loaders(WAN_T2V_MODELS, "wan") + [
        note(WAN_NOTE, (-500, 0), (440, 640)),
        dict(key="shift", type="ModelSamplingSD3", pos=[0, 400], widgets={"shift": 8.0}),
        dict(key="video", type="LoadVideo", pos=[0, 520], size=[320, 400], title="Source clip",
             widgets={"file": SOURCE_VIDEO}),
        dict(key="parts", type="GetVideoComponents", pos=[400, 0], size=[240, 120]),
        dict(key="frames", type="ImageFromBatch", pos=[400, 170], size=[240, 80], title="First frames (4n + 1)",
             widgets={"batch_index": 0, "length": 33}),
        dict(key="encode", type="VAEEncode", pos=[400, 310], size=[240, 50]),
        dict(key="src_prompt", type="CLIPTextEncode", pos=[700, 0], size=[380, 140],
             title="Source prompt (keep empty)", widgets={"text": ""}),
        dict(key="edit_prompt", type="CLIPTextEncode", pos=[700, 200], size=[380, 160], title="Edit prompt",
             widgets={"text": "a video of the same street at night in heavy snow, warm street lights, "
                              "tracking camera"}),
        dict(key="neg_prompt", type="CLIPTextEncode", pos=[700, 420], size=[380, 160], title="Negative prompt",
             widgets={"text": WAN_NEGATIVE}),
        *rf_nodes(1160, steps=30, stop_step=8, guidance=0.0, cfg=6.0),
        dict(key="decode", type="VAEDecode", pos=[1560, 0]),
        dict(key="save", type="SaveWEBM", pos=[1560, 110], size=[420, 480], title="Edited clip",
             widgets={"filename_prefix": "rf_inversion/wan_edit", "codec": "vp9", "crf": 32.0}),
    ]
    links = [
        ("unet", "MODEL", "shift", "model"),
        ("video", "VIDEO", "parts", "video"), ("parts", "images", "frames", "image"),
        ("frames", "IMAGE", "encode", "pixels"), ("vae", "VAE", "encode", "vae"),
        ("clip", "CLIP", "src_prompt", "clip"), ("clip", "CLIP", "edit_prompt", "clip"),
        ("clip", "CLIP", "neg_prompt", "clip"),
        *rf_links("shift", "src_prompt", "edit_prompt", negative="neg_prompt"),
        ("decode", "IMAGE", "save", "images"), ("parts", "fps", "save", "fps"),
    ]
    groups = [
        ("Wan 2.1 T2V 1.3B + source clip", ["unet", "clip", "vae", "shift", "video"], "#3f3f3f"),
        ("Frames and prompts", ["parts", "frames", "encode", "src_prompt", "edit_prompt", "neg_prompt"], "#353"),
        ("RF-Inversion", ["invert", "edit"], "#335"),
        ("Result", ["decode", "save"], "#3f3f3f"),
    ]
    return {"nodes": nodes, "links": links, "groups": groups}


WORKFLOWS = {
    "qwen_image_edit": qwen_image_edit,
    "wan_video_edit": wan_video_edit,
}
