"""Benchmarks and data generators: they print figures and are not pass/fail tests.
Run them with `flask --app wsgi bench ...`."""
