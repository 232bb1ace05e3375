"""Job kinds → the functions that run them. Each app registers its kinds in ``AppConfig.ready()``
(``ledgers``: import; ``filings``: tick; the jobs app itself: evaluate, which reads the rule-domain
registry), so this package imports no domain.

A task function takes the ``Job`` (its ``args``) and a ``Progress`` to report to, and returns the JSON
result; it raises ``JobRejected`` for a failure that a retry cannot mend (the reason is shown as it is)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class JobRejected(Exception):
    """The job cannot succeed as asked (invalid file, unknown rule): failed at once, never retried."""


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[..., dict | None]
    # called once a job of this kind ends for good (succeeded, failed, or abandoned after its last
    # attempt), e.g. to remove the uploaded file or mark the import's own record failed
    finished: Callable[[Any], None] | None = None
    retry: bool = True  # a job interrupted by a crash runs again (its writes are one transaction)


_KINDS: dict[str, Kind] = {}


def register(name: str, run: Callable[..., dict | None], *, finished: Callable[[Any], None] | None = None,
             retry: bool = True) -> Kind:
    kind = _KINDS[name] = Kind(name, run, finished, retry)
    return kind


def get(name: str) -> Kind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"未登记的任务类型“{name}”") from None


def registered() -> tuple[str, ...]:
    return tuple(_KINDS)
