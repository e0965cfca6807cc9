"""ComfyUI serves workflows/ as this pack's templates, with the previews its template browser shows."""
import io
import json

import pytest
import requests
from PIL import Image

from e2e_server import PACK_DIR_NAME
from e2e_config import WORKFLOW_DIR, WORKFLOW_NAMES

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]


def test_workflow_templates_lists_the_pack(comfy_server):
    listed = comfy_server.get_json("/workflow_templates")
    assert PACK_DIR_NAME in listed, f"pack absent from /workflow_templates: {sorted(listed)}"
    assert sorted(listed[PACK_DIR_NAME]) == sorted(WORKFLOW_NAMES)


def test_shipped_files_are_exactly_the_listed_workflows():
    assert sorted(p.stem for p in WORKFLOW_DIR.glob("*.json")) == sorted(WORKFLOW_NAMES)


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_template_json_and_preview_are_served(comfy_server, name):
    base = f"{comfy_server.url}/api/workflow_templates/{PACK_DIR_NAME}/{name}"
    r = requests.get(base + ".json", timeout=30)
    assert r.status_code == 200
    assert r.json() == json.loads((WORKFLOW_DIR / f"{name}.json").read_text())
    # the template browser asks for <name>.jpg next to the JSON
    r = requests.get(base + ".jpg", timeout=30)
    assert r.status_code == 200, f"no preview image workflows/{name}.jpg"
    img = Image.open(io.BytesIO(r.content))
    assert img.format == "JPEG" and img.width >= 256 and img.height >= 100
