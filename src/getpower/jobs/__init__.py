"""Durable background jobs: every import, evaluation, tick, report and publication is a ``Job`` row
(status, progress, log, duration, who started it), run by ``getpower worker`` (django-q2 with its ORM
broker: the queue lives in the platform's own database, SQLite or PostgreSQL, with no other server).

``registry`` maps a job kind to its function (apps register theirs in ``AppConfig.ready()``);
``services.enqueue`` queues one, ``services.track`` records work a process does itself (the command
line); ``evaluations`` makes findings follow the data (``ledger_changed`` → one coalesced evaluation per
rule that reads the ledger) and schedules the daily evaluation and the filings tick.
"""
