"""Synthetic doctor folders and run directories in the formats of DESIGN §3/§4."""

from __future__ import annotations

import json
import math
from pathlib import Path

EVIL = "<script>alert(1)</script>"


def run_doc(job: str = "job.py", epochs: int = 12, probes: bool = True) -> dict:
    history = [{"epoch": e, "train_loss": 2.3 * math.exp(-e / 3) + 0.05, "val_loss": 2.3 * math.exp(-e / 3) + 0.12,
                "val_acc": 0.95 - 0.8 * math.exp(-e / 3), "lr": 1e-3, "wall_s": 0.5 * e} for e in range(1, epochs + 1)]
    doc = {"schema": 1, "job": job, "recipe": "adamw", "status": "finished", "stop_reason": None,
           "settings": {"task": "classification", "num_classes": 10, "epochs": epochs, "monitor": "val_loss",
                        "note": EVIL},
           "history": history, "best": history[-1], "final": history[-1], "test": None, "repairs": [],
           "findings": [], "environment": {"python": "3.11", "torch": "2.x", "device": "cpu"}}
    if probes:
        steps = range(0, 200, 10)
        doc["probes"] = {
            "cadence": 10,
            "grad_norm": {f"{EVIL}.weight": [[s, 1.0 / (1 + s)] for s in steps], "fc.weight": [[s, 0.5] for s in steps]},
            "update_ratio": {"fc.weight": [[s, 1e-3] for s in steps]},
            "dead_fraction": {"relu1": [[s, 0.1] for s in steps]},
            "saturated_fraction": {},
            "loss": [[s, 2.3 - s / 100] for s in steps],
        }
    return doc


FINDING = {"code": "overfitting", "severity": "warning", "phase": "curves", "message": f"val rose {EVIL}",
           "fix": "Stop at epoch 7.", "epoch": 7, "evidence": {"best_epoch": 7, "values": list(range(30))}}


def image_view() -> dict:
    img = [[(i * j) % 7 / 7 for j in range(8)] for i in range(8)]
    return {"kind": "image", "shape": [1, 8, 8], "classes": {EVIL: [[img]] * 3, "1": [[img]]},
            "suspicious": [{"split": "train", "index": 3, "label": EVIL, "reason": "looks like a 7", "x": [img]}]}


def signal_view() -> dict:
    sig = [math.sin(t / 3) for t in range(40)]
    return {"kind": "signal", "shape": [1, 40], "classes": {"0": [[sig]] * 4, "1": [[sig[::-1]]] * 4},
            "suspicious": []}


def write_doctor_folder(folder: Path, view: dict | None = None, job: str = f"/tmp/{EVIL}.py") -> Path:
    (folder / "run").mkdir(parents=True)
    (folder / "run" / "run.json").write_text(json.dumps(run_doc(job)))
    (folder / "findings.json").write_text(json.dumps(
        {"schema": 1, "danfang": "0", "job": job, "verdict": "healthy", "findings": [FINDING],
         "notes": [f"note {EVIL}"], "timings_s": {"data": 0.1}}))
    if view is not None:
        (folder / "data_view.json").write_text(json.dumps(view))
    return folder
