"""Data sets that need no network: MNIST-1D (generated), scikit-learn's digits, and loaders
for local copies of MNIST (``.npz``) and CIFAR-10 (the JPEG archive).

Each loader returns ``(train, val)`` or ``(train, val, test)`` splits as ``(X, y)`` pairs of
numpy arrays — exactly what a job's ``data()`` may return.
"""

from danfang.datasets.cifar10 import load_cifar10
from danfang.datasets.digits import load_digits
from danfang.datasets.mnist import load_mnist
from danfang.datasets.mnist1d import load_mnist1d

__all__ = ["load_mnist1d", "load_digits", "load_mnist", "load_cifar10"]
