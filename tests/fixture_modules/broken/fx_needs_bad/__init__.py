"""Fixture module: valid itself, but it depends on fx_bad_menu."""
