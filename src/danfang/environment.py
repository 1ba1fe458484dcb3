"""What the run ran on: versions and device, for run.json and the report."""

from __future__ import annotations

import platform
import sys
from typing import Any

import torch


def environment(device: torch.device | str | None = None) -> dict[str, Any]:
    from danfang import __version__

    env: dict[str, Any] = {
        "danfang": __version__,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "platform": platform.platform(),
        "cpu_threads": torch.get_num_threads(),
        "device": str(device) if device is not None else None,
    }
    if torch.cuda.is_available():
        env["cuda"] = torch.version.cuda
        env["gpu"] = torch.cuda.get_device_name(0)
    return env
