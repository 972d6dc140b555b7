"""Scheduled jobs of the billing module (declared in manifest.toml)."""
from . import receivables


def remind_overdue() -> str:
    return receivables.remind_overdue()
