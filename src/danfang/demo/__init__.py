"""Job files shipped with danfang (used by ``danfang demo`` and as examples)."""

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
DEMO_JOB = DEMO_DIR / "mnist1d_cnn.py"
