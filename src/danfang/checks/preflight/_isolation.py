"""Leave the caller's process exactly as it was: preflight checks must not perturb the run
that follows them (dropout masks, data order, initialisation, thread settings)."""

from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch

#: The checks run tiny batches (16-256 samples). On a busy machine several intra-op
#: threads spin-wait on each other and a 5 ms step can take 100x longer; one thread is
#: never slower for tensors this small.
THREADS = 1


@contextmanager
def isolated(seed: int = 0) -> Iterator[None]:
    """Inside the block: torch/numpy/python seeded with ``seed``, one intra-op thread.
    After it: the random states, grad mode and thread count the caller had."""
    py, np_state, cpu = random.getstate(), np.random.get_state(), torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    grad_enabled, threads = torch.is_grad_enabled(), torch.get_num_threads()
    try:
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        torch.set_num_threads(min(THREADS, threads))
        yield
    finally:
        random.setstate(py)
        np.random.set_state(np_state)
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
        torch.set_grad_enabled(grad_enabled)
        torch.set_num_threads(threads)
