"""The toy-world benchmark: the pack's edit options run through ComfyUI's executor and the pack's nodes (RFInvert ->
RFControlledSampler, the path users take) on a fresh set of edits with exact answers, scored per option and edit
kind: gt_psnr (edit against the true target), bg_psnr (outside the edit's region, against the source), success
(the reader sees exactly the target scene), unchanged (it still sees the source), rec_psnr (the same solver's
gamma = eta = 0 round trip) and nfe (network passes per edit, cfg's unconditional pass included)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
for _path in (str(ROOT), str(ROOT / "tests" / "support")):
    if _path not in sys.path:  # run as a script; under the tests the order stays (ComfyUI's nodes.py first)
        sys.path.insert(0, _path)

import comfy_harness  # noqa: E402
from toyworld import edits, reader, world  # noqa: E402

METRICS = ("gt_psnr", "bg_psnr", "success", "unchanged", "rec_psnr", "nfe", "trace_kib")


@dataclasses.dataclass(frozen=True)
class Option:
    """One setting of the edit (28-step grid unless said); rows: the paper's per-task row for each edit kind;
    shift: ModelSamplingSD3's shift on the model (None: the model's own, 1); source_prompt: invert with the source
    caption instead of the empty one."""

    steps: int = 28
    order: str = "euler"
    gamma: float = 0.5
    eta: float = 0.9
    start_step: int = 0
    stop_step: int = 7
    mode: str = "ode"
    cfg: float = 3.0
    region_mask: bool = False
    rows: bool = False
    shift: float | None = None
    source_prompt: bool = False
    # beyond the paper (issue 17): the edit's align (RFInvert keeps its trace when it is on), gamma's window and
    # schedule, eta's schedule, and FlowEdit in place of RF-Inversion (its cfg: cfg for the target, source_cfg)
    align: bool = False
    gamma_start: int = 0
    gamma_stop: int = 10000
    gamma_schedule: str = "constant"
    eta_schedule: str = "constant"
    flowedit: bool = False
    n_max: int = 24
    n_min: int = 0
    source_cfg: float = 1.0

    @property
    def levers(self) -> dict:
        return dict(align=self.align)


# The paper's per-task rows (start_step, stop_step, eta at 28 steps), mapped by us to the edit kinds they fit best:
# attribute changes of a subject (age, gender) for colour and shape, stylization for texture and background,
# object insertion for adding and (its inverse) removing an object.
PAPER_ROWS = {"colour": ("age", 0, 5, 1.0), "shape": ("gender", 0, 8, 1.0), "texture": ("stylization", 0, 6, 0.9),
              "background": ("stylization", 0, 6, 0.9), "add": ("object insert", 0, 6, 1.0),
              "remove": ("object insert", 0, 6, 1.0)}

OPTIONS = {
    "paper": Option(),
    "paper_rows": Option(rows=True),
    "fireflow_10_stop3": Option(steps=10, order="fireflow", stop_step=3),
    "euler_11_stop3": Option(steps=11, stop_step=3),
    "midpoint_14_stop3": Option(steps=14, order="midpoint", stop_step=3),
    "sde": Option(mode="sde"),
    "region_mask": Option(region_mask=True),
}


def beyond_options() -> dict:
    """Issue 17's options the nodes offer: align, gamma's window and schedule, eta's decrease, and FlowEdit at its
    own settings (docs/benchmarks.md section 6 keeps the numbers of those no longer offered)."""
    out = {"align": Option(align=True),
           "gamma_first_half": Option(gamma_stop=14), "gamma_second_half": Option(gamma_start=14),
           "align_gamma_first_half": Option(align=True, gamma_stop=14),
           "gamma_linear_decrease": Option(gamma_schedule="linear_decrease"),
           "gamma_linear_increase": Option(gamma_schedule="linear_increase"),
           "eta_linear_decrease": Option(eta_schedule="linear_decrease")}
    out.update({f"flowedit_nmax{n}": Option(flowedit=True, n_max=n) for n in (16, 20, 24)})
    out["flowedit_nmax24_cfg_both"] = Option(flowedit=True, n_max=24, source_cfg=3.0)
    return out


OPTIONS.update(beyond_options())


def sweep_options(etas=(0.7, 0.9, 1.0), stops=(3, 5, 7, 10), gammas=(0.3, 0.5, 0.7)) -> dict:
    """The (eta, stop_step, gamma) grid for the faithfulness-editability frontier (euler 28)."""
    return {f"sweep_eta{e}_stop{s}_gamma{g}": Option(eta=e, stop_step=s, gamma=g)
            for g in gammas for e in etas for s in stops}  # gamma outermost: consecutive options share RFInvert


def question_options() -> dict:
    """The settings users ask about: steps, the fast orders' stop_step, shift, the inversion's prompt, cfg."""
    out = {f"euler_{n}_stop{round(n / 4)}": Option(steps=n, stop_step=round(n / 4)) for n in (8, 14, 50)}
    out.update({f"fireflow_10_stop{k}": Option(steps=10, order="fireflow", stop_step=k) for k in (2, 4)})
    out.update({f"midpoint_14_stop{k}": Option(steps=14, order="midpoint", stop_step=k) for k in (2, 4)})
    out.update({f"shift_{s}": Option(shift=s) for s in (0.5, 3.0)})
    out.update({f"cfg_{c}": Option(cfg=c) for c in (1.0, 2.0, 5.0)})
    out["source_prompt"] = Option(source_prompt=True)
    return out


class Bench:
    """ComfyUI imported on the CPU, the pack's nodes registered, and the scene model loaded once."""

    def __init__(self, weights: Path | None = None):
        path = comfy_harness.find_comfyui()
        if path is None:
            raise SystemExit(comfy_harness.SETUP_HINT)
        comfy_harness.import_comfyui(path)
        import executor

        import importlib

        self.pack = comfy_harness.load_pack()
        self.executor = executor
        self.runner = executor.new_runner(self.pack)
        scene = importlib.import_module(comfy_harness.PACK_MODULE + ".nodes.scene_model")
        weights = weights or scene.weights.WEIGHTS
        self.model = scene.load_scene_model(weights)
        self.encode = lambda text: scene.encode_caption(text, weights)
        self.keys: dict = {}
        self.inversion_passes: dict = {}  # per RFInvert input set: its passes when it last ran
        self.passes: list[int] = []
        self.total = 0  # network passes (images through the network) since run_option began
        self.trace_bytes = 0.0  # the inversion's trace per image, in the last run that kept one
        self.counted = self._counting(self.model)

    def _counting(self, model):
        """A clone that adds each network call's batch size to self.passes (public wrapper API)."""
        import comfy.patcher_extension

        def wrapper(executor, x, t, *args, **kwargs):
            self.passes.append(int(x.shape[0]))
            return executor(x, t, *args, **kwargs)

        clone = model.clone()
        clone.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "toyworld_count", wrapper)
        return clone

    def captions(self, texts: list[str]) -> list:
        """One CONDITIONING whose context holds one caption per batch item (ComfyUI pairs them with the latents)."""
        return [[torch.cat([self.encode(t)[0][0] for t in texts]), {}]]

    def link(self, g, node: str, what: tuple, make) -> list:
        """A test input node whose object (made once per `what`) keeps one key across graphs, so ComfyUI's cache
        serves an RFInvert whose inputs did not change (the sweep's options share their inversions)."""
        if what not in self.keys:
            self.keys[what] = self.executor.put(make())
        return g.out(g.add(node, key=self.keys[what]))

    def empty(self, g) -> list:
        return self.link(g, "RFTestConditioning", ("empty prompt",), lambda: self.encode(""))

    def shifted(self, shift: float | None):
        """The counting model, or its clone with ModelSamplingSD3's shift (ComfyUI's own node)."""
        if shift is None:
            return self.counted
        from comfy_extras.nodes_model_advanced import ModelSamplingSD3

        return ModelSamplingSD3().patch(self.counted, shift)[0]

    def source(self, g, option: Option, sources: torch.Tensor) -> tuple[list, list, str]:
        """Links to the (shifted) counting model and to the sources' LATENT, with keys stable across graphs, and
        the sources' digest."""
        m = self.link(g, "RFTestModel", ("model", option.shift), lambda: self.shifted(option.shift))
        digest = hashlib.sha1(sources.contiguous().numpy().tobytes()).hexdigest()
        return m, self.link(g, "RFTestLatent", ("latent", digest), lambda: {"samples": sources * 2 - 1}), digest

    def invert(self, g, option: Option, sources: torch.Tensor, sources_captions: list[str] | None = None) -> tuple:
        """(model link, source link, RFInvert's node id, the key of its inputs) for the option's inversion."""
        m, src, digest = self.source(g, option, sources)
        prompt = (self.link(g, "RFTestConditioning", ("source captions", digest),
                            lambda: self.captions(sources_captions)) if option.source_prompt else self.empty(g))
        inputs = dict(steps=option.steps, gamma=option.gamma, seed=0, guidance=0.0, start_step=option.start_step,
                      order=option.order, gamma_start=option.gamma_start, gamma_stop=option.gamma_stop,
                      gamma_schedule=option.gamma_schedule, keep_trace=option.align)
        inv = g.add("RFInvert", model=m, conditioning=prompt, latent=src, **inputs)
        return m, src, inv, (option.shift, digest, option.source_prompt, *inputs.values())

    def edit(self, sources: torch.Tensor, targets: list[str], option: Option, masks=None,
             sources_captions: list[str] | None = None) -> tuple[torch.Tensor, float]:
        """Edited images (N, 3, H, W) in [0, 1], and network passes per edit."""
        g = self.executor.Graph()
        if option.flowedit:
            m, src, _ = self.source(g, option, sources)
            return self._finish(g, self._flowedit(g, m, src, targets, sources_captions, option), 0, sources)
        m, src, inv, inversion = self.invert(g, option, sources, sources_captions)
        ran = self._passes(g, g.out(inv))  # 0 when ComfyUI's cache (the last graph's outputs) served it
        self.inversion_passes[inversion] = ran or self.inversion_passes[inversion]
        if option.align:  # RFInvert kept its trace
            self.trace_bytes = self._trace_bytes(g, inv) / sources.shape[0]
        extra = {} if masks is None else {"mask": g.mask(masks.float())}
        cfg = {} if option.cfg == 1.0 else {"negative": self.empty(g), "cfg": option.cfg}
        ed = g.add("RFControlledSampler", model=m, conditioning=g.cond(self.captions(targets)), inverted=g.out(inv),
                   reference=src, steps=option.steps, start_step=option.start_step, stop_step=option.stop_step,
                   eta=option.eta, eta_schedule=option.eta_schedule, guidance=0.0, mode=option.mode, seed=0,
                   order=option.order, **option.levers, **cfg, **extra)
        return self._finish(g, ed, self.inversion_passes[inversion], sources)

    def _flowedit(self, g, m, src, targets: list[str], sources_captions: list[str], option: Option) -> str:
        """RFFlowEdit from the source captions to the targets; cfg with the empty prompt as negative."""
        cfg = {"negative": self.empty(g), "source_cfg": option.source_cfg, "target_cfg": option.cfg}
        return g.add("RFFlowEdit", model=m, source_conditioning=g.cond(self.captions(sources_captions)),
                     target_conditioning=g.cond(self.captions(targets)), latent=src, steps=option.steps,
                     n_max=option.n_max, n_min=option.n_min, n_avg=1, seed=0, source_guidance=0.0,
                     target_guidance=0.0, **cfg)

    def _trace_bytes(self, g, inv: str) -> float:
        """The bytes of the trace RFInvert kept in its LATENT (served from ComfyUI's cache: no network pass)."""
        name = g.capture(g.out(inv))
        self._passes(g, None)
        return float(self.executor.take(name)["rf_inversion"]["trace"].nbytes())

    def _finish(self, g, node: str, inversion_passes: int, sources: torch.Tensor) -> tuple[torch.Tensor, float]:
        """Run the graph to `node`'s LATENT: its images in [0, 1] and network passes per edit."""
        name = g.capture(g.out(node))
        passes = inversion_passes + self._passes(g, None)
        images = ((self.executor.take(name)["samples"].float() + 1) / 2).clamp(0, 1)
        self.total += passes
        return images, passes / sources.shape[0]

    def _passes(self, g, output) -> int:
        """Run the graph (only up to `output` if given) and count its network passes."""
        if output is not None:
            g.capture(output)
        self.passes = []
        run = self.runner.run(g)
        if not run.success:
            raise RuntimeError(f"toyworld bench graph failed: {run.error}")
        return sum(self.passes)


