"""Each loop check through ``danfang.Monitor``: the planted-fault loops written for the loop
observer (tests/loop/test_loop_checks.py) and for ``danfang watch`` (tests/loop/scripts, the
cases of tests/loop/test_value_checks.py), rerun with a Monitor added as a user adds it
(:class:`tests.integrations.monitor_shim.MonitorShim`). Each planted fault fires its code,
each healthy twin draws no warning or error."""

from __future__ import annotations

import pytest

import tests.loop.test_loop_checks as planted_loops
from danfang.watch.script import run_script
from tests.integrations.monitor_shim import MonitorShim
from tests.loop.test_value_checks import HEALTHY, PLANTED, SCRIPTS


@pytest.fixture
def through_monitor(monkeypatch):
    """The observer-based tests, with the Monitor in the observer's place."""
    monkeypatch.setattr(planted_loops, "LoopObserver", MonitorShim)


#: (test of tests/loop/test_loop_checks.py, its arguments): planted and healthy cases alike
OBSERVER_CASES = [
    ("test_grad_not_cleared", (True,)), ("test_grad_not_cleared", (False,)),
    ("test_deliberate_accumulation_is_not_grad_not_cleared", (True,)),
    ("test_deliberate_accumulation_is_not_grad_not_cleared", (False,)),
    ("test_step_in_eval_mode", (True,)), ("test_step_in_eval_mode", (False,)),
    ("test_eval_in_train_mode", (True,)), ("test_eval_in_train_mode", (False,)),
    ("test_optimizer_not_holding_model", (True,)), ("test_optimizer_not_holding_model", (False,)),
    ("test_new_head_after_optimizer_names_the_unheld_layer", ()),
    ("test_step_changes_nothing", ("frozen",)), ("test_step_changes_nothing", ("lr0",)),
    ("test_step_changes_nothing", (None,)),
    ("test_loss_shape_broadcast", (True,)), ("test_loss_shape_broadcast", (False,)),
]


@pytest.mark.parametrize("name,args", OBSERVER_CASES, ids=[f"{n[5:]}-{a}" for n, a in OBSERVER_CASES])
def test_observer_planted_loops_through_the_monitor(through_monitor, name, args):
    getattr(planted_loops, name)(*args)


def test_healthy_observer_loop_through_the_monitor_is_quiet(through_monitor):
    obs = planted_loops._train(eval_every=10)
    assert obs.monitor is not None
    assert obs.findings == [], [(f.code, f.message) for f in obs.findings]


def _monitored_script(script: str, argv: list[str]) -> MonitorShim:
    with MonitorShim(cadence=10) as shim:
        status = run_script(SCRIPTS / script, argv)
    assert status == 0
    assert shim.monitor is not None, "the script never called backward()"
    return shim


@pytest.mark.parametrize("script,argv,code,severity", PLANTED, ids=[f"{c}-{a[0]}" for _, a, c, _ in PLANTED])
def test_script_planted_fault_fires_in_the_monitor(script, argv, code, severity):
    found = {f.code: f for f in _monitored_script(script, argv).findings}
    assert code in found, [(f.code, f.message) for f in found.values()]
    assert found[code].severity == severity
    assert found[code].fix and found[code].evidence


@pytest.mark.parametrize("script,argv", HEALTHY, ids=[f"{s[:-3]}-{'-'.join(a) or 'plain'}" for s, a in HEALTHY])
def test_script_healthy_twin_is_quiet_in_the_monitor(script, argv):
    loud = [(f.code, f.message) for f in _monitored_script(script, argv).findings if f.severity != "info"]
    assert loud == []
