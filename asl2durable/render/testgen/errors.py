"""Retries and Catch routes: the error names a stub raises to take each retrier and catcher,
and how many attempts a state makes."""

from __future__ import annotations

from typing import Any

from asl2durable.render.testgen.model import CATCH_ALL_ERROR, MAX_ATTEMPTS
from asl2durable.render.testgen.support import _runtime_helpers

_WILDCARDS = ("States.ALL", "States.TaskFailed")


def _retry_failures(retriers: list) -> list[tuple]:
    """For each retrier, the errors of a stub that fails every attempt with the names that
    retrier takes (and no earlier one), in turn: the test shows that each name is retried and
    that the stub is called 1 + MaxAttempts times; and, when the retriers do not take every
    error, an error they do not match (called once: not retried)."""
    out = []
    for i, retrier in enumerate(retriers):
        names = [n for n in retrier.error_equals if n not in _WILDCARDS and not any(_matches(n, r.error_equals) for r in retriers[:i])]
        if not names:
            name = _catch_name(retriers, i)
            if name is None:
                continue
            names = [name]
        tries = 1 + retrier.max_attempts
        out.append(tuple(names[k % len(names)] for k in range(tries)) if len(names) > 1 and tries <= MAX_ATTEMPTS else (names[0],))
    if retriers and not any(_matches(CATCH_ALL_ERROR, r.error_equals) for r in retriers):
        out.append((CATCH_ALL_ERROR,))
    return out


def _attempts(retriers: list, names: tuple) -> tuple[int, str]:
    """How many attempts a state makes when attempt k fails with ``names[k]`` (the last name
    repeating), and the error it then fails with, as its Retry decides (a retrier's MaxAttempts
    counts the retries it made)."""
    made = [0] * len(retriers)
    attempt = 0
    while True:
        name = names[min(attempt, len(names) - 1)]
        i = next((j for j, r in enumerate(retriers) if _matches(name, r.error_equals)), None)
        if i is None or made[i] >= retriers[i].max_attempts:
            return attempt + 1, name
        if attempt >= len(names) - 1:  # the same name from here on: the rest of its retries at once
            return attempt + 1 + retriers[i].max_attempts - made[i], name
        made[i] += 1
        attempt += 1


def _catch_name(catchers: list, i: int) -> str | None:
    """The error a stub raises to reach catcher ``i`` (None: earlier catchers take every name)."""
    catcher = catchers[i]
    options = [n for n in catcher.error_equals if n not in ("States.ALL", "States.TaskFailed", "States.Runtime")]
    for name in [*options, CATCH_ALL_ERROR]:
        if _matches(name, catcher.error_equals) and not any(_matches(name, c.error_equals) for c in catchers[:i]):
            return name
    return None


def _matches(name: str, error_equals: Any) -> bool:
    return _runtime_helpers().error_matches(name, list(error_equals))
