"""The report as a user sees it: headless Chromium loads it with no console errors and no
network requests, shows hostile text as text, and takes a screenshot.

Needs a Chromium binary (Debian: ``apt-get install -y chromium``); skipped without one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from chromium import find_chromium, render_page
from report_fixtures import EVIL

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="headless Chromium not found; install it with `apt-get install -y chromium`")

EVIL_JOB = '''
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleDict({"<script>alert(1)</script>": nn.Linear(8, 32)})
        self.out = nn.Linear(32, 3)

    def forward(self, x):
        return self.out(torch.relu(self.blocks["<script>alert(1)</script>"](x)))

def model():
    return Net()

def data():
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(3, 8, generator=g) * 3
    def split(n):
        y = torch.randint(0, 3, (n,), generator=g)
        return centers[y] + torch.randn(n, 8, generator=g), y
    return split(400), split(200)

settings = {"batch_size": 32, "epochs": 5, "seed": 0}
'''


def check_in_browser(report: Path, png: Path) -> str:
    page = render_page(report, png)
    errors = [m for m in page.console if m.get("type") in ("error", "assert", "warning")]
    assert errors == [] and page.exceptions == [], (errors, page.exceptions)
    assert [e for e in page.log if e.get("level") in ("error", "warning")] == [], page.log
    network = [u for u in page.requests if not u.startswith("data:") and u != report.resolve().as_uri()]
    assert network == [], f"the report made network requests: {network}"
    assert page.scripts == 0
    assert EVIL in page.text, "hostile text must show up as text"
    with Image.open(png) as im:
        assert im.size[0] == 1280 and im.size[1] > 900
        colors = im.convert("RGB").resize((64, 64)).getcolors(64 * 64)
        assert colors is not None and len(colors) > 20, "the screenshot looks blank"
    return page.text


def test_synthetic_doctor_report_renders_cleanly(doctor_folder, tmp_path):
    from danfang.report.html import write_report

    text = check_in_browser(write_report(doctor_folder), tmp_path / "shot.png")
    assert "Healthy" in text and "Gradient norm per layer" in text


def test_real_doctor_run_on_a_hostile_job_name(tmp_path):
    from danfang.cli import app

    job = tmp_path / f"{EVIL}.py"          # '/' in the name: a folder '<script>alert(1)<' and 'script>.py'
    job.parent.mkdir(parents=True)
    job.write_text(EVIL_JOB)
    out = tmp_path / "doctor"
    result = CliRunner().invoke(app, ["doctor", str(job), "--out", str(out), "-q"])
    assert result.exit_code in (0, 1), result.output
    text = check_in_browser(out / "report.html", tmp_path / "doctor.png")
    assert str(job) in text
    assert "verdict of the learning curves".upper() in text.upper()
