"""Later issues extend the demo generator here: each step is (structure, say) → None, run in order."""

from .governance_demo import demo_governance_step
from .outages import demo_outages_step

STEPS: list = [demo_outages_step, demo_governance_step]
