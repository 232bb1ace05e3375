"""The rule-domain contract: every rule domain (R2, R3, R4, and wave 2's R6–R11) is one
declaration (``registry.RuleDomain``) registered by its own app in ``AppConfig.ready()``.

The faces — the command line, the API, the cockpit, the job queue, the rulebook page — read the
registry; no domain imports a face. ``runs`` keeps every evaluation run's bookkeeping and sends
``signals.run_stored`` when a run is stored, which the cockpit subscribes to.
"""
