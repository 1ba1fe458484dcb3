"""Property-based fuzzing of the settings and the job loader (issue 13): whatever a job file
holds, loading it either gives a valid job or a DanfangError with exit code 2, never another
exception, a traceback or the end of the process. Validation and loading only: no training."""

from __future__ import annotations

import itertools
import pickle
import textwrap

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="pip install hypothesis")
from hypothesis import HealthCheck, given, settings as run_settings, strategies as st  # noqa: E402

from danfang.errors import DanfangError  # noqa: E402
from danfang.job import Job, load_job  # noqa: E402
from danfang.settings import SETTINGS, check_settings, validate_settings  # noqa: E402

FUZZ = run_settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.sampled_from(["auto", "cpu", "cuda:1", "val_acc", "epoch", "flip", "fp32",
                                          "classification", "regression", "True", "0.1", "-1"]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
KEYS = st.one_of(st.sampled_from(sorted(SETTINGS)), st.text(max_size=10), st.integers(-3, 3))
SETTINGS_DICTS = st.dictionaries(KEYS, VALUES, max_size=6)
RAW_SETTINGS = st.one_of(st.just({}), st.just({"batch_size": 16, "epochs": 2}), SETTINGS_DICTS, st.none(), st.lists(st.integers(), max_size=2),
                         st.integers(), st.text(max_size=5))


@FUZZ
@given(RAW_SETTINGS)
def test_settings_are_valid_or_a_value_error(raw):
    try:
        out = validate_settings(raw)
    except ValueError as exc:
        assert str(exc)
        return
    assert set(out) == set(SETTINGS)
    check_settings(out)  # what it accepted, it accepts again


PRELUDE = "import torch\nfrom torch import nn\nimport numpy as np\n"
MODELS = [
    "def model():\n    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))",
    "def model():\n    return nn.Linear(4, 3)",                       # wrong input width
    "def model():\n    return None",
    "def model():\n    raise RuntimeError('model boom')",
    "def model():\n    import sys; sys.exit(0)",
    "def model():\n    import os; os._exit(1)",
    "def model():\n    raise KeyboardInterrupt",
    "def model():\n    return nn.Identity()",                         # no parameters
    "model = nn.Linear(8, 3)",
    "",
]
GOOD_DATA = ("    g = torch.Generator().manual_seed(0)\n"
             "    def split(n):\n"
             "        y = torch.randint(0, 3, (n,), generator=g)\n"
             "        return torch.randn(n, 8, generator=g), y\n")
DATAS = [
    "def data():\n" + GOOD_DATA + "    return split(64), split(32)",
    "def data():\n" + GOOD_DATA + "    return split(64), split(32), split(16)",
    "def data():\n" + GOOD_DATA + "    return split(64)",
    "def data():\n" + GOOD_DATA + "    return split(64), (torch.randn(0, 8), torch.zeros(0).long())",
    "def data():\n" + GOOD_DATA + "    return split(64), (torch.randn(5, 8), torch.zeros(4).long())",
    "def data():\n" + GOOD_DATA + "    return split(64), (torch.randn(5, 8), -torch.ones(5).long())",
    "def data():\n" + GOOD_DATA + "    x, y = split(64)\n    return (x, y.float() + 0.5), split(32)",
    "def data():\n" + GOOD_DATA + "    return (np.random.rand(64, 8), np.zeros(64, dtype=int)), split(32)",
    "def data():\n    return (['a', 'b'], [0, 1]), (['c'], [1])",
    "def data():\n    return None",
    "def data():\n    raise OSError('no such data')",
    "def data():\n    raise KeyboardInterrupt",
    "def data():\n    import sys; sys.exit(3)",
    "class D(torch.utils.data.Dataset):\n    def __getitem__(self, i):\n        raise IndexError(i)\n"
    "    def __len__(self):\n        return 10\ndef data():\n    return D(), D()",
    "",
]
EXTRAS = [
    "", "def loss():\n    return nn.MSELoss()", "def loss():\n    return 3", "loss = 5",
    "def optimizer(params):\n    return torch.optim.SGD(params, lr=0.1)",
    "def optimizer(params):\n    return 'sgd'", "def optimizer(params):\n    raise ValueError('opt boom')",
    "def scheduler(opt):\n    return None", "import sys\nsys.exit(4)", "raise KeyboardInterrupt",
    "import os\nos._exit(5)", "def model(:", "x = 1 +",
]
counter = itertools.count()


@FUZZ
@given(model=st.sampled_from(MODELS), data=st.sampled_from(DATAS), extra=st.sampled_from(EXTRAS),
       raw=RAW_SETTINGS, junk=st.tuples(st.integers(0, 5), st.text(max_size=20)),
       good=st.integers(0, 2))
def test_a_job_file_loads_or_is_a_danfang_error_with_exit_2(tmp_path_factory, model, data, extra, raw, junk, good):
    if good == 0:  # a third of the jobs are healthy but for their settings
        model, data, extra, junk = MODELS[0], DATAS[0], "", (1, "")
    folder = tmp_path_factory.mktemp("fuzz", numbered=True)
    source = "\n\n".join([PRELUDE, model, data, extra,
                          f"settings = __import__('pickle').loads({pickle.dumps(raw)!r})",
                          junk[1] if junk[0] == 0 else ""])
    path = folder / f"job{next(counter)}.py"
    path.write_text(textwrap.dedent(source) + "\n", encoding="utf-8")
    try:
        job = load_job(path)
    except DanfangError as exc:
        assert exc.exit_code == 2 and str(path) in str(exc), str(exc)
        hypothesis.event(f"refused: {getattr(exc, 'function', None)}: {str(exc).split(': ', 1)[-1][:40]}")
        return
    hypothesis.event("loaded")
    assert isinstance(job, Job)
    check_settings(job.settings)
