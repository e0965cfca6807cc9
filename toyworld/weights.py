"""The shipped weights: one safetensors file ('net.*' and 'text.*' tensors, configs in its metadata) and a
JSON manifest next to it that records how they were made and the sha256 of the file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from . import network

WEIGHTS = Path(__file__).resolve().parent / "scene_model.safetensors"


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def split(state: dict) -> tuple[dict, dict]:
    """A flat {'net.*', 'text.*'} dict -> (net state dict, text state dict)."""
    part = lambda prefix: {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}  # noqa: E731
    return part("net."), part("text.")


def save(state: dict, config: dict, text_config: dict, path: Path = WEIGHTS) -> Path:
    """Write the flat state (float32, contiguous) with both configs in the metadata."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().float().contiguous() for k, v in state.items()}
    meta = {"config": json.dumps(config), "text_config": json.dumps(text_config)}
    save_file(tensors, str(path), metadata=meta)
    return Path(path)


def read(path: Path = WEIGHTS) -> tuple[dict, dict, dict]:
    """(flat state, config, text config) from a weights file."""
    from safetensors import safe_open

    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no toyworld weights there; train them with bench/toyworld_train.py")
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        state = {k: f.get_tensor(k) for k in f.keys()}
    return state, json.loads(meta["config"]), json.loads(meta["text_config"])


def load(path: Path = WEIGHTS) -> tuple[network.SceneDiT, network.TextEmbedding]:
    """The trained (net, text) pair in eval mode."""
    state, config, text_config = read(path)
    net, text = network.build(config, text_config)
    net_state, text_state = split(state)
    net.load_state_dict(net_state)
    text.load_state_dict(text_state)
    return net.eval().requires_grad_(False), text.eval().requires_grad_(False)


def manifest_path(path: Path = WEIGHTS) -> Path:
    return Path(path).with_suffix(".json")


def write_manifest(path: Path, record: dict) -> Path:
    """The manifest next to the weights: the record plus the weights file's name and sha256."""
    out = manifest_path(path)
    out.write_text(json.dumps({"weights": Path(path).name, "sha256": sha256(path), **record}, indent=2) + "\n")
    return out
