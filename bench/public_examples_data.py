"""Prepare offline data for the public PyTorch example programs run by bench/public_examples.py.

    python bench/public_examples_data.py ROOT [--examples DIR] [--mnist npz] [--mnist-train N]
                                              [--mnist-test N]

Lays out ROOT so each example finds its data where it looks for it and never downloads:

    ROOT/data/MNIST/raw/*-ubyte       MNIST as the raw IDX files torchvision's MNIST reads
                                      (a seeded subset of /work/shared/data/mnist.npz)
    ROOT/data/wikitext-2/*.txt        real WikiText-2 text: the examples repository's own
                                      valid.txt is the training file (its train.txt is not in
                                      the stored copy), test.txt split in two for valid/test
    ROOT/gat/cora/cora.{content,cites} a synthetic graph in Cora's file format (planted
                                      classes, class-correlated words, mostly in-class edges)
    ROOT/super_resolution/dataset/BSDS300/images/{train,test}/*.jpg
                                      256x256 crops of the photographs shipped in the
                                      examples repository (fast_neural_style/images)

Each example runs with ROOT/<example> as its working folder, so ``../data`` is ROOT/data.
Standard library, numpy and Pillow only.
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

import numpy as np

MNIST_NPZ = Path("/work/shared/data/mnist.npz")


def _fail(message: str) -> "None":
    print(f"bench/public_examples_data.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file (the MNIST distribution format): magic, dims, raw uint8 bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())


def prepare_mnist(root: Path, npz: Path, n_train: int, n_test: int, seed: int = 0) -> None:
    if not npz.is_file():
        _fail(f"prepare_mnist: no MNIST file at {npz}; pass --mnist PATH to an npz with x_train, y_train, "
              "x_test, y_test.")
    raw = root / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    d = np.load(npz)
    rng = np.random.default_rng(seed)
    for split, n, prefix in (("train", n_train, "train"), ("test", n_test, "t10k")):
        x, y = d[f"x_{split}"], d[f"y_{split}"]
        keep = np.sort(rng.permutation(len(y))[:n]) if n < len(y) else np.arange(len(y))
        write_idx(raw / f"{prefix}-images-idx3-ubyte", x[keep])
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", y[keep])
    print(f"MNIST: {min(n_train, 60000)} train / {min(n_test, 10000)} test digits in {raw}")


def prepare_wikitext(root: Path, examples: Path, train_lines: int, eval_lines: int) -> None:
    src = examples / "word_language_model" / "data" / "wikitext-2"
    valid, test = src / "valid.txt", src / "test.txt"
    if not (valid.is_file() and test.is_file()):
        _fail(f"prepare_wikitext: expected {valid} and {test} in the examples copy (pass --examples DIR).")
    out = root / "data" / "wikitext-2"
    out.mkdir(parents=True, exist_ok=True)
    train = valid.read_text(encoding="utf8").splitlines(keepends=True)[:train_lines]
    held = test.read_text(encoding="utf8").splitlines(keepends=True)
    (out / "train.txt").write_text("".join(train), encoding="utf8")
    (out / "valid.txt").write_text("".join(held[:eval_lines]), encoding="utf8")
    (out / "test.txt").write_text("".join(held[eval_lines:2 * eval_lines]), encoding="utf8")
    words = sum(len(line.split()) for line in train)
    print(f"WikiText-2: {len(train)} lines ({words} words) to train, {eval_lines} lines each to validate/test, in {out}")


def prepare_cora(root: Path, nodes: int = 2000, words: int = 500, classes: int = 7, seed: int = 0) -> None:
    """A graph in Cora's format: ``cora.content`` (id, binary words, class name) and
    ``cora.cites`` (cited, citing). Each class prefers its own block of words and most edges
    join nodes of one class, so a GCN/GAT can learn it."""
    rng = np.random.default_rng(seed)
    out = root / "gat" / "cora"
    out.mkdir(parents=True, exist_ok=True)
    ids = rng.choice(np.arange(1000, 1000 + 50 * nodes), size=nodes, replace=False)
    label = rng.integers(0, classes, nodes)
    prefer = np.full((classes, words), 0.01)
    block = words // classes
    for c in range(classes):
        prefer[c, c * block:(c + 1) * block] = 0.08
    feats = (rng.random((nodes, words)) < prefer[label]).astype(int)
    names = [f"Topic_{c}" for c in range(classes)]
    with open(out / "cora.content", "w") as f:
        for i in range(nodes):
            f.write(f"{ids[i]}\t" + "\t".join(map(str, feats[i])) + f"\t{names[label[i]]}\n")
    edges = set()
    while len(edges) < 5 * nodes:
        a = int(rng.integers(nodes))
        same = np.flatnonzero(label == label[a]) if rng.random() < 0.85 else np.arange(nodes)
        b = int(rng.choice(same))
        if a != b:
            edges.add((a, b))
    with open(out / "cora.cites", "w") as f:
        for a, b in sorted(edges):
            f.write(f"{ids[a]}\t{ids[b]}\n")
    print(f"Cora-format graph: {nodes} nodes, {words} words, {classes} classes, {len(edges)} edges in {out}")


def prepare_bsds(root: Path, examples: Path, n_train: int = 64, n_test: int = 16, seed: int = 0) -> None:
    """256x256 crops of the examples repository's photographs, in BSDS300's folder layout."""
    try:
        from PIL import Image
    except ImportError:
        _fail("prepare_bsds: Pillow is needed (pip install pillow).")
    photos = sorted((examples / "fast_neural_style" / "images").rglob("*.jpg"))
    if not photos:
        _fail(f"prepare_bsds: no photographs under {examples / 'fast_neural_style' / 'images'} (pass --examples DIR).")
    rng = np.random.default_rng(seed)
    base = root / "super_resolution" / "dataset" / "BSDS300" / "images"
    for split, n in (("train", n_train), ("test", n_test)):
        (base / split).mkdir(parents=True, exist_ok=True)
        for k in range(n):
            img = Image.open(photos[k % len(photos)]).convert("RGB")
            scale = 256 / min(img.size) * rng.uniform(1.0, 2.0)
            img = img.resize((max(256, int(img.width * scale)), max(256, int(img.height * scale))))
            x, y = int(rng.integers(0, img.width - 255)), int(rng.integers(0, img.height - 255))
            img.crop((x, y, x + 256, y + 256)).save(base / split / f"{k:04d}.jpg", quality=90)
    print(f"BSDS300-layout images: {n_train} train / {n_test} test crops of {len(photos)} photographs in {base}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("root", type=Path, help="folder to prepare (created)")
    p.add_argument("--examples", type=Path, default=Path("/work/ext/pytorch-examples"),
                   help="the pytorch/examples copy (for WikiText-2 text and photographs)")
    p.add_argument("--mnist", type=Path, default=MNIST_NPZ)
    p.add_argument("--mnist-train", type=int, default=10000, help="training digits kept (of 60000)")
    p.add_argument("--mnist-test", type=int, default=2000, help="test digits kept (of 10000)")
    p.add_argument("--wikitext-train-lines", type=int, default=1200)
    p.add_argument("--wikitext-eval-lines", type=int, default=300)
    a = p.parse_args(argv)
    if not a.examples.is_dir():
        _fail(f"main: --examples {a.examples} is not a folder; expected a copy of github.com/pytorch/examples.")
    a.root.mkdir(parents=True, exist_ok=True)
    prepare_mnist(a.root, a.mnist, a.mnist_train, a.mnist_test)
    prepare_wikitext(a.root, a.examples, a.wikitext_train_lines, a.wikitext_eval_lines)
    prepare_cora(a.root)
    prepare_bsds(a.root, a.examples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
