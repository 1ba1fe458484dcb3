"""Ctrl-C says truthfully what was kept: "rerun with --resume" only when a checkpoint exists
(issue 13: a KeyboardInterrupt raised by data() was answered with "rerun with --resume")."""

from __future__ import annotations

import pytest

from danfang.engine.callback import Callback
from danfang.engine.trainer import Trainer
from danfang.errors import Interrupted
from danfang.job import load_job

from tests.reliability.conftest import HEALTHY_JOB, assert_clean, cli


class CtrlCAt(Callback):
    """A Ctrl-C at the fourth batch of epoch ``epoch`` (0-based)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def batch_start(self, state) -> None:
        if state.epoch == self.epoch and state.batch_index == 3:
            raise KeyboardInterrupt


def test_ctrl_c_after_a_checkpoint_says_resume_and_keeps_it(healthy_job, tmp_path):
    with pytest.raises(Interrupted) as info:
        Trainer(load_job(healthy_job), tmp_path / "run", callbacks=[CtrlCAt(1)]).fit()
    assert "interrupted in epoch 2" in str(info.value) and "rerun with --resume" in str(info.value)
    assert info.value.exit_code == 130 and (tmp_path / "run" / "checkpoints" / "last.pt").exists()


def test_ctrl_c_before_any_checkpoint_says_nothing_to_resume(healthy_job, tmp_path):
    with pytest.raises(Interrupted) as info:
        Trainer(load_job(healthy_job), tmp_path / "run", callbacks=[CtrlCAt(0)]).fit()
    assert "nothing to resume" in str(info.value) and "--resume to" not in str(info.value)
    assert not (tmp_path / "run").exists()


def test_a_keyboard_interrupt_from_data_says_nothing_was_trained(write_job, tmp_path):
    job = write_job(HEALTHY_JOB + "\ndef data():\n    raise KeyboardInterrupt\n")
    text = assert_clean(cli("fit", job, "--out", tmp_path / "run", "--quiet"), 2)
    assert "function `data`" in text and "nothing was trained" in text and "--resume" not in text


def test_the_healthy_twin_is_not_interrupted(healthy_job, tmp_path):
    res = Trainer(load_job(healthy_job), tmp_path / "run", callbacks=[CtrlCAt(99)]).fit()
    assert res.status == "finished"
