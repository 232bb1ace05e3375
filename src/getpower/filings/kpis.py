"""What the cockpit reads from the filing centre (docs/cockpit.md): the filings due and handed in on time, per county."""

from .services import on_time_counts

__all__ = ["on_time_counts"]
