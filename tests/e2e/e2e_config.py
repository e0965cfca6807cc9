"""Paths and names shared by the end-to-end tests and the workflow builder."""
import json

from e2e_server import REPO_ROOT

WORKFLOW_DIR = REPO_ROOT / "workflows"
ARTIFACTS = REPO_ROOT / "tests" / "_artifacts" / "e2e"
WORKFLOW_NAMES = ["rf_inversion_edit", "stroke_to_image", "regional_edit", "stochastic_sampling", "power_user"]


def load_workflow_file(name):
    return json.loads((WORKFLOW_DIR / f"{name}.json").read_text())
