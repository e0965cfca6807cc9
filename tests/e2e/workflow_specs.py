"""Source of the shipped workflows/*.json: graphs as data, turned into UI-format JSON
by ``build_workflows.py`` inside the real frontend (so widget layout, seed
controls and link records are exactly what ComfyUI's editor itself writes).

A spec is {"nodes": [...], "links": [...], "groups": [...]}:
  node:  dict(key, type, pos, widgets={input name: value}, title, size, color, models)
  link:  (from key, output name or index, to key, input name)
  group: (title, [node keys], color)
"""

FLUX_MODELS = {
    "unet": [{"name": "flux1-dev.safetensors", "directory": "diffusion_models",
              "url": "https://huggingface.co/Comfy-Org/flux1-dev/resolve/main/flux1-dev.safetensors"}],
    "clip": [{"name": "clip_l.safetensors", "directory": "text_encoders",
              "url": "https://huggingface.co/comfyanonymous/flux_text_encoders/resolve/main/clip_l.safetensors"},
             {"name": "t5xxl_fp16.safetensors", "directory": "text_encoders",
              "url": "https://huggingface.co/comfyanonymous/flux_text_encoders/resolve/main/t5xxl_fp16.safetensors"}],
    "vae": [{"name": "ae.safetensors", "directory": "vae",
             "url": "https://huggingface.co/Comfy-Org/Lumina_Image_2.0_Repackaged/resolve/main/split_files/vae/ae.safetensors"}],
}

MODEL_FILES_NOTE = """**Model files** (Flux.1-dev; paths relative to your ComfyUI folder)
- `models/diffusion_models/flux1-dev.safetensors`
- `models/text_encoders/clip_l.safetensors`, `models/text_encoders/t5xxl_fp16.safetensors`
- `models/vae/ae.safetensors`
"""

LOADER_COLOR = ("#322", "#533")
RF_COLOR = ("#223", "#335")
NOTE_COLOR = ("#432", "#653")

SOURCE_IMAGE = "example.png"  # ships with ComfyUI in input/


def flux_loaders(x=0, y=0):
    return [
        dict(key="unet", type="UNETLoader", pos=[x, y], color=LOADER_COLOR, models=FLUX_MODELS["unet"],
             widgets={"unet_name": "flux1-dev.safetensors", "weight_dtype": "default"}),
        dict(key="clip", type="DualCLIPLoader", pos=[x, y + 130], color=LOADER_COLOR, models=FLUX_MODELS["clip"],
             widgets={"clip_name1": "clip_l.safetensors", "clip_name2": "t5xxl_fp16.safetensors", "type": "flux"}),
        dict(key="vae", type="VAELoader", pos=[x, y + 310], color=LOADER_COLOR, models=FLUX_MODELS["vae"],
             widgets={"vae_name": "ae.safetensors"}),
    ]


def note(text, pos, size=(440, 620)):
    return dict(key="note", type="MarkdownNote", pos=list(pos), size=list(size), color=NOTE_COLOR,
                title="Read me: what to change", widgets={"text": text})


def rf_nodes(x, steps, stop_step, guidance, start_step=0, eta=0.9, order="euler", cfg=None):
    """RFInvert (key "invert") above RFControlledSampler (key "edit"): the paper's gamma 0.5, inversion at
    guidance 0, an ODE edit with a constant eta; cfg (with a negative prompt) where the family samples with CFG."""
    edit = {"steps": steps, "start_step": start_step, "stop_step": stop_step, "eta": eta, "eta_schedule": "constant",
            "guidance": guidance, "mode": "ode", "seed": 0, "order": order}
    if cfg is not None:
        edit["cfg"] = cfg
    return [
        dict(key="invert", type="RFInvert", pos=[x, 0], color=RF_COLOR, title="RF-Inversion: invert (Eq. 8)",
             widgets={"steps": steps, "gamma": 0.5, "seed": 0, "guidance": 0.0, "start_step": start_step,
                      "order": order}),
        dict(key="edit", type="RFControlledSampler", pos=[x, 440], color=RF_COLOR,
             title="RF-Inversion: controlled edit (Eq. 15)", widgets=edit),
    ]


