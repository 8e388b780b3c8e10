"""What a machine's executions would cost on Step Functions and as a durable function.

The prices are in one place, :data:`DEFAULT`, each with the published page it was read from and
the date it was read (US East (N. Virginia) list prices, before free tiers). No network: change
them with :meth:`Prices.replace` (``asl2durable report --price-...``).

:func:`estimate` turns the behaviour check's runs (``behaviour.Comparison``, whose ``RunResult``s
carry the counts) into per-execution averages:

* Step Functions: billed state transitions (``RunResult.transitions``) times the Standard
  workflow transition price. **Express workflows** are billed per request and duration, which
  is not modelled: for a machine of type EXPRESS the figure is what the same executions would
  cost as a Standard workflow, and the estimate says so in ``notes``.
* Durable: durable operations (the sum of ``RunResult.operations``) times the durable operation
  price, plus the function's invocations (``RunResult.invocations``) times the Lambda request
  price.

Not counted on either side: Lambda compute (GB-seconds) of the durable function itself, the
durable functions' data written and retained charges, and what both sides pay alike (the Lambda
functions and AWS services the Tasks call, data transfer).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT", "Estimate", "Price", "Prices", "estimate"]

EXECUTIONS = 1_000_000  # the "per million executions" figures


@dataclass(frozen=True)
class Price:
    """``value`` US dollars per ``per`` units of ``unit``, as published on ``source`` (read on ``read_on``)."""

    value: float
    per: int
    unit: str
    source: str
    read_on: str  # ISO date

    def cost(self, quantity: float) -> float:
        """The price of ``quantity`` units, in US dollars."""
        return self.value * quantity / self.per

    def to_dict(self) -> dict:
        return {"usd": self.value, "per": self.per, "unit": self.unit, "source": self.source, "read_on": self.read_on}


@dataclass(frozen=True)
class Prices:
    transition: Price = Price(
        0.025, 1_000, "state transitions (Standard workflows)",
        "AWS Step Functions pricing page, Standard workflows, US East (N. Virginia)", "2026-11-27",
    )
    operation: Price = Price(
        8.00, 1_000_000, "durable operations",
        "AWS Lambda pricing page, durable functions section", "2026-09-20",
    )
    request: Price = Price(
        0.20, 1_000_000, "Lambda requests (invocations)",
        "AWS Lambda pricing page, requests", "2026-09-20",
    )

    def replace(self, *, transition: float | None = None, operation: float | None = None,
                request: float | None = None, source: str = "given on the command line") -> Prices:
        """These prices with some values overridden (same units); an overridden price's
        source is ``source`` and its date is empty."""
        changes = {}
        for name, value in (("transition", transition), ("operation", operation), ("request", request)):
            if value is not None:
                changes[name] = dataclasses.replace(getattr(self, name), value=value, source=source, read_on="")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {"transition": self.transition.to_dict(), "operation": self.operation.to_dict(),
                "request": self.request.to_dict()}


DEFAULT = Prices()


@dataclass
class Estimate:
    """Per-execution averages over the runs that produced counts, and their cost in US dollars.

    A side's figures are None when none of its runs produced counts; ``ratio`` (durable cost
    over Step Functions cost) is None when either cost is None or the Step Functions cost is 0.
    """

    prices: Prices
    workflow_type: str = "STANDARD"
    step_functions_runs: int = 0  # runs with a transition count
    durable_runs: int = 0  # runs with operation and invocation counts
    transitions: float | None = None
    step_functions_cost: float | None = None
    operations: float | None = None
    invocations: float | None = None
    durable_cost: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.durable_cost is None or not self.step_functions_cost:
            return None
        return self.durable_cost / self.step_functions_cost

    def to_dict(self) -> dict:
        def million(value: float | None) -> float | None:
            return None if value is None else _round(value * EXECUTIONS)

        return {
            "workflow_type": self.workflow_type,
            "runs": {"step_functions": self.step_functions_runs, "durable": self.durable_runs},
            "per_execution": {
                "transitions": _round(self.transitions),
                "step_functions_usd": _round(self.step_functions_cost),
                "durable_operations": _round(self.operations),
                "invocations": _round(self.invocations),
                "durable_usd": _round(self.durable_cost),
            },
            "per_million_executions": {
                "step_functions_usd": million(self.step_functions_cost),
                "durable_usd": million(self.durable_cost),
            },
            "ratio": _round(self.ratio),
            "prices": self.prices.to_dict(),
            "notes": list(self.notes),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 10)


NOT_COUNTED = (
    "not counted: the durable function's Lambda compute (GB-seconds), durable data written and "
    "retained, and what both sides pay alike (the Lambda functions and services the Tasks call)"
)


def estimate(comparisons: Iterable[Any], prices: Prices = DEFAULT, *, workflow_type: str = "STANDARD") -> Estimate:
    """The cost estimate from a machine's behaviour check (``behaviour.Comparison`` list).

    Each side is averaged over its own runs that produced counts: ``transitions`` on the Step
    Functions side, ``operations`` and ``invocations`` on the durable side."""
    transitions: list[int] = []
    operations: list[int] = []
    invocations: list[int] = []
    for c in comparisons:
        sfn, durable = getattr(c, "step_functions", None), getattr(c, "durable", None)
        if sfn is not None and sfn.transitions is not None:
            transitions.append(sfn.transitions)
        if durable is not None and durable.operations is not None and durable.invocations is not None:
            operations.append(sum(durable.operations.values()))
            invocations.append(durable.invocations)
    result = Estimate(prices, workflow_type.upper(), len(transitions), len(operations))
    if transitions:
        result.transitions = sum(transitions) / len(transitions)
        result.step_functions_cost = prices.transition.cost(result.transitions)
    if operations:
        result.operations = sum(operations) / len(operations)
        result.invocations = sum(invocations) / len(invocations)
        result.durable_cost = prices.operation.cost(result.operations) + prices.request.cost(result.invocations)
    if result.workflow_type == "EXPRESS":
        result.notes.append(
            "EXPRESS workflow: Express is billed per request and duration, which this estimate does not "
            "model; the Step Functions cost is that of the same executions as a Standard workflow "
            "(state transitions only)"
        )
    if not transitions and not operations:
        result.notes.append("no run produced counts")
    result.notes.append(NOT_COUNTED)
    return result
