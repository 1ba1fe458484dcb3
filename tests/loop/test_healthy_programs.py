"""Healthy programs of the kinds people train (the patterns of the public pytorch/examples:
MNIST, word language model with a manual update, VAE, DCGAN, siamese, time series with LBFGS,
REINFORCE, actor-critic, a Transformer, a fine-tune, a GRU tagger, a manual regression),
small and on made-up data, run unchanged under ``danfang watch``: no warning or error."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from danfang.watch.runner import watch_script

PROGRAMS = Path(__file__).parent / "programs"
NAMES = sorted(p.stem for p in PROGRAMS.glob("*.py") if not p.stem.startswith("_") and p.stem != "reinforce_env")
#: programs whose objective falls when healthy, so the loss curve must say so
FALLS = {"mnist_cnn", "word_lm", "transformer", "finetune", "gru_tagger", "regression_manual"}
#: objectives that need not fall (an adversarial game, a policy gradient): never judged by their loss
OTHER = {"dcgan", "gan_reversal", "reinforce", "actor_critic"}


@pytest.mark.parametrize("name", NAMES)
def test_healthy_program_draws_no_warning(tmp_path, name):
    with contextlib.redirect_stdout(io.StringIO()):
        result = watch_script(PROGRAMS / f"{name}.py", [], tmp_path / "out")
    assert result.status == 0
    loud = [(f.code, f.severity, f.message) for f in result.findings if f.severity != "info"]
    assert loud == []
    assert result.summary["loss_curve"], "every program's loss is seen"
    if name in FALLS:
        assert result.verdict == "healthy", result.reason
    if name in OTHER:
        assert result.verdict == "inconclusive" and "need not fall" in result.reason


def test_programs_cover_the_public_example_kinds():
    assert {"mnist_cnn", "word_lm", "vae", "dcgan", "siamese", "time_sequence", "reinforce", "actor_critic",
            "transformer", "finetune"} <= set(NAMES)
