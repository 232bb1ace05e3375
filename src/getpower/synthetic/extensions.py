"""Later issues extend the demo generator here: each step is (structure, say) → None, run in order."""

STEPS: list = []
