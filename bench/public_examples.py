"""Run public PyTorch example programs (github.com/pytorch/examples), unchanged, under
``danfang watch``, and print one table.

    python bench/public_examples_data.py /work/ext/data          # once: offline data
    python bench/public_examples.py --examples /work/ext/pytorch-examples \\
        --python /work/ext/venv-tv/bin/python [--data /work/ext/data] [--only NAME,...] [--plain]

Each program runs in its own working folder DATA/<name> (so ``../data`` is DATA/data) as
``PYTHON -m danfang watch --out DATA/<name>/watch SCRIPT ARGS``, sequentially, with
OMP_NUM_THREADS=1 and no accelerator flag. The arguments make real short runs through the
programs' own options (whole epochs, never ``--dry-run``). ``--plain`` also runs each as
``PYTHON SCRIPT ARGS`` first, to compare the exit status and the time (``--plain-only``
runs only that; ``--table`` runs nothing and prints the table from the results saved
beside each program's logs, the latest of each kind for the same arguments). The table (Markdown)
goes to stdout and to DATA/public_examples.md; per-program output to DATA/<name>/watch.log.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Example:
    name: str
    script: str                       # relative to the examples copy
    args: tuple[str, ...] = ()
    prepare: tuple[str, ...] = ()     # scripts of the example run plainly first (in its folder)
    timeout: int = 900
    data_link: bool = False           # ./data -> ../data (programs that read ./data/)
    env: tuple[tuple[str, str], ...] = ()  # extra environment variables
    folders: tuple[str, ...] = ()     # output folders the repository ships beside the program


EXAMPLES = (
    Example("mnist", "mnist/main.py", ("--epochs", "2", "--log-interval", "50")),
    Example("mnist_rnn", "mnist_rnn/main.py", ("--epochs", "2", "--log-interval", "50")),
    Example("mnist_forward_forward", "mnist_forward_forward/main.py",
            ("--epochs", "60", "--train_size", "5000", "--test_size", "2000", "--no_accel"), data_link=True),
    Example("mnist_hogwild", "mnist_hogwild/main.py", ("--epochs", "1", "--num-processes", "2",
                                                       "--log-interval", "50")),
    Example("vae", "vae/main.py", ("--epochs", "3", "--no-accel"), folders=("results",)),
    Example("dcgan", "dcgan/main.py", ("--dataset", "fake", "--niter", "2", "--batchSize", "32", "--ngf", "32",
                                       "--ndf", "32", "--workers", "0", "--manualSeed", "1")),
    # the nearest thing to a fine-tune that runs offline: DCGAN continued from the weights the
    # run above saved (its --netG/--netD options); no example's pretrained weights can be fetched
    Example("dcgan_continued", "dcgan/main.py", ("--dataset", "fake", "--niter", "1", "--batchSize", "32",
                                                 "--ngf", "32", "--ndf", "32", "--workers", "0", "--manualSeed", "2",
                                                 "--netG", "../dcgan/netG_epoch_1.pth",
                                                 "--netD", "../dcgan/netD_epoch_1.pth")),
    Example("siamese_network", "siamese_network/main.py", ("--epochs", "1", "--batch-size", "64",
                                                           "--log-interval", "50", "--no-accel")),
    # its torch.load('traindata.pt') of a numpy array needs weights_only=False since torch 2.6;
    # the environment variable says so without editing the program
    Example("time_sequence_prediction", "time_sequence_prediction/train.py", ("--steps", "2",),
            prepare=("time_sequence_prediction/generate_sine_wave.py",),
            env=(("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1"),)),
    Example("reinforce", "reinforcement_learning/reinforce.py", ("--log-interval", "50")),
    Example("actor_critic", "reinforcement_learning/actor_critic.py", ("--log-interval", "50")),
    Example("word_language_model_lstm", "word_language_model/main.py",
            ("--data", "../data/wikitext-2", "--epochs", "2", "--log-interval", "40")),
    Example("word_language_model_transformer", "word_language_model/main.py",
            ("--data", "../data/wikitext-2", "--model", "Transformer", "--use-optimizer", "--lr", "0.001",
             "--epochs", "2", "--log-interval", "40")),
    Example("regression", "regression/main.py"),
    Example("gat", "gat/main.py", ("--epochs", "40", "--hidden-dim", "16", "--num-heads", "2",
                                   "--val-every", "10", "--no-accel")),
    Example("super_resolution", "super_resolution/main.py",
            ("--upscale_factor", "3", "--batchSize", "4", "--testBatchSize", "16", "--nEpochs", "3",
             "--lr", "0.001", "--threads", "0")),
)


def _fail(message: str) -> None:
    print(f"bench/public_examples.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def _run(cmd: list[str], cwd: Path, log: Path, timeout: int, extra: tuple = ()) -> tuple[int, float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", **dict(extra)}
    t0 = time.perf_counter()
    with open(log, "w") as f:
        try:
            rc = subprocess.run(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT,
                                timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    return rc, time.perf_counter() - t0


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _count(findings: list[dict]) -> str:
    by = {s: sum(1 for f in findings if f.get("severity") == s) for s in ("error", "warning", "info")}
    return f"{by['error']}/{by['warning']}/{by['info']}"


def _codes(findings: list[dict]) -> str:
    return " ".join(f"{f['code']}:{f['severity']}" for f in findings if f.get("severity") != "info") or "-"


def _saved(path: Path, args: tuple[str, ...]) -> dict:
    """A row part saved by an earlier run of the same arguments, else {}."""
    part = _read(path)
    return part if part.get("args") == list(args) else {}


def run_example(ex: Example, examples: Path, python: str, data: Path, plain: bool, watch: bool) -> dict:
    """Run one program (plainly and/or under watch); each part is saved beside its logs
    (plain.json, watch_row.json) so ``--table`` can rebuild the table from them."""
    cwd = data / ex.name
    cwd.mkdir(parents=True, exist_ok=True)
    for folder in ex.folders:
        (cwd / folder).mkdir(exist_ok=True)
    if ex.data_link and not (cwd / "data").exists():
        (cwd / "data").symlink_to(data / "data")
    row = {"name": ex.name, "args": " ".join(ex.args)}
    for prep in ex.prepare if plain or watch else ():
        rc, _ = _run([python, str(examples / prep)], cwd, cwd / "prepare.log", 300)
        if rc != 0:
            return {**row, "exit": f"prepare {rc}"}
    script = str(examples / ex.script)
    if plain:
        rc, secs = _run([python, script, *ex.args], cwd, cwd / "plain.log", ex.timeout, ex.env)
        (cwd / "plain.json").write_text(json.dumps({"args": list(ex.args), "plain_exit": rc, "plain_s": secs}))
    if watch:
        out = cwd / "watch"
        rc, secs = _run([python, "-m", "danfang", "watch", "--out", str(out), script, *ex.args], cwd,
                        cwd / "watch.log", ex.timeout, ex.env)
        doc, found = _read(out / "watch.json"), _read(out / "findings.json")
        summary, findings = doc.get("summary") or {}, found.get("findings") or []
        part = dict(exit=rc, watch_s=secs, steps=summary.get("steps", "?"),
                    validation=summary.get("validation_passes", "?"), verdict=doc.get("verdict", "?"),
                    by_severity=_count(findings), codes=_codes(findings))
        (cwd / "watch_row.json").write_text(json.dumps({"args": list(ex.args), **part}))
    for saved in (cwd / "plain.json", cwd / "watch_row.json"):
        row.update({k: v for k, v in _saved(saved, ex.args).items() if k != "args"})
    return row


def table(rows: list[dict], plain: bool) -> str:
    head = ["program", "args", "exit", "steps", "val passes", "verdict", "e/w/i", "warnings and errors",
            "watch s"] + (["plain exit", "plain s"] if plain else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["name"], f"`{r['args']}`" if r["args"] else "", r.get("exit", "?"), r.get("steps", ""),
                 r.get("validation", ""), r.get("verdict", ""), r.get("by_severity", ""), r.get("codes", ""),
                 f"{r['watch_s']:.0f}" if "watch_s" in r else ""]
        if plain:
            cells += [r.get("plain_exit", ""), f"{r['plain_s']:.0f}" if "plain_s" in r else ""]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--examples", type=Path, required=True, help="a copy of github.com/pytorch/examples")
    p.add_argument("--python", default=sys.executable, help="the Python with torch, torchvision and danfang")
    p.add_argument("--data", type=Path, default=Path("/work/ext/data"),
                   help="the folder bench/public_examples_data.py prepared")
    p.add_argument("--only", default="", help="comma-separated program names (default: all)")
    p.add_argument("--plain", action="store_true", help="also run each program under plain python")
    p.add_argument("--plain-only", action="store_true", help="run each program under plain python only")
    p.add_argument("--table", action="store_true", help="run nothing: the table from the saved results")
    a = p.parse_args(argv)
    if not (a.examples / "mnist" / "main.py").is_file():
        _fail(f"main: --examples {a.examples} has no mnist/main.py; expected a copy of github.com/pytorch/examples.")
    if not (a.data / "data" / "MNIST" / "raw").is_dir():
        _fail(f"main: --data {a.data} is not prepared; run `python bench/public_examples_data.py {a.data}` first.")
    wanted = [n for n in a.only.split(",") if n]
    unknown = sorted(set(wanted) - {e.name for e in EXAMPLES})
    if unknown:
        _fail(f"main: unknown program(s) {unknown}; known: {', '.join(e.name for e in EXAMPLES)}.")
    rows = []
    for ex in EXAMPLES:
        if wanted and ex.name not in wanted:
            continue
        row = run_example(ex, a.examples, a.python, a.data, plain=(a.plain or a.plain_only) and not a.table,
                          watch=not (a.plain_only or a.table))
        print(f"{row['name']}: exit {row.get('exit')}, {row.get('steps')} steps, {row.get('by_severity')} "
              f"e/w/i, {row.get('codes')}, {row.get('watch_s', 0):.0f} s", file=sys.stderr, flush=True)
        rows.append(row)
    text = table(rows, any("plain_exit" in r for r in rows))
    print(text)
    (a.data / "public_examples.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