def psnr(a: torch.Tensor, b: torch.Tensor, where: torch.Tensor | None = None) -> torch.Tensor:
    """Per-image PSNR in dB of images in [0, 1], over the pixels `where` (N, H, W) is true if given."""
    err = (a - b) ** 2
    if where is None:
        mse = err.flatten(1).mean(1)
    else:
        w = where[:, None].expand_as(err).float()
        mse = (err * w).flatten(1).sum(1) / w.flatten(1).sum(1).clamp_min(1)
    return 10 * torch.log10(1 / mse.clamp_min(1e-10))


def same_scene(a: world.Scene, b: world.Scene) -> bool:
    """The same background and the same objects (slot, shape, colour, texture)."""
    key = lambda s: (s.bg_colour, s.bg_texture, sorted((o.slot, o.shape, o.colour, o.texture) for o in s.objects))  # noqa: E731
    return key(a) == key(b)


def scores(images: torch.Tensor, batch: list[edits.Edit]) -> dict[str, torch.Tensor]:
    """Per-edit gt_psnr, bg_psnr, success and unchanged."""
    sources = torch.stack([world.render(e.source) for e in batch])
    targets = torch.stack([world.render(e.target) for e in batch])
    keep = ~torch.stack([e.mask for e in batch])
    read = [reader.read(im) for im in images]
    return {"gt_psnr": psnr(images, targets), "bg_psnr": psnr(images, sources, keep),
            "success": torch.tensor([float(same_scene(r, e.target)) for r, e in zip(read, batch)]),
            "unchanged": torch.tensor([float(same_scene(r, e.source)) for r, e in zip(read, batch)])}


