"""Scheduled jobs of the billing module (declared in manifest.toml)."""
from . import services


def remind_overdue() -> str:
    return services.remind_overdue()
