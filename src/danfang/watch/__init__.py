"""``danfang watch SCRIPT [ARGS...]``: an unmodified training script, with the doctor attached."""

from danfang.watch.runner import WatchResult, watch_script

__all__ = ["WatchResult", "watch_script"]
