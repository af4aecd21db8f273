"""TenderWatch's monitor: classification, matching, alerts, scheduler, CLI and config loading."""

__version__ = "0.1.0"