def rf_links(model, source_cond, edit_cond, negative=None, vae="vae"):
    """The pair's wiring: one model; the source latent (key "encode") inverted and the edit's reference; the
    edit decoded (key "decode") with the VAE (key vae; None: no VAE, the caller shows the edit)."""
    links = [
        (model, "MODEL", "invert", "model"), (model, "MODEL", "edit", "model"),
        (source_cond, "CONDITIONING", "invert", "conditioning"), ("encode", "LATENT", "invert", "latent"),
        (edit_cond, "CONDITIONING", "edit", "conditioning"),
        ("invert", "LATENT", "edit", "inverted"), ("encode", "LATENT", "edit", "reference"),
    ]
    if vae is not None:
        links += [("edit", "LATENT", "decode", "samples"), (vae, "VAE", "decode", "vae")]
    if negative is not None:
        links.append((negative, "CONDITIONING", "edit", "negative"))
    return links


def image_result(x, prefix):
    """Decode (key "decode"), save, and show the source image (key "image") and the edit side by side."""
    nodes = [
        dict(key="decode", type="VAEDecode", pos=[x, 0]),
        dict(key="save", type="SaveImage", pos=[x, 110], size=[400, 440], title="Edited image",
             widgets={"filename_prefix": prefix}),
        dict(key="stitch", type="ImageStitch", pos=[x + 460, 0],
             widgets={"direction": "right", "match_image_size": True, "spacing_width": 0}),
        dict(key="compare", type="PreviewImage", pos=[x + 460, 230], size=[600, 380], title="Source | Edit"),
    ]
    links = [
        ("decode", "IMAGE", "save", "images"),
        ("image", "IMAGE", "stitch", "image1"), ("decode", "IMAGE", "stitch", "image2"),
        ("stitch", "IMAGE", "compare", "images"),
    ]
    return nodes, links, ("Result", ["decode", "save", "stitch", "compare"], "#3f3f3f")


def _edit_graph(note_text, edit_prompt, start_step, stop_step, eta, with_mask, prefix, steps=28, order="euler",
                note_size=(440, 620)):
    """LoadImage -> VAEEncode -> RFInvert (empty prompt, guidance 0) -> RFControlledSampler -> decode."""
    result, result_links, result_group = image_result(1300, prefix)
    nodes = flux_loaders() + [
        note(note_text, (-500, 0), note_size),
        dict(key="image", type="LoadImage", pos=[0, 430], size=[320, 400],
             title="Source image" + (" (paint the mask here)" if with_mask else ""),
             widgets={"image": SOURCE_IMAGE}),
        dict(key="src_prompt", type="CLIPTextEncode", pos=[400, 0], size=[380, 160],
             title="Source prompt (keep empty)", widgets={"text": ""}),
        dict(key="edit_prompt", type="CLIPTextEncode", pos=[400, 220], size=[380, 180],
             title="Edit prompt", widgets={"text": edit_prompt}),
        dict(key="encode", type="VAEEncode", pos=[400, 470]),
        *rf_nodes(860, steps, stop_step, 3.5, start_step=start_step, eta=eta, order=order),
        *result,
    ]
    links = [
        ("clip", "CLIP", "src_prompt", "clip"), ("clip", "CLIP", "edit_prompt", "clip"),
        ("vae", "VAE", "encode", "vae"), ("image", "IMAGE", "encode", "pixels"),
        *rf_links("unet", "src_prompt", "edit_prompt"),
        *result_links,
    ]
    if with_mask:
        links.append(("image", "MASK", "edit", "mask"))
    groups = [
        ("Flux-dev + source image", ["unet", "clip", "vae", "image"], "#3f3f3f"),
        ("RF-Inversion", ["src_prompt", "edit_prompt", "encode", "invert", "edit"], "#335"),
        result_group,
    ]
    return {"nodes": nodes, "links": links, "groups": groups}


EDIT_NOTE = """## RF-Inversion: edit a real image
Rout et al., ICLR 2025, semantic editing with Flux-dev.

**What to change**
1. *Source image*: pick your photo (sides divisible by 16, about 1 megapixel).
2. *Edit prompt*: describe the image you want (e.g. "a photo of a girl wearing a red dress").
3. Identity vs. edit strength: raise **stop_step** (more steps guided towards the source) or
   **eta** to stay closer to the source; lower them for stronger edits.

**Settings** (kept here). From the paper (Rout et al.): the empty source prompt, inversion
at guidance 0, gamma 0.5, 28 steps, edit at guidance 3.5. eta 0.9 on steps [0, 7)
(start_step 0, stop_step 7) is NOT a row of the paper's table (none stops at step 7): it is
the example in the README of the diffusers community pipeline. The paper's own rows, e.g.
stylization (stop_step 6, eta 0.9) or object insert (stop_step 6, eta 1.0), are in the
pack's README.

""" + MODEL_FILES_NOTE

