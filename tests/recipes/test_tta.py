"""``settings['tta'] = 'flip'``: evaluation averages the logits of each image and its mirror
image; the loss and accuracy are those of the averaged logits. Non-image inputs are refused."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from danfang.cli.app import app
from danfang.engine.trainer import Trainer, fit
from danfang.errors import JobError, UsageError
from danfang.job import load_job

IMAGE_JOB = '''
import torch
from torch import nn

class Symmetric(nn.Module):
    """Sees x + mirror(x) only: the same output for an image and its mirror image, bit for bit."""
    def forward(self, x):
        return x + x.flip(-1)

def model():
    layers = [nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 6 * 6, 4)]
    return nn.Sequential(Symmetric(), *layers) if SYMMETRIC else nn.Sequential(*layers)

def data():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(96, 3, 6, 6, generator=g), torch.randint(0, 4, (96,), generator=g)
    return (x[:64], y[:64]), (x[64:], y[64:])

SYMMETRIC = False
settings = {"batch_size": 16, "eval_batch_size": 64, "epochs": 1, "seed": 0}
'''


def built(path, tmp_path, **settings):
    trainer = Trainer(load_job(path), tmp_path / "run", settings=settings, checkpoint=False)
    return trainer, trainer._build()


def test_flip_tta_evaluates_the_mean_of_both_views_logits(write_job, tmp_path):
    path = write_job(IMAGE_JOB)
    plain_trainer, plain_state = built(path, tmp_path)
    tta_trainer, tta_state = built(path, tmp_path, tta="flip")
    assert torch.equal(plain_state.model[0].weight, tta_state.model[0].weight), "same seed, same weights"
    val = tta_trainer.val_split
    plain = plain_trainer.evaluate(plain_state, plain_trainer.val_split)
    tta = tta_trainer.evaluate(tta_state, val)

    model = tta_state.model.eval()
    x, y = val.x, val.y
    with torch.no_grad():
        logits = (model(x) + model(x.flip(-1))) / 2
        loss = tta_state.loss_fn(logits, y)
    assert tta["loss"] == float(loss.double())          # exactly the averaged logits' loss
    assert tta["acc"] == float((logits.argmax(1) == y).double().mean())
    assert tta["loss"] != plain["loss"], "a model that is not flip-invariant must be scored differently"


def test_flip_tta_leaves_a_flip_invariant_model_unchanged(write_job, tmp_path):
    path = write_job(IMAGE_JOB.replace("SYMMETRIC = False", "SYMMETRIC = True"))
    plain_trainer, plain_state = built(path, tmp_path)
    tta_trainer, tta_state = built(path, tmp_path, tta="flip")
    plain = plain_trainer.evaluate(plain_state, plain_trainer.val_split)
    tta = tta_trainer.evaluate(tta_state, tta_trainer.val_split)
    assert tta == plain


def test_fit_with_tta_records_it(write_job, tmp_path):
    result = fit(write_job(IMAGE_JOB), tmp_path / "run", settings={"tta": "flip"})
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["settings"]["tta"] == "flip" and result.final["val_acc"] is not None


def test_flip_tta_on_non_image_inputs_is_a_clear_error(write_job, tmp_path, healthy_job):
    with pytest.raises(JobError, match=r"settings\['tta'\] = 'flip'.*4-D image inputs.*\(1, 8\)") as info:
        Trainer(load_job(healthy_job), tmp_path / "run", settings={"tta": "flip"}).fit()
    assert str(healthy_job) in str(info.value)
    assert not (tmp_path / "run" / "run.json").exists()
    flat = write_job(healthy_job.read_text() + "\nsettings = {'epochs': 1, 'tta': 'flip'}\n", name="flat.py")
    res = CliRunner().invoke(app, ["fit", str(flat), "--out", str(tmp_path / "cli"), "--quiet"])
    assert res.exit_code == 2 and "tta" in res.output


def test_unknown_tta_is_a_clear_error(write_job, tmp_path):
    bad = write_job(IMAGE_JOB.replace('"seed": 0}', '"seed": 0, "tta": "hflip"}'), name="bad.py")
    with pytest.raises(JobError, match=r"settings\['tta'\] = 'hflip' is not valid.*tta must be one of 'flip'"):
        load_job(bad)
    with pytest.raises(UsageError, match="tta"):
        Trainer(load_job(write_job(IMAGE_JOB)), tmp_path / "run", settings={"tta": "rotate"})


def test_cli_tta_flag(write_job, tmp_path):
    image = write_job(IMAGE_JOB.replace('"seed": 0}', '"seed": 0, "epochs": 1}'), name="image.py")
    res = CliRunner().invoke(app, ["fit", str(image), "--tta", "flip", "--out", str(tmp_path / "ok"), "--quiet"])
    assert res.exit_code in (0, 1), res.output
    assert json.loads((tmp_path / "ok" / "run.json").read_text())["settings"]["tta"] == "flip"
    res = CliRunner().invoke(app, ["fit", str(image), "--tta", "rotate", "--out", str(tmp_path / "bad"), "--quiet"])
    assert res.exit_code == 2 and "tta" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "bad").exists()
