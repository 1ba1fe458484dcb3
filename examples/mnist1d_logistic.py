"""MNIST-1D, logistic regression (Greydanus 2020, Table: 32% test accuracy).

``danfang fit examples/mnist1d_logistic.py`` trains it with the default recipe.
"""

from torch import nn

from danfang.datasets import load_mnist1d


def model() -> nn.Module:
    return nn.Linear(40, 10)


def data():
    return load_mnist1d()


settings = {"task": "classification", "batch_size": 128, "epochs": 50, "seed": 0}