STROKE_NOTE = """## RF-Inversion: stroke-to-image
Turn a rough colour-stroke painting into a realistic image (paper, Sec. 5.1).

**What to change**
1. *Source image*: your stroke painting (ComfyUI's `example.png` is one).
2. *Edit prompt*: what the painting shows, written as a photo caption.
3. Faithfulness to the strokes vs. realism: a later **start_step** or a larger
   **stop_step**/**eta** follows the strokes more closely.

**Paper setting** (kept here): the paper's stroke-to-image row (Rout et al.): start at
step 3, guide towards the strokes until step 5 (start_step 3, stop_step 5), eta 0.9; with
the paper's gamma 0.5, 28 steps, inversion at guidance 0 with the empty prompt, edit at
guidance 3.5.

""" + MODEL_FILES_NOTE

REGIONAL_NOTE = """## RF-Inversion: regional edit
The same edit as *rf_inversion_edit*, applied only inside a mask.

**What to change**
1. *Source image*: right-click it, **Open in MaskEditor**, paint the region to edit, save.
   The painted mask (the image's alpha) drives the sampler's `mask` input; outside it
   the result follows the source.
2. *Edit prompt*: what the masked region should become.

**Settings** (kept here): those of *rf_inversion_edit*. From the paper (Rout et al.): the
empty source prompt, inversion at guidance 0, gamma 0.5, 28 steps, guidance 3.5. eta 0.9
on steps [0, 7) is the diffusers community pipeline's README example, not a row of the
paper's table (none stops at step 7).

""" + MODEL_FILES_NOTE

FAST_NOTE = """## RF-Inversion: fast edit (order fireflow, 10 + 10 steps)
The edit of *rf_inversion_edit* at 22 model evaluations instead of 56.

**What to change**: the *Source image* and the *Edit prompt*, and identity vs. edit
strength with **stop_step** (of 10) and **eta**, as in *rf_inversion_edit*. Keep
**order** and **steps** the same on both RF nodes.

**Settings** (kept here): order fireflow on both nodes, 10 steps, eta 0.9 on steps
[0, 3) (stop_step 3); gamma 0.5, the empty source prompt at guidance 0, the edit at
guidance 3.5 (the paper's). fireflow takes N + 1 model evaluations for N steps:
11 + 11 = 22, against 28 + 28 = 56 for euler at 28 steps; on the CPU (a tiny Flux,
docs/benchmarks.md section 2) the edit took 0.39 of the euler edit's time. stop_step 3
of 10 is the window where this edit matches euler's at 7 of 28 on the exact-model study
(docs/benchmarks.md, section 1: layout, edit strength and P(edit) within 0.05, background
within 0.1; stop 2 missed). Its reconstruction (gamma = eta = 0) is about ten times more
accurate there (relative error 0.014 against 0.143).

**When to use euler 28 instead** (*rf_inversion_edit*): strong edits that must keep the
composition. At the highest edit strengths fireflow 10 + 10 keeps 0.08 to 0.10 less of
the layout (at edit strength 0.95: 0.54 against euler's 0.63), and it does better
nowhere on that frontier (exact-model study, docs/benchmarks.md).

""" + MODEL_FILES_NOTE

STOCHASTIC_NOTE = """## Stochastic Flux sampling (text-to-image)
Sample Flux with the rectified SDE (paper, Eq. 17) instead of the ODE, through the
standard `SamplerCustomAdvanced`.

**What to change**
- *Prompt*, *seed* (RandomNoise), *width/height* (EmptySD3LatentImage).
- **noise_scale**: 0 is the deterministic ODE (plain Euler); 1 is the full SDE.

**Setting**: 28 steps (BasicScheduler, simple), guidance 3.5 (FluxGuidance), noise_scale 1.0.

""" + MODEL_FILES_NOTE

