"""Start and talk to a real ComfyUI server for the end-to-end tests.

The server runs ``main.py --cpu`` from the real ComfyUI checkout with
``--base-directory`` pointing at a throw-away folder, so nothing is written
into the user's ComfyUI: that folder gets ``custom_nodes/`` holding a symlink
to this pack and one to the test-only stand-in pack, ``models/`` holding empty
placeholder files with the names the workflows expect, ``input/``,
``output/``, ``temp/`` and ``user/``.
"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "support"))
# one rule each, shared with the unit tests: where ComfyUI is, its version, whether CI runs the tests
from comfy_harness import comfyui_version, find_comfyui, in_ci  # noqa: E402,F401
PACK_DIR_NAME = "comfyui-rf-inversion"
STANDIN_DIR_NAME = "rf_inversion_e2e_standins"
STANDIN_SRC = Path(__file__).resolve().parent / "standin_pack"

# Placeholders so the loaders' file combos offer exactly what the workflows name.
PLACEHOLDER_MODELS = {
    "diffusion_models": ["flux1-dev.safetensors", "qwen_image_edit_fp8_e4m3fn.safetensors",
                         "wan2.1_t2v_1.3B_fp16.safetensors"],
    "text_encoders": ["clip_l.safetensors", "t5xxl_fp16.safetensors", "qwen_2.5_vl_7b_fp8_scaled.safetensors",
                      "umt5_xxl_fp8_e4m3fn_scaled.safetensors"],
    "vae": ["ae.safetensors", "qwen_image_vae.safetensors", "wan_2.1_vae.safetensors"],
    "loras": ["qwen_image_tiny_lora.safetensors"],  # written by test_e2e_compat.py before its run
}


def frontend_folder(info):
    """The pack folder the frontend reads from a node's python_module ("custom_nodes.<folder>", anything after an
    "@" dropped), or None for a core node."""
    parts = info.get("python_module", "").split(".")
    return parts[1].split("@")[0] if len(parts) >= 2 and parts[0] == "custom_nodes" else None


def pack_nodes(object_info):
    """node id -> pack folder, for the nodes of /object_info that the server loaded from this pack."""
    return {n: frontend_folder(i) for n, i in object_info.items() if frontend_folder(i) == PACK_DIR_NAME}


def pinned_frontend_version(comfy_dir):
    """The comfyui-frontend-package version ComfyUI's requirements.txt pins (None if it pins none)."""
    requirements = (Path(comfy_dir) / "requirements.txt").read_text()
    found = re.search(r"^comfyui-frontend-package==(\S+)", requirements, re.M)
    return found.group(1) if found else None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_base_dir(base, pack_dir=REPO_ROOT, frontend_settings=None):
    base = Path(base)
    for sub in ("custom_nodes", "input", "output", "temp", "user/default"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    if frontend_settings:
        (base / "user" / "default" / "comfy.settings.json").write_text(json.dumps(frontend_settings))
    os.symlink(Path(pack_dir).resolve(), base / "custom_nodes" / PACK_DIR_NAME, target_is_directory=True)
    os.symlink(STANDIN_SRC, base / "custom_nodes" / STANDIN_DIR_NAME, target_is_directory=True)
    for folder, names in PLACEHOLDER_MODELS.items():
        (base / "models" / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            (base / "models" / folder / name).touch()
    return base


class ComfyServer:
    def __init__(self, comfy_dir, base_dir, python=sys.executable, startup_timeout=240,
                 pack_dir=REPO_ROOT, frontend_settings=None, preview_method="latent2rgb", front_end_root=None):
        self.comfy_dir = Path(comfy_dir)
        self.base_dir = prepare_base_dir(base_dir, pack_dir, frontend_settings)
        self.python = python
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.base_dir / "server.log"
        self.proc = None
        self.client_id = uuid.uuid4().hex
        self.preview_method = preview_method  # latent2rgb: live previews as the frontend gets them, cheaply
        self.front_end_root = front_end_root  # None: the frontend package this ComfyUI's requirements.txt pins

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        cmd = [
            self.python, "main.py", "--cpu",
            "--listen", "127.0.0.1", "--port", str(self.port),
            "--base-directory", str(self.base_dir),
            "--disable-auto-launch", "--preview-method", self.preview_method,
            "--database-url", "sqlite:///:memory:",
        ]
        if self.front_end_root is not None:
            cmd += ["--front-end-root", str(self.front_end_root)]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.comfy_dir, stdout=self._log, stderr=subprocess.STDOUT,
            env=env, start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ComfyUI exited with {self.proc.returncode} during startup:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/system_stats", timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            try:  # bounded wait for the process instead of a blind sleep
                self.proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        self.stop()
        raise RuntimeError(f"ComfyUI did not answer within {self.startup_timeout}s:\n{self.log_tail()}")

    def stop(self, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return
        pid = self.proc.pid
        os.kill(pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)
            self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def log_tail(self, n=8000):
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    # -- HTTP ----------------------------------------------------------------
    def get_json(self, path):
        r = requests.get(self.url + path, timeout=30)
        r.raise_for_status()
        return r.json()

    def object_info(self):
        return self.get_json("/object_info")

    def upload_image(self, path, subfolder=""):
        with open(path, "rb") as fh:
            r = requests.post(self.url + "/upload/image",
                              files={"image": (Path(path).name, fh, "image/png")},
                              data={"overwrite": "true", "subfolder": subfolder}, timeout=30)
        r.raise_for_status()
        return r.json()

    def queue_prompt(self, prompt):
        r = requests.post(self.url + "/prompt", json={"prompt": prompt, "client_id": self.client_id}, timeout=60)
        if r.status_code != 200:
            raise AssertionError(f"/prompt rejected the prompt ({r.status_code}): {r.text}")
        return r.json()["prompt_id"]

    def run_prompt(self, prompt, timeout=600):
        """Queue ``prompt``, wait on the websocket until it finishes, return its history entry."""
        return self.run_prompt_recorded(prompt, timeout)[0]

    def run_prompt_recorded(self, prompt, timeout=600):
        """Like run_prompt; also returns what the websocket said during the run, in order:
        ("progress", node_id, value, max) for each progress message, ("preview", node_id, payload) for each
        binary preview frame, ("executing", node_id) for each node that runs and ("cached", [node_id, ...]) for the
        nodes served from ComfyUI's cache. A client without the preview-metadata feature flag (this one) gets the old frames,
        which carry no node id: ComfyUI sends each right after its step's progress message, so it is credited to
        the node of the last progress message. payload = the frame after its 4-byte event type."""
        import websocket  # websocket-client

        ws = websocket.create_connection(
            f"ws://127.0.0.1:{self.port}/ws?clientId={self.client_id}", timeout=timeout)
        try:
            prompt_id = self.queue_prompt(prompt)
            events, last_node = [], None
            deadline = time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"prompt {prompt_id} did not finish in {timeout}s\n{self.log_tail()}")
                ws.settimeout(remaining)
                msg = ws.recv()
                if not isinstance(msg, str):
                    event_type = struct.unpack(">I", msg[:4])[0]
                    events.append(("preview" if event_type == 1 else f"binary {event_type}", last_node, msg[4:]))
                    continue
                event = json.loads(msg)
                data = event.get("data", {})
                if data.get("prompt_id") not in (None, prompt_id):
                    continue
                if event["type"] == "progress":
                    last_node = data.get("node")
                    events.append(("progress", last_node, data.get("value"), data.get("max")))
                if event["type"] == "execution_cached":
                    events.append(("cached", list(data.get("nodes", []))))
                if event["type"] == "executing" and data.get("node") is not None:
                    events.append(("executing", data["node"]))
                if event["type"] == "execution_error":
                    raise AssertionError(
                        f"node {data.get('node_id')} ({data.get('node_type')}) failed: "
                        f"{data.get('exception_message')}\n{''.join(data.get('traceback', []))}")
                if event["type"] == "execution_interrupted":
                    raise AssertionError(f"execution interrupted: {data}")
                # main.py stores the history entry before it sends this final message
                # (execution_success comes earlier, before the history exists).
                if event["type"] == "executing" and data.get("node") is None and data.get("prompt_id") == prompt_id:
                    break
        finally:
            ws.close()
        history = self.get_json(f"/history/{prompt_id}")
        return history[prompt_id], events

    def fetch_output_file(self, info):
        r = requests.get(self.url + "/view", params={
            "filename": info["filename"], "subfolder": info.get("subfolder", ""),
            "type": info.get("type", "output")}, timeout=30)
        r.raise_for_status()
        return r.content


def cleanup_base_dir(base):
    # Remove the symlinks first so rmtree can never follow them into the repo.
    for link in (Path(base) / "custom_nodes").glob("*"):
        if link.is_symlink():
            link.unlink()
    shutil.rmtree(base, ignore_errors=True)
