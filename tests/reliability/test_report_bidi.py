"""The HTML report shows bidi controls (U+202A-U+202E, U+2066-U+2069) in user strings as
visible escapes instead of obeying them (issue 13: U+202E passed through unescaped)."""

from __future__ import annotations

from danfang.engine.callback import Callback
from danfang.engine.trainer import Trainer
from danfang.findings import Finding
from danfang.job import load_job
from danfang.report.bidi import BIDI_CONTROLS, show_bidi
from danfang.report.html import write_report

from tests.reliability.conftest import HEALTHY_JOB

EVERY_CONTROL = "".join(BIDI_CONTROLS)


class PlantFinding(Callback):
    def fit_end(self, state) -> None:
        state.add_finding(Finding("loss_nan", "warning", f"a message {EVERY_CONTROL} from user code",
                                  f"fix \u202e{EVERY_CONTROL}", phase="training", where="layer\u202e.weight"))


def test_show_bidi_escapes_every_control_and_nothing_else():
    assert show_bidi("abc\u202edef") == "abc[U+202E]def"
    assert show_bidi("\u2066x\u2069") == "[U+2066]x[U+2069]"
    assert len(BIDI_CONTROLS) == 9
    assert show_bidi("丹方 <b> ü \u200f") == "丹方 <b> ü \u200f", "other text (even marks) is left alone"


def test_a_job_named_with_a_right_to_left_override_is_shown_escaped(write_job, tmp_path):
    job = write_job(HEALTHY_JOB.replace('"epochs": 3', '"epochs": 1'), name="evil\u202egnp.py")
    run = tmp_path / "run"
    Trainer(load_job(job), run, callbacks=[PlantFinding()]).fit()
    page = write_report(run).read_text(encoding="utf-8")
    assert not any(c in page for c in BIDI_CONTROLS), "no bidi control reaches the browser"
    assert "evil[U+202E]gnp.py" in page and "layer[U+202E].weight" in page
    assert "[U+202A][U+202B][U+202C][U+202D][U+202E][U+2066][U+2067][U+2068][U+2069]" in page


def test_the_healthy_twin_page_is_unchanged_by_the_escape(healthy_job, tmp_path):
    Trainer(load_job(healthy_job), tmp_path / "run").fit()
    page = write_report(tmp_path / "run").read_text(encoding="utf-8")
    assert "[U+" not in page and "job.py" in page
