"""The loop checks that read loss calls (``danfang.loop.window``), run through ``danfang watch``
on small unmodified scripts (tests/loop/scripts): each planted fault fires its code, and each
healthy twin draws no warning or error at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from danfang.watch.runner import watch_script

SCRIPTS = Path(__file__).parent / "scripts"

#: (script, argv, the code that must fire, its severity)
PLANTED = [
    ("logits_losses.py", ["softmax_ce"], "probabilities_to_logit_loss", "error"),
    ("logits_losses.py", ["nll_raw"], "probabilities_to_logit_loss", "error"),
    ("logits_losses.py", ["sigmoid_bce"], "probabilities_to_logit_loss", "warning"),
    ("regression_targets.py", ["onehot_mse"], "loss_unsuited_to_targets", "warning"),
    ("regression_targets.py", ["label_mse"], "loss_unsuited_to_targets", "warning"),
    ("regression_targets.py", ["relu_out"], "output_range_unreachable", "error"),
    ("regression_targets.py", ["sigmoid_out", "--l1"], "output_range_unreachable", "error"),
    ("regression_targets.py", ["tanh_out"], "output_range_unreachable", "error"),
    ("accumulation.py", ["unscaled"], "accumulation_unscaled", "warning"),
    ("accumulation.py", ["adam_unscaled"], "accumulation_unscaled", "info"),
    ("batch_order.py", ["sorted"], "unshuffled_batches", "warning"),
    ("batch_order.py", ["binary_sorted"], "unshuffled_batches", "warning"),
    ("label_alignment.py", ["misaligned"], "labels_misaligned", "error"),
    ("label_shuffle.py", ["shuffled_apart"], "labels_misaligned", "warning"),
]

HEALTHY = [
    ("logits_losses.py", []), ("logits_losses.py", ["--nll"]), ("logits_losses.py", ["--binary"]),
    ("regression_targets.py", []), ("regression_targets.py", ["--l1"]), ("regression_targets.py", ["relu_ok"]),
    ("regression_targets.py", ["counts_many"]), ("accumulation.py", []), ("accumulation.py", ["lbfgs"]),
    ("batch_order.py", []), ("label_alignment.py", []), ("label_shuffle.py", []),
]


def _watch(tmp_path: Path, script: str, argv: list[str]):
    return watch_script(SCRIPTS / script, argv, tmp_path / "out")


@pytest.mark.parametrize("script,argv,code,severity", PLANTED, ids=[f"{c}-{a[0]}" for _, a, c, _ in PLANTED])
def test_planted_fault_fires(tmp_path, script, argv, code, severity):
    result = _watch(tmp_path, script, argv)
    assert result.status == 0
    found = {f.code: f for f in result.findings}
    assert code in found, [(f.code, f.message) for f in result.findings]
    assert found[code].severity == severity
    assert found[code].fix and found[code].evidence


@pytest.mark.parametrize("script,argv", HEALTHY, ids=[f"{s[:-3]}-{'-'.join(a) or 'plain'}" for s, a in HEALTHY])
def test_healthy_twin_is_quiet(tmp_path, script, argv):
    result = _watch(tmp_path, script, argv)
    assert result.status == 0
    loud = [(f.code, f.message) for f in result.findings if f.severity != "info"]
    assert loud == []


def test_functional_losses_are_seen_in_the_loss_window(tmp_path):
    result = _watch(tmp_path, "label_alignment.py", [])
    summary = result.summary
    assert summary["losses"].get("cross_entropy", 0) > 0
    assert summary["loss_curve"], "the sampled steps of a functional-loss loop give a loss curve"


def test_window_leaves_no_mode_behind():
    import torch

    from danfang.loop import LoopObserver

    before = torch._C._len_torch_function_stack()
    with LoopObserver():
        model = torch.nn.Linear(4, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        torch.nn.functional.cross_entropy(model(torch.randn(8, 4)), torch.zeros(8, dtype=torch.long)).backward()
        assert torch._C._len_torch_function_stack() == before + 1   # a sampled step: the window is open
        opt.step()
        assert torch._C._len_torch_function_stack() == before       # closed after the step
    assert torch._C._len_torch_function_stack() == before


def test_a_failing_hook_never_breaks_the_program(monkeypatch):
    import torch

    from danfang.loop import LoopObserver

    def broken(*args):
        raise RuntimeError("planted observer bug")

    obs = LoopObserver()
    monkeypatch.setattr(obs, "_post_step", broken)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with obs:
        for _ in range(3):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(torch.randn(8, 4)), torch.randn(8, 2)).backward()
            opt.step()  # the planted bug fires here; the loop must go on
    assert any("planted observer bug" in n for n in obs.notes)
    assert torch.Tensor.backward.__name__ == "backward" and not hasattr(torch.Tensor.backward, "__wrapped__")


def test_parameterless_transforms_are_not_models():
    import torch

    from danfang.loop import LoopObserver

    with LoopObserver() as obs:
        torch.nn.Identity()(torch.randn(3))
        torch.nn.Linear(2, 2)(torch.randn(1, 2))
    assert [m.name for m in obs.record.models.values()] == ["Linear"]


def test_the_loss_curve_stays_bounded_in_memory_on_long_runs():
    import torch

    from danfang.loop import LoopObserver

    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with LoopObserver(training_checks=False) as obs:
        for _ in range(700):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(torch.randn(8, 4)).squeeze(1), torch.randn(8)).backward()
            opt.step()
        assert len(obs._curve_pending) < 256
    s = obs.summary()
    assert s["loss_curve_steps"][-1] == 700 and len(s["loss_curve"]) <= 1000


@pytest.mark.parametrize("ratio,plain", [(1.0, True), (0.25, True), (1 / 3, True), (65536.0, True),
                                         (1.0 + 1e-4, True), (1.6, False), (0.7, False), (12.3, False)])
def test_a_backward_of_the_loss_calls_alone_is_told_from_one_with_hand_written_terms(ratio, plain):
    from danfang.loop.observer import _plain_ratio

    assert _plain_ratio(ratio) == plain
