"""The example jobs: they load, the CIFAR model and its device augmentation behave, and the
default recipe reaches the MNIST-1D paper's numbers (the full check is slow)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import torch

from danfang.engine.trainer import fit
from danfang.job import load_job

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PAPER = {"mnist1d_logistic": 0.32, "mnist1d_mlp": 0.68, "mnist1d_cnn": 0.94}


@pytest.fixture(scope="module")
def examples_on_path():
    sys.path.insert(0, str(EXAMPLES))
    yield
    sys.path.remove(str(EXAMPLES))


def final_acc(name: str, tmp_path: Path, seed: int = 0) -> float:
    result = fit(load_job(EXAMPLES / f"{name}.py"), tmp_path / f"{name}-{seed}", checkpoint=False,
                 settings={"seed": seed, "restore_best": False})
    return result.final["val_acc"]


def test_mnist1d_jobs_load_with_the_paper_split():
    for name in PAPER:
        job = load_job(EXAMPLES / f"{name}.py")
        assert (len(job.splits.train), len(job.splits.val)) == (4000, 1000)


def test_random_crop_flip_yields_shifted_or_mirrored_windows(examples_on_path):
    from gpu_augment import RandomCropFlip

    aug, x = RandomCropFlip(pad=4), torch.randn(32, 3, 8, 8)
    y = aug(x)
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for i in range(len(x)):
        windows = [padded[i, :, r:r + 8, c:c + 8] for r in range(9) for c in range(9)]
        assert any(torch.equal(w, y[i]) or torch.equal(w.flip(2), y[i]) for w in windows)
    assert not torch.equal(y, x), "some sample must have moved"
    cl = x.contiguous(memory_format=torch.channels_last)
    assert aug(cl).is_contiguous(memory_format=torch.channels_last)
    assert aug.eval()(x) is x, "identity at evaluation"


def test_cifar_resnet18_shape(examples_on_path):
    job = importlib.import_module("cifar10_resnet18")
    net = job.model().eval()
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert 11_000_000 < sum(p.numel() for p in net.parameters()) < 11_300_000


def test_default_recipe_beats_the_paper_on_logistic(tmp_path, one_thread):
    assert final_acc("mnist1d_logistic", tmp_path) >= PAPER["mnist1d_logistic"]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PAPER))
def test_default_recipe_reaches_the_paper(name, tmp_path, one_thread):
    accs = [final_acc(name, tmp_path, seed) for seed in (0, 1)]
    assert min(accs) >= PAPER[name], accs
    if name == "mnist1d_cnn":
        assert min(accs) >= 0.96, f"the CNN must clear human accuracy (96%): {accs}"
