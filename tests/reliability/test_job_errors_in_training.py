"""Job errors that only show while training are one paragraph naming the job's function, exit
2, no traceback and no half-made output folder (issue 13)."""

from __future__ import annotations

import pytest

from danfang.errors import JobError
from danfang.engine.trainer import Trainer
from danfang.job import load_job

from tests.reliability.conftest import HEALTHY_JOB, assert_clean, cli

CASES = {
    "output (N, 3, 10) for 1-D labels": ('''
class Wide(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 30)
    def forward(self, x):
        return self.fc(x).view(-1, 3, 10)
def model():
    return Wide()
''', "`model`", "(N, C, *)"),
    "NaN float labels meant as classes": ('''
def data():
    g = torch.Generator().manual_seed(0)
    def split(n):
        y = torch.randint(0, 3, (n,), generator=g).float()
        y[0] = float("nan")
        return torch.randn(n, 8, generator=g), y
    return split(600), split(200)
''', "default loss", "drop the NaN rows"),
    "a loss taking one argument": ('''
def loss():
    def mean_output(out):
        return out.mean()
    return mean_output
''', "`loss`", "loss(output, target)"),
    "a scheduler raising in step": ('''
class Broken(torch.optim.lr_scheduler.LRScheduler):
    def get_lr(self):
        return [g["lr"] for g in self.optimizer.param_groups]
    def step(self, *args):
        if getattr(self, "started", False):
            raise RuntimeError("scheduler broke")
        self.started = True
        super().step()
def optimizer(params):
    return torch.optim.SGD(params, lr=0.1)
def scheduler(opt):
    return Broken(opt)
''', "`scheduler`", "scheduler broke"),
    "a model without parameters": ('''
class Slice(nn.Module):
    def forward(self, x):
        return x[:, :3]
def model():
    return Slice()
''', "`model`", "has no parameters"),
    "a Dataset whose __getitem__ raises": ('''
class Broken(torch.utils.data.Dataset):
    def __len__(self):
        return 100
    def __getitem__(self, i):
        raise OSError("disk image unreadable")
def data():
    return Broken(), Broken()
''', "`data`", "disk image unreadable"),
    "BatchNorm with batch_size 1": ('''
def model():
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
settings["batch_size"] = 1
''', "`model`", "batch_size >= 2"),
    "KeyboardInterrupt raised by data()": ('''
def data():
    raise KeyboardInterrupt
''', "`data`", "nothing was trained"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fit_says_which_function_failed_with_exit_2(case, write_job, tmp_path, no_folder):
    body, function, hint = CASES[case]
    out = tmp_path / "run"
    text = assert_clean(cli("fit", write_job(HEALTHY_JOB + body), "--out", out, "--quiet", "--epochs", "2"), 2)
    assert function in text and hint in text, text
    assert "--resume" not in text
    no_folder(out)


@pytest.mark.parametrize("case", ["a loss taking one argument", "a scheduler raising in step",
                                  "a model without parameters"])
def test_doctor_says_which_function_failed_with_exit_2(case, write_job, tmp_path, no_folder):
    body, function, hint = CASES[case]
    out = tmp_path / "doc"
    text = assert_clean(cli("doctor", write_job(HEALTHY_JOB + body), "--out", out, "--quiet", "--epochs", "2",
                            "--budget", "20"), 2)
    assert function in text and hint in text, text
    no_folder(out)


def test_a_dataset_that_breaks_only_while_training_is_named(write_job, tmp_path):
    """The loader reads samples once; this Dataset breaks on the training loop's reads only."""
    path = write_job(HEALTHY_JOB + '''
class Flaky(torch.utils.data.Dataset):
    armed = False
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __len__(self):
        return len(self.x)
    def __getitem__(self, i):
        if Flaky.armed and i >= 300:
            raise ValueError(f"sample {i} is corrupt")
        return self.x[i], self.y[i]
_data = data
def data():
    (xt, yt), (xv, yv) = _data()
    return Flaky(xt, yt), Flaky(xv, yv)
''')
    job = load_job(path)
    type(job.splits.train.dataset).armed = True
    with pytest.raises(JobError) as info:
        Trainer(job, tmp_path / "run").fit()
    assert info.value.function == "data" and "fetching a batch of the train split" in str(info.value)
    assert "is corrupt" in str(info.value) and not (tmp_path / "run").exists()


def test_the_healthy_twin_trains(healthy_job, tmp_path):
    assert_clean(cli("fit", healthy_job, "--out", tmp_path / "run", "--quiet", "--epochs", "1"), 0)
    assert (tmp_path / "run" / "run.json").exists()