def run_option(bench: Bench, option: Option, batch: list[edits.Edit]) -> tuple[dict[str, torch.Tensor], float]:
    """Per-edit scores of one option on a batch of edits, and its network passes per edit."""
    bench.total, bench.trace_bytes = 0, 0.0
    images = option_images(bench, option, batch)
    return scores(images, batch), bench.total / len(batch)


def round_trip(bench: Bench, option: Option, batch: list[edits.Edit], cache: dict) -> float:
    """Mean PSNR of the gamma = eta = 0 round trip (empty prompt both ways, cfg 1) with the option's solver (and
    align, if on); for FlowEdit, the source caption both ways at its own settings."""
    key = (option.steps, option.order, option.start_step, option.mode, option.align, option.flowedit, option.n_max,
           option.n_min)
    if key not in cache:
        sources = torch.stack([world.render(e.source) for e in batch])
        captions = [e.source_caption for e in batch]
        if option.flowedit:
            images, _ = bench.edit(sources, captions, option, sources_captions=captions)
        else:
            plain = dataclasses.replace(option, gamma=0.0, eta=0.0, cfg=1.0, stop_step=option.start_step + 1,
                                        region_mask=False, rows=False, gamma_start=0, gamma_stop=10000,
                                        gamma_schedule="constant", eta_schedule="constant")
            images, _ = bench.edit(sources, [""] * len(batch), plain)
        cache[key] = float(psnr(images, sources).mean())
    return cache[key]