POWER_NOTE = """## RF-Inversion with SAMPLER nodes (power users)
The same edit as *rf_inversion_edit*, built from `SamplerCustomAdvanced` so you can
swap guiders, schedulers and noise.

**What to change**: the source image, the edit prompt, and the same knobs as in
*rf_inversion_edit* (stop_step, eta on the edit sampler; gamma on the invert sampler).

**Settings** (kept here; those of *rf_inversion_edit*: the paper's, but for the eta window):
1. **Invert**: the model's sigmas flipped to rise from 0 to 1 (`RFFlipSigmas`, exact,
   unlike core FlipSigmas), DisableNoise, empty prompt at FluxGuidance 0, `RFInvertSampler`
   (gamma 0.5), latent = the source.
2. **Edit**: BasicScheduler's sigmas, DisableNoise, edit prompt at FluxGuidance 3.5,
   `RFControlledSamplerSampler` fed the inverted latent (eta 0.9, steps [0, 7): the
   diffusers community pipeline's README example), latent = the source (reference).

Keep both SamplerCustomAdvanced on the same BasicScheduler (28 steps).

""" + MODEL_FILES_NOTE


LADDER_NOTE = """## RF-Inversion: edit ladder
Find the edit strength for YOUR image in one run: the ladder makes the edit at 4
settings at once and shows each picture with its setting under it.

**What to change**
1. *Source image* and *Edit prompt*, as in *rf_inversion_edit*.
2. On the ladder: **sweep** stop_step (rungs from stop_step 2 up to 7) or eta (from
   eta / rungs up to eta), and **rungs** (2 to 8). Run.
3. Pick the rung you like in *Ladder: every rung with its setting*, copy its setting
   (e.g. stop_step 4) into *Your edit* below, and run again: the inversion and the
   ladder are cached, so only *Your edit* runs (28 model evaluations).

**Settings** (kept here): the paper's 28 steps, gamma 0.5, the empty source prompt at
guidance 0 and the edit at guidance 3.5 (Rout et al.); eta 0.9 up to stop_step 7 is the
diffusers community pipeline's README example. The ladder costs the model evaluations of
one edit (28) however many rungs it has; its memory grows with the rungs.

""" + MODEL_FILES_NOTE


def rf_inversion_ladder():
    """The edit graph plus an RFEditLadder on the same inversion, its labelled grid and labels on display."""
    graph = _edit_graph(LADDER_NOTE, "a photo of a girl with blonde hair wearing a red dress, standing on a green hill",
                        0, 7, 0.9, False, "rf_inversion/ladder_choice", note_size=(440, 660))
    edit = next(n for n in graph["nodes"] if n["key"] == "edit")
    edit.update(title="Your edit: copy a rung's setting here", size=[360, 0])
    ladder = dict(key="ladder", type="RFEditLadder", pos=[1300, -820], size=[380, 0], color=RF_COLOR,
                  title="RF-Inversion: edit ladder", widgets={**edit["widgets"], "sweep": "stop_step", "rungs": 4})
    graph["nodes"] += [
        ladder,
        dict(key="grid", type="PreviewImage", pos=[1760, -820], size=[720, 420],
             title="Ladder: every rung with its setting"),
        dict(key="labels", type="PreviewAny", pos=[1760, -340], size=[320, 140], title="Ladder settings"),
    ]
    graph["links"] += [
        ("unet", "MODEL", "ladder", "model"), ("edit_prompt", "CONDITIONING", "ladder", "conditioning"),
        ("invert", "LATENT", "ladder", "inverted"), ("encode", "LATENT", "ladder", "reference"),
        ("vae", "VAE", "ladder", "vae"), ("ladder", 1, "grid", "images"), ("ladder", 2, "labels", "source"),
    ]
    graph["groups"].append(("Edit ladder: pick a rung", ["ladder", "grid", "labels"], "#353"))
    return graph


def rf_inversion_edit():
    return _edit_graph(EDIT_NOTE, "a photo of a girl with blonde hair wearing a red dress, standing on a green hill",
                       0, 7, 0.9, False, "rf_inversion/edit")


def rf_inversion_edit_fast():
    return _edit_graph(FAST_NOTE, "a photo of a girl with blonde hair wearing a red dress, standing on a green hill",
                       0, 3, 0.9, False, "rf_inversion/edit_fast", steps=10, order="fireflow",
                       note_size=(440, 600))


