"""Later issues extend the demo generator here: each step is (structure, say) → None, run in order."""

from .applications import demo_applications_step
from .arrears import demo_arrears_step
from .filings_demo import demo_filings_step
from .governance_demo import demo_governance_step
from .outages import demo_outages_step
from .runs_demo import demo_evaluations_step

STEPS: list = [demo_outages_step, demo_governance_step, demo_applications_step, demo_arrears_step,
               demo_evaluations_step, demo_filings_step]
