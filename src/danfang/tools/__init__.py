"""Tools that sit on top of the engine: the learning-rate finder (more to come)."""