def stroke_to_image():
    return _edit_graph(STROKE_NOTE,
                       "a photo of a young woman with blonde hair in a pink dress standing on a grassy hill "
                       "under a blue sky with white clouds, photorealistic",
                       3, 5, 0.9, False, "rf_inversion/stroke2image")


def regional_edit():
    return _edit_graph(REGIONAL_NOTE, "a photo of a girl wearing a red leather jacket",
                       0, 7, 0.9, True, "rf_inversion/regional")


def stochastic_sampling():
    nodes = flux_loaders() + [
        note(STOCHASTIC_NOTE, (-500, 0), (440, 520)),
        dict(key="prompt", type="CLIPTextEncode", pos=[400, 0], size=[380, 180], title="Prompt",
             widgets={"text": "a photo of a red fox sitting in a snowy forest at dawn"}),
        dict(key="guidance", type="FluxGuidance", pos=[400, 240], widgets={"guidance": 3.5}),
        dict(key="guider", type="BasicGuider", pos=[400, 360]),
        dict(key="noise", type="RandomNoise", pos=[400, 460], widgets={"noise_seed": 0}),
        dict(key="sampler", type="StochasticFluxSampler", pos=[400, 600], color=RF_COLOR,
             widgets={"noise_scale": 1.0}),
        dict(key="sched", type="BasicScheduler", pos=[400, 700],
             widgets={"scheduler": "simple", "steps": 28, "denoise": 1.0}),
        dict(key="latent", type="EmptySD3LatentImage", pos=[0, 430],
             widgets={"width": 1024, "height": 1024, "batch_size": 1}),
        dict(key="sca", type="SamplerCustomAdvanced", pos=[860, 0], size=[300, 330]),
        dict(key="decode", type="VAEDecode", pos=[1220, 0]),
        dict(key="save", type="SaveImage", pos=[1220, 110], size=[420, 460],
             widgets={"filename_prefix": "rf_inversion/stochastic"}),
    ]
    links = [
        ("clip", "CLIP", "prompt", "clip"), ("prompt", "CONDITIONING", "guidance", "conditioning"),
        ("unet", "MODEL", "guider", "model"), ("guidance", "CONDITIONING", "guider", "conditioning"),
        ("unet", "MODEL", "sched", "model"),
        ("noise", "NOISE", "sca", "noise"), ("guider", "GUIDER", "sca", "guider"),
        ("sampler", "SAMPLER", "sca", "sampler"), ("sched", "SIGMAS", "sca", "sigmas"),
        ("latent", "LATENT", "sca", "latent_image"),
        ("sca", 0, "decode", "samples"), ("vae", "VAE", "decode", "vae"),
        ("decode", "IMAGE", "save", "images"),
    ]
    groups = [("Flux-dev", ["unet", "clip", "vae", "latent"], "#3f3f3f"),
              ("Stochastic sampling (Eq. 17)", ["prompt", "guidance", "guider", "noise", "sampler", "sched", "sca"], "#335")]
    return {"nodes": nodes, "links": links, "groups": groups}


