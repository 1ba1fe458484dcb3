"""Silent on healthy data: no warning or error on MNIST-1D, digits and MNIST's standard split."""

from pathlib import Path

import pytest

from danfang.datasets import load_digits, load_mnist, load_mnist1d
from tests.data_audit.data import audit, loud, of

MNIST = Path("/work/shared/data/mnist.npz")


def test_mnist1d_is_silent():
    findings = audit(*load_mnist1d())
    assert not loud(findings)
    # nearest neighbours reach ~56 % on MNIST-1D: label noise is not judged, not guessed
    assert [f.evidence["judged"] for f in of(findings, "label_noise")] == [False]


@pytest.mark.parametrize("images", [False, True])
def test_digits_are_silent(images):
    assert not loud(audit(*load_digits(images=images)))


@pytest.mark.slow
@pytest.mark.skipif(not MNIST.exists(), reason=f"{MNIST} not present")
def test_mnist_standard_split_is_silent_and_notes_its_few_oddities():
    findings = audit(*load_mnist(MNIST))
    assert not loud(findings)
    noise = of(findings, "label_noise")
    assert noise and noise[0].evidence["judged"] and noise[0].evidence["noise_rate"] < 0.01