def summarise(per_edit: dict[str, torch.Tensor], batch: list[edits.Edit], nfe: float, rec: float,
              trace_bytes: float = 0.0) -> dict:
    """Mean metrics per edit kind and over all edits."""
    out = {}
    for kind in ("all", *edits.KINDS):
        idx = torch.tensor([i for i, e in enumerate(batch) if kind in ("all", e.kind)])
        if len(idx):
            out[kind] = {m: round(float(v[idx].mean()), 4) for m, v in per_edit.items()}
            out[kind].update(rec_psnr=round(rec, 2), nfe=round(nfe, 2), n=len(idx),
                             trace_kib=round(trace_bytes / 1024, 1))
    return out


def evaluate(seed: int, n: int, names: list[str], options: dict | None = None, bench: Bench | None = None,
             progress=print, weights: Path | None = None) -> dict:
    """{option: {kind: metrics}} for a fresh test set of n edits drawn from seed."""
    bench = bench or Bench(weights)
    options = {**OPTIONS, **(options or {})}
    batch, cache, results = edits.test_set(seed, n), {}, {}
    for name in names:
        option = options[name]
        per_edit, nfe = run_option(bench, option, batch)
        kept = bench.trace_bytes
        results[name] = summarise(per_edit, batch, nfe, round_trip(bench, option, batch, cache), kept)
        progress(f"{name}: " + ", ".join(f"{m} {results[name]['all'][m]}" for m in METRICS))
    return results


def finite(results: dict) -> bool:
    """No metric is NaN or infinite (a failed edit must show as a number, not vanish)."""
    return all(math.isfinite(v) for r in results.values() for k in r.values() for v in k.values())


def option_images(bench: Bench, option: Option, batch: list[edits.Edit]) -> torch.Tensor:
    """The option's edited images of a batch, in its order (per kind for the paper's rows)."""
    if option.rows:
        out = torch.empty(len(batch), 3, world.SIZE, world.SIZE)
        for kind, (_, start, stop, eta) in PAPER_ROWS.items():
            idx = [i for i, e in enumerate(batch) if e.kind == kind]
            if idx:
                sub = dataclasses.replace(option, rows=False, start_step=start, stop_step=stop, eta=eta)
                out[idx] = option_images(bench, sub, [batch[i] for i in idx])
        return out
    sources = torch.stack([world.render(e.source) for e in batch])
    masks = torch.stack([e.mask for e in batch]) if option.region_mask else None
    return bench.edit(sources, [e.target_caption for e in batch], option, masks, [e.source_caption for e in batch])[0]


def pictures(seed: int, names: list[str], path: Path, weights: Path | None = None, per_kind: int = 2) -> Path:
    """The picture grid of bench/toyworld_plots.py for per_kind edits of each kind."""
    import toyworld_plots

    bench, rows = Bench(weights), toyworld_plots.examples(seed, per_kind)
    return toyworld_plots.grid(rows, {n: option_images(bench, OPTIONS[n], rows) for n in names}, path)
