"""The training engine: named events, state, callbacks, and the trainer that runs them."""

from danfang.engine.callback import Callback
from danfang.engine.engine import Engine
from danfang.engine.events import Event
from danfang.engine.state import State

__all__ = ["Callback", "Engine", "Event", "State"]
