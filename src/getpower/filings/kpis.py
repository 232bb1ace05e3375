"""What the cockpit reads from the filing centre (docs/cockpit.md): the on-time filing rate."""

from .services import on_time_rate

__all__ = ["on_time_rate"]