def power_user():
    nodes = flux_loaders() + [
        note(POWER_NOTE, (-500, 0), (440, 640)),
        dict(key="image", type="LoadImage", pos=[0, 430], size=[320, 400], title="Source image",
             widgets={"image": SOURCE_IMAGE}),
        dict(key="encode", type="VAEEncode", pos=[0, 880]),
        dict(key="sched", type="BasicScheduler", pos=[400, 0],
             widgets={"scheduler": "simple", "steps": 28, "denoise": 1.0}),
        dict(key="flip", type="RFFlipSigmas", pos=[400, 175], color=RF_COLOR),
        dict(key="no_noise", type="DisableNoise", pos=[400, 275]),
        # inversion
        dict(key="src_prompt", type="CLIPTextEncode", pos=[400, 375], size=[340, 120],
             title="Source prompt (keep empty)", widgets={"text": ""}),
        dict(key="src_guidance", type="FluxGuidance", pos=[400, 560], widgets={"guidance": 0.0}),
        dict(key="src_guider", type="BasicGuider", pos=[400, 680]),
        dict(key="inv_sampler", type="RFInvertSampler", pos=[400, 800], color=RF_COLOR,
             widgets={"gamma": 0.5, "seed": 0}),
        dict(key="inv_sca", type="SamplerCustomAdvanced", pos=[820, 375], size=[300, 330],
             title="Invert (sigmas 0 -> 1)"),
        # edit
        dict(key="edit_prompt", type="CLIPTextEncode", pos=[1200, 0], size=[360, 150], title="Edit prompt",
             widgets={"text": "a photo of a girl with blonde hair wearing a red dress, standing on a green hill"}),
        dict(key="edit_guidance", type="FluxGuidance", pos=[1200, 230], widgets={"guidance": 3.5}),
        dict(key="edit_guider", type="BasicGuider", pos=[1200, 350]),
        dict(key="edit_sampler", type="RFControlledSamplerSampler", pos=[1200, 470], color=RF_COLOR,
             widgets={"start_step": 0, "stop_step": 7, "eta": 0.9, "eta_schedule": "constant",
                      "mode": "ode", "seed": 0}),
        dict(key="edit_sca", type="SamplerCustomAdvanced", pos=[1620, 0], size=[300, 330],
             title="Edit (controlled reverse)"),
        dict(key="decode", type="VAEDecode", pos=[1980, 0]),
        dict(key="save", type="SaveImage", pos=[1980, 110], size=[400, 440], title="Edited image",
             widgets={"filename_prefix": "rf_inversion/power_user"}),
    ]
    links = [
        ("vae", "VAE", "encode", "vae"), ("image", "IMAGE", "encode", "pixels"),
        ("unet", "MODEL", "sched", "model"), ("sched", "SIGMAS", "flip", "sigmas"),
        ("clip", "CLIP", "src_prompt", "clip"), ("src_prompt", "CONDITIONING", "src_guidance", "conditioning"),
        ("unet", "MODEL", "src_guider", "model"), ("src_guidance", "CONDITIONING", "src_guider", "conditioning"),
        ("no_noise", "NOISE", "inv_sca", "noise"), ("src_guider", "GUIDER", "inv_sca", "guider"),
        ("inv_sampler", "SAMPLER", "inv_sca", "sampler"), ("flip", "SIGMAS", "inv_sca", "sigmas"),
        ("encode", "LATENT", "inv_sca", "latent_image"),
        ("clip", "CLIP", "edit_prompt", "clip"), ("edit_prompt", "CONDITIONING", "edit_guidance", "conditioning"),
        ("unet", "MODEL", "edit_guider", "model"), ("edit_guidance", "CONDITIONING", "edit_guider", "conditioning"),
        ("inv_sca", 0, "edit_sampler", "inverted"),
        ("no_noise", "NOISE", "edit_sca", "noise"), ("edit_guider", "GUIDER", "edit_sca", "guider"),
        ("edit_sampler", "SAMPLER", "edit_sca", "sampler"), ("sched", "SIGMAS", "edit_sca", "sigmas"),
        ("encode", "LATENT", "edit_sca", "latent_image"),
        ("edit_sca", 0, "decode", "samples"), ("vae", "VAE", "decode", "vae"),
        ("decode", "IMAGE", "save", "images"),
    ]
    groups = [("Flux-dev + source", ["unet", "clip", "vae", "image", "encode"], "#3f3f3f"),
              ("Invert: RFInvertSampler", ["sched", "flip", "no_noise", "src_prompt", "src_guidance",
                                           "src_guider", "inv_sampler", "inv_sca"], "#335"),
              ("Edit: RFControlledSamplerSampler", ["edit_prompt", "edit_guidance", "edit_guider",
                                                    "edit_sampler", "edit_sca"], "#353")]
    return {"nodes": nodes, "links": links, "groups": groups}


