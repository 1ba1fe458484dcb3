"""CIFAR-10 from the JPEG archive (``train/<class>/NNNN.jpg``, ``test/<class>/NNNN.jpg``).

Decoding 60,000 JPEGs takes a while, so the decoded arrays are cached as an uncompressed
``.npz`` beside the user's cache (``~/.cache/danfang``) and reused.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np

from danfang.datasets.mnist import find_file
from danfang.errors import UsageError

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DEFAULT_PATHS = ("~/.cache/danfang/cifar10-jpeg.tar.xz",)


def _decode(archive: Path) -> dict[str, np.ndarray]:
    try:
        from PIL import Image
    except ImportError as exc:
        raise UsageError("load_cifar10 needs Pillow to decode JPEGs: pip install 'danfang[images]'") from exc
    out: dict[str, list] = {"x_train": [], "y_train": [], "x_test": [], "y_test": []}
    with tarfile.open(archive) as tar:
        for member in tar:
            if not member.isfile() or not member.name.lower().endswith((".jpg", ".jpeg", ".png")):
                continue
            parts = Path(member.name).parts
            split, cls = parts[-3], parts[-2]
            if split not in ("train", "test") or cls not in CLASSES:
                continue
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.uint8)
            out[f"x_{split}"].append(img)
            out[f"y_{split}"].append(CLASSES.index(cls))
    if not out["x_train"]:
        raise UsageError(f"load_cifar10: {archive} holds no train/<class>/*.jpg images.")
    return {k: np.stack(v) if k.startswith("x") else np.asarray(v, dtype=np.int64) for k, v in out.items()}


def load_cifar10(path: str | os.PathLike | None = None, *, cache_dir: str | os.PathLike = "~/.cache/danfang",
                 normalize: bool = True):
    """Return ``((x_train, y_train), (x_test, y_test))``, x as float32 (N, 3, 32, 32).

    With ``normalize`` the channels are standardised with the training set's mean and std.
    """
    archive = find_file(path, DEFAULT_PATHS, "cifar10")
    cache = Path(cache_dir).expanduser() / f"cifar10-{archive.stat().st_size}.npz"
    if cache.exists():
        with np.load(cache) as d:
            arrays = {k: d[k] for k in d.files}
    else:
        arrays = _decode(archive)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.name + ".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, cache)
    xtr = arrays["x_train"].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    xte = arrays["x_test"].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    if normalize:
        mean = xtr.mean(axis=(0, 2, 3), keepdims=True)
        std = xtr.std(axis=(0, 2, 3), keepdims=True)
        xtr, xte = (xtr - mean) / std, (xte - mean) / std
    return (xtr, arrays["y_train"]), (xte, arrays["y_test"])
