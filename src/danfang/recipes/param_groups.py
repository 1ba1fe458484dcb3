"""Parameter groups that keep weight decay off biases and normalisation parameters."""

from __future__ import annotations

from typing import Any

import torch

NORM_TYPES = (torch.nn.modules.batchnorm._NormBase, torch.nn.LayerNorm, torch.nn.GroupNorm,
              torch.nn.LocalResponseNorm)


def no_decay_names(model: torch.nn.Module) -> set[str]:
    """Names of parameters that should not be decayed: biases, norm weights, 1-D tensors."""
    names: set[str] = set()
    for mod_name, module in model.named_modules():
        for p_name, p in module.named_parameters(recurse=False):
            full = f"{mod_name}.{p_name}" if mod_name else p_name
            if isinstance(module, NORM_TYPES) or p_name.endswith("bias") or p.ndim <= 1:
                names.add(full)
    return names


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    skip = no_decay_names(model)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if name in skip else decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups
