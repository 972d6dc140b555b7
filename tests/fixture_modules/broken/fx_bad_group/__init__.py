"""Fixture module: its access table is of a group nobody declares."""
