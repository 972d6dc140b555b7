"""Fixture module: its access table names a model nobody defines."""
