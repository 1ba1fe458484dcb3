"""Seed statistics (rliable): numbers against rliable and numpy directly, verdict texts, the
report's pictures, and a tiny end-to-end ``danfang study``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("rliable")

from rliable import library, metrics  # noqa: E402

from danfang.errors import UsageError  # noqa: E402
from danfang.tools.seed_stats import MIN_SEEDS, pair_verdict, seed_statistics  # noqa: E402

REPS = 300


def _scores(seed: int, shift: float, n: int = 10, sd: float = 0.01) -> list[float]:
    return list(np.random.default_rng(seed).normal(0.90 + shift, sd, n))


def test_iqm_mean_and_intervals_are_rliables():
    values = {"a": _scores(0, 0.0), "b": _scores(1, 0.005)}
    stats = seed_statistics(values, higher_is_better=True, reps=REPS, seed=3)
    for agg in stats.aggregates:
        x = np.asarray(values[agg.recipe])
        assert agg.iqm == pytest.approx(_trimmed(x))
        assert agg.mean == pytest.approx(x.mean())
    np.random.seed(3)  # rliable resamples with numpy's global generator
    point, interval = library.get_interval_estimates(
        {k: np.asarray(v).reshape(-1, 1) for k, v in values.items()},
        lambda s: np.array([metrics.aggregate_iqm(s), metrics.aggregate_mean(s)]), reps=REPS)
    for agg in stats.aggregates:
        assert agg.iqm_ci == pytest.approx(tuple(interval[agg.recipe][:, 0]))
        assert agg.mean_ci == pytest.approx(tuple(interval[agg.recipe][:, 1]))
        assert agg.iqm_ci[0] <= agg.iqm <= agg.iqm_ci[1]


def _trimmed(x: np.ndarray) -> float:
    """The 25%-trimmed mean by hand: drop the lowest and highest quarter (scipy's rounding)."""
    k = int(0.25 * len(x))
    return float(np.sort(x)[k:len(x) - k].mean())


def _p_by_counting(x: list[float], y: list[float]) -> float:
    a, b = np.asarray(x)[:, None], np.asarray(y)[None, :]
    return float(((a > b) + 0.5 * (a == b)).mean())


def test_probability_of_improvement_counts_run_pairs_and_matches_rliables_interval():
    values = {"a": _scores(0, 0.0), "b": _scores(1, 0.008)}
    stats = seed_statistics(values, higher_is_better=True, reps=REPS, seed=5)
    (pair,) = stats.pairs
    assert (pair.better, pair.worse) == ("b", "a")
    assert pair.p == pytest.approx(_p_by_counting(values["b"], values["a"]))
    cols = {k: np.asarray(v).reshape(-1, 1) for k, v in values.items()}
    # seed_statistics bootstraps the pair in IQM order (b first here)
    np.random.seed(5)
    point, interval = library.get_interval_estimates({"b,a": [cols["b"], cols["a"]]},
                                                     metrics.probability_of_improvement, reps=REPS)
    assert pair.ci == pytest.approx(tuple(interval["b,a"][:, 0]))
    wins = sum(b > a for a, b in zip(values["a"], values["b"]))
    assert pair.wins == wins and pair.n == 10


def test_intervals_are_reproducible_and_leave_numpys_generator_alone():
    values = {"a": _scores(0, 0.0), "b": _scores(1, 0.004)}
    np.random.seed(11)
    expected_next = np.random.random()
    np.random.seed(11)
    first = seed_statistics(values, higher_is_better=True, reps=REPS, seed=2).to_dict()
    assert np.random.random() == expected_next
    assert seed_statistics(values, higher_is_better=True, reps=REPS, seed=2).to_dict() == first


def test_a_loss_is_better_lower():
    values = {"high_loss": [0.50, 0.52, 0.51, 0.53, 0.50, 0.52], "low_loss": [0.30, 0.31, 0.29, 0.30, 0.32, 0.31]}
    stats = seed_statistics(values, higher_is_better=False, metric="val_loss", reps=REPS)
    assert [a.recipe for a in stats.aggregates] == ["low_loss", "high_loss"]
    (pair,) = stats.pairs
    assert (pair.better, pair.worse, pair.p, pair.decided) == ("low_loss", "high_loss", 1.0, True)
    # a loss profile counts runs *below* each threshold: the low-loss curve is never under the other
    prof = stats.profile
    assert not prof.higher_is_better
    assert all(lo >= hi for lo, hi in zip(prof.fraction["low_loss"], prof.fraction["high_loss"]))
    assert prof.fraction["low_loss"][0] == 0.0 and prof.fraction["high_loss"][-1] == pytest.approx(5 / 6)


def test_clear_gap_over_ten_seeds_is_decided_with_the_plain_verdict():
    values = {"A": _scores(0, 0.0), "B": _scores(1, 0.05)}
    (pair,) = seed_statistics(values, higher_is_better=True, reps=REPS).pairs
    assert pair.decided and pair.warning is None
    assert pair.verdict == "B beats A on 10 of 10 seeds; P(B > A) = 1.00 [1.00, 1.00]."


def test_overlapping_seeds_are_not_decided_and_say_how_many_seeds_would_be():
    values = {"A": _scores(0, 0.0), "B": _scores(1, 0.002)}
    (pair,) = seed_statistics(values, higher_is_better=True, reps=REPS).pairs
    assert not pair.decided and pair.ci[0] < 0.5 < pair.ci[1]
    assert pair.verdict.startswith("Too few seeds to tell")
    assert "interval contains 0.5" in pair.verdict and "seeds a recipe would separate them" in pair.warning


def test_three_seeds_are_too_few_even_when_every_run_wins():
    values = {"A": _scores(0, 0.0, n=3), "B": _scores(1, 0.05, n=3)}
    (pair,) = seed_statistics(values, higher_is_better=True, reps=REPS).pairs
    assert pair.p == 1.0 and not pair.decided
    assert "3 seeds are too few" in pair.verdict and f"--seeds {MIN_SEEDS}" in pair.warning


def test_verdict_text_reads_like_the_brief():
    decided, text, warning = pair_verdict("B", "A", 0.83, (0.64, 0.95), wins=9, ties=0, n=10, n_min=10)
    assert decided and warning is None
    assert text == "B beats A on 9 of 10 seeds; P(B > A) = 0.83 [0.64, 0.95]."
    decided, text, _ = pair_verdict("B", "A", 0.62, (0.40, 0.82), wins=6, ties=1, n=10, n_min=10)
    assert not decided and "B is ahead on 6, A on 3, tied on 1 of 10 seeds" in text


def test_identical_recipes_cannot_be_told_apart():
    same = [0.9, 0.91, 0.92, 0.93, 0.94]
    (pair,) = seed_statistics({"A": same, "B": list(same)}, higher_is_better=True, reps=REPS).pairs
    assert pair.p == 0.5 and not pair.decided and "cannot be told apart" in pair.verdict


def test_runs_without_a_score_are_left_out_with_a_note():
    stats = seed_statistics({"A": [0.9, float("nan"), 0.91, 0.92], "B": [0.8, 0.81, 0.82, 0.83]},
                            higher_is_better=True, metric="val_acc", reps=REPS)
    assert {a.recipe: a.n for a in stats.aggregates} == {"A": 3, "B": 4}
    assert any("1 of 4 runs gave no val_acc" in n for n in stats.notes)
    assert stats.pairs[0].n == 3


def test_bad_reps_and_missing_rliable_are_usage_errors(monkeypatch):
    with pytest.raises(UsageError, match="reps must be >= 100"):
        seed_statistics({"A": [1.0, 2.0]}, higher_is_better=True, reps=10)
    monkeypatch.setitem(sys.modules, "rliable", None)
    with pytest.raises(UsageError, match=r"pip install 'danfang\[stats\]'"):
        seed_statistics({"A": [1.0, 2.0]}, higher_is_better=True)


def test_report_section_draws_three_pictures_and_escapes_names():
    from danfang.report.seed_figures import stats_section

    values = {"<b>x</b>": _scores(0, 0.0, n=5), "y": _scores(1, 0.03, n=5)}
    stats = seed_statistics(values, higher_is_better=True, reps=REPS).to_dict()
    html = stats_section(stats, values, None, "Recipes")
    assert html.count('src="data:image/png;base64,') == 3
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "beats" in html and "Probability of improvement" in html


def test_study_end_to_end_prints_verdicts_and_draws_them(healthy_job, tmp_path):
    out = tmp_path / "s"
    proc = subprocess.run([sys.executable, "-m", "danfang", "study", str(healthy_job), "--grid",
                           "adamw,sgd-cosine", "--seeds", "2", "--epochs", "1", "--reps", "200", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "study.json").read_text())
    stats = doc["stats"]
    assert {a["recipe"] for a in stats["aggregates"]} == {"adamw", "sgd-cosine"}
    (pair,) = stats["pairs"]
    printed = " ".join(proc.stdout.split())   # rich wraps lines
    assert not pair["decided"] and " ".join(pair["verdict"].split()) in printed
    assert "IQM [95% CI]" in printed and "not decided" in printed
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "Probability of improvement" in page
    assert "<script" not in page


def test_study_without_rliable_keeps_the_classic_columns(healthy_job, tmp_path, monkeypatch):
    from danfang.tools import study as study_mod

    monkeypatch.setattr(study_mod, "stats_available", lambda: "rliable missing: pip install 'danfang[stats]'")
    rows = study_mod.study(healthy_job, grid="adamw,sgd-cosine", seeds=2, out=tmp_path / "s", epochs=1)
    doc = json.loads((tmp_path / "s" / "study.json").read_text())
    assert "stats" not in doc and "danfang[stats]" in doc["stats_missing"]
    assert {r.recipe for r in rows} == {"adamw", "sgd-cosine"}
    assert "Recipes over 2 seeds" in (tmp_path / "s" / "report.html").read_text()


def test_study_rejects_too_few_reps(healthy_job, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "danfang", "study", str(healthy_job), "--reps", "5", "--out",
                           str(tmp_path / "s")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--reps must be >= 100" in proc.stderr and "Traceback" not in proc.stderr
