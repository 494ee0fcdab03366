"""Engines: pure functions of the model that return result records."""
