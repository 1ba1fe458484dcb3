"""The "look at the data" view for the report. (Filled in by the data-audit work.)"""

from __future__ import annotations

from typing import Any


def data_view(job: Any, findings: list) -> dict[str, Any]:
    return {"kind": "none"}
