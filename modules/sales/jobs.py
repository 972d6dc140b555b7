"""Scheduled jobs of the sales module (declared in manifest.toml)."""
from . import analysis, services


def reclaim_idle_leads() -> str:
    return services.reclaim_idle_leads()


def grade_customers() -> str:
    return analysis.grade_customers()