DEMO_NOTE = """## RF-Inversion demo: no download, seconds on the CPU
A toy world of 32 x 32 scenes and a small model trained on it ship with
the pack. The source scene (left) is inverted into noise, then drawn
again from that noise with the edit caption (right). Press **Run**.

**What to change**
1. *Source scene*: any caption in the demo's words, e.g. "a green striped
   square at left and a yellow solid triangle at right on a striped pink
   background" (colours red, green, blue, yellow; shapes circle, square,
   triangle; backgrounds white, gray, pink). Or your own picture: add a
   Load Image node and connect it to *Image to Latent* instead.
2. *Edit caption*: the source caption with one thing changed: a colour,
   a shape, solid or striped, the background, an object added or removed.
3. **stop_step** and **eta** (edit node): for how many of the 28 steps,
   and how hard, the edit is pulled back to the source. No caption says
   where exactly the circle sits or how bright the background is: the
   pull keeps those. With eta 0.9, stop_step 14 turns the circle blue in
   its place; at stop_step 7 it turns blue but drifts a pixel or two; at
   stop_step 27 it stays red. eta 1 with stop_step 28 gives the source
   back exactly.
4. **gamma** (invert node, 0 to 1): how far the inversion is steered to
   the seed's plain noise. This edit looks the same with gamma 0, 0.5 or
   1. To see what it does, empty the *Edit caption* and set cfg 1 and
   eta 0, so that the edit only redraws the inverted noise: gamma 0
   draws the source again (nearly: 28 steps do not invert exactly), and
   the higher gamma, the more the seed's noise draws a new scene instead.

**Settings** (kept here): 28 steps, gamma 0.5, eta 0.9 on steps [0, 14)
(twice the 7 of *rf_inversion_edit*: at 7 the circle drifts); the empty
caption for the inversion and as the negative, cfg 3 (the demo model has
no guidance embedding, so guidance does nothing here). No model files:
the weights are in the pack's toyworld/ folder.
"""


def scene_demo():
    """RFDemoScene -> RFDemoImageToLatent -> RFInvert (empty caption) -> RFControlledSampler (edit caption, cfg 3,
    the empty caption as negative) -> RFDemoLatentToImage of source and edit -> ImageStitch -> PreviewImage."""
    source = "a red solid circle at left on a plain white background"
    nodes = [
        note(DEMO_NOTE, (-520, 0), (460, 600)),
        dict(key="model", type="RFDemoSceneModel", pos=[0, 0], color=LOADER_COLOR),
        dict(key="scene", type="RFDemoScene", pos=[0, 110], size=[340, 150], title="Source scene",
             widgets={"caption": source}),
        dict(key="encode", type="RFDemoImageToLatent", pos=[0, 320]),
        dict(key="src_caption", type="RFDemoCaption", pos=[400, 0], size=[380, 120],
             title="Source caption (keep empty)", widgets={"caption": ""}),
        dict(key="edit_caption", type="RFDemoCaption", pos=[400, 180], size=[380, 150], title="Edit caption",
             widgets={"caption": source.replace("red", "blue")}),
        *rf_nodes(860, 28, 14, 0.0, cfg=3.0),
        dict(key="show_source", type="RFDemoLatentToImage", pos=[1300, 0], title="Source image",
             widgets={"scale": 8}),
        dict(key="show_edit", type="RFDemoLatentToImage", pos=[1300, 160], title="Edited image",
             widgets={"scale": 8}),
        dict(key="stitch", type="ImageStitch", pos=[1300, 320],
             widgets={"direction": "right", "match_image_size": True, "spacing_width": 0}),
        dict(key="compare", type="PreviewImage", pos=[1640, 0], size=[560, 340], title="Source | Edit"),
    ]
    links = [
        ("scene", "IMAGE", "encode", "image"),
        *rf_links("model", "src_caption", "edit_caption", negative="src_caption", vae=None),
        ("encode", "LATENT", "show_source", "samples"), ("edit", "LATENT", "show_edit", "samples"),
        ("show_source", "IMAGE", "stitch", "image1"), ("show_edit", "IMAGE", "stitch", "image2"),
        ("stitch", "IMAGE", "compare", "images"),
    ]
    groups = [("Demo scene and model", ["model", "scene", "encode"], "#3f3f3f"),
              ("RF-Inversion", ["src_caption", "edit_caption", "invert", "edit"], "#335"),
              ("Result", ["show_source", "show_edit", "stitch", "compare"], "#3f3f3f")]
    return {"nodes": nodes, "links": links, "groups": groups}


WORKFLOWS = {
    "rf_inversion_edit": rf_inversion_edit,
    "rf_inversion_ladder": rf_inversion_ladder,
    "rf_inversion_edit_fast": rf_inversion_edit_fast,
    "stroke_to_image": stroke_to_image,
    "regional_edit": regional_edit,
    "stochastic_sampling": stochastic_sampling,
    "power_user": power_user,
    "scene_demo": scene_demo,
}
