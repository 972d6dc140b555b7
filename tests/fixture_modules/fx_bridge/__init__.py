"""Fixture auto_install module: no code of its own."""
