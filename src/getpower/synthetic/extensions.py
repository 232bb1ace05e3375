"""Later issues extend the demo generator here: each step is (structure, say) → None, run in order."""

from .outages import demo_outages_step

STEPS: list = [demo_outages_step]
