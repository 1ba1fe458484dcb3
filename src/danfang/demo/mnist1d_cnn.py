"""danfang's demo job: a small 1-D CNN on MNIST-1D (4,000 train / 1,000 val, generated offline).

Run it with ``danfang fit mnist1d_cnn.py`` or ``danfang doctor mnist1d_cnn.py``; copy it as a
template for your own jobs.
"""

from torch import nn

from danfang.datasets import load_mnist1d


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv1d(1, 32, 5, padding=2), nn.BatchNorm1d(32), nn.ReLU(),
        nn.Conv1d(32, 64, 3, padding=1, stride=2), nn.BatchNorm1d(64), nn.ReLU(),
        nn.Conv1d(64, 64, 3, padding=1, stride=2), nn.BatchNorm1d(64), nn.ReLU(),
        nn.Flatten(), nn.Linear(64 * 10, 10),
    )


def data():
    return load_mnist1d(channel=True)


settings = {"task": "classification", "batch_size": 128, "epochs": 20, "seed": 0}
