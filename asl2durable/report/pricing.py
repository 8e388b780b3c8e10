"""What a machine's executions would cost on Step Functions and as a durable function.

The prices are in one place, :data:`DEFAULT`, each with the published page it was read from and
the date it was read (US East (N. Virginia) list prices, first tier, before free tiers). No
network: change them with :meth:`Prices.replace` (``asl2durable report --price-...``).

:func:`estimate` turns the behaviour check's runs (``behaviour.Comparison``, whose ``RunResult``s
carry what each run is billed for) into per-execution averages, each side the sum of its parts:

* **Step Functions, STANDARD**: billed state transitions (``RunResult.transitions``) times the
  transition price.
* **Step Functions, EXPRESS**: one request, plus duration: the execution's billed duration
  (rounded up to 100 ms) times its billed memory (64-MB chunks), at the price per GB-hour. The
  duration is the interpreter's, first to last history event (``RunResult.duration_ms``), plus
  the Wait states and Retry intervals it skipped (``RunResult.skipped_seconds``): an Express
  execution is billed while it waits. The interpreter calls the local stubs, so the time real
  functions and services take is in it only as far as the stubs take it. The memory follows the
  pricing page's estimate: 50 MB plus the definition's size plus the execution data's size
  (``RunResult.data_bytes``) times its Map iterations and Parallel states (at least once).
* **Durable function**: durable operations (the sum of ``RunResult.operations``) times the
  operation price; its invocations (``RunResult.invocations``) times the request price;
  **compute**: each invocation's duration (``RunResult.invocation_ms``, the handler's wall-clock
  time in the local runner: replay, steps, checkpoint calls) rounded up to 1 ms, times the
  function's memory (``deploy.MEMORY_MB``, the template's, or ``memory_mb``), at the price per
  GB-second; **data written** (``RunResult.data_written``: the input, every checkpointed payload
  and error, invoke and callback results, the result) at the price per GB; **data retained**:
  the same data for the retention period after the execution ends (``deploy.DEFAULT_RETENTION_DAYS``,
  the template's), in GB-months, at the price per GB-month.

A Lambda Task that is a chained invoke suspends the durable function while the target runs (no
compute; one more invocation and request to resume it); a Lambda called from a step, and every
service call, keeps it running and billed while the call runs, of which the local runs see only
the stubs' time.
:attr:`Estimate.compute_share` is the compute part of the durable cost.

Not counted on either side: what both sides pay alike (the Lambda functions and AWS services the
Tasks call, data transfer), free tiers, and volume tiers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from asl2durable.render.deploy import DEFAULT_RETENTION_DAYS, MEMORY_MB

__all__ = ["DEFAULT", "Estimate", "Price", "Prices", "estimate", "express_memory_mb"]

EXECUTIONS = 1_000_000  # the "per million executions" figures
GB = 2**30  # bytes; data written and retained
DAYS_PER_MONTH = 365 / 12  # a GB-month: one GB kept for an average month
EXPRESS_INCREMENT_MS = 100  # Express duration is rounded up to the next 100 ms
EXPRESS_CHUNK_MB = 64  # and its memory to the next 64 MB
EXPRESS_BASE_MB = 50  # the pricing page's memory estimate starts at 50 MB
LAMBDA_INCREMENT_MS = 1  # Lambda duration is rounded up to the next millisecond

_THE_CANDID_STARTUP = (
    "the post 'AWS Lambda Durable Functions' (The Candid Startup, 2026-01-12), quoting the AWS Lambda "
    "pricing page"
)


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
    express_request: Price = Price(
        1.00, 1_000_000, "requests (Express workflows)",
        "AWS Step Functions pricing page, Express Workflows pricing details and example, US East (N. Virginia)",
        "2026-12-06",
    )
    express_duration: Price = Price(
        0.06, 1, "GB-hours of duration (Express workflows, first 1,000 GB-hours a month)",
        "AWS Step Functions pricing page, Express Workflows pricing example, US East (N. Virginia)", "2026-12-06",
    )
    operation: Price = Price(
        8.00, 1_000_000, "durable operations",
        "AWS Lambda pricing page, durable functions section", "2026-09-20",
    )
    request: Price = Price(
        0.20, 1_000_000, "Lambda requests (invocations)",
        "AWS Lambda pricing page, requests", "2026-09-20",
    )
    compute: Price = Price(
        0.0000166667, 1, "GB-seconds of Lambda duration (x86, first tier)",
        "AWS Lambda pricing page, duration (x86, first tier; billed per 1 ms), US East (N. Virginia)", "2026-12-06",
    )
    data_written: Price = Price(
        0.25, 1, "GB of durable data written",
        f"{_THE_CANDID_STARTUP}'s durable functions section (the page itself was not readable here)", "2026-12-06",
    )
    data_retained: Price = Price(
        0.15, 1, "GB-months of durable data retained",
        f"{_THE_CANDID_STARTUP}'s durable functions section (the page itself was not readable here)", "2026-12-06",
    )

    def replace(self, *, transition: float | None = None, operation: float | None = None,
                request: float | None = None, source: str = "given on the command line",
                **others: float | None) -> Prices:
        """These prices with some values overridden (same units), by field name; an overridden
        price's source is ``source`` and its date is empty."""
        values = {"transition": transition, "operation": operation, "request": request, **others}
        unknown = set(values) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"no such price: {', '.join(sorted(unknown))}")
        changes = {
            name: dataclasses.replace(getattr(self, name), value=value, source=source, read_on="")
            for name, value in values.items() if value is not None
        }
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name).to_dict() for f in dataclasses.fields(self)}


DEFAULT = Prices()


def express_memory_mb(definition_bytes: int, data_bytes: int, parallel_steps: int) -> int:
    """The billed memory of an Express execution, by the Step Functions pricing page's estimate:
    50 MB + the definition's size + the execution data's size times the number of Parallel or
    Map steps (taken as at least one), rounded up to a 64-MB chunk (sizes in decimal MB, as the
    page's example counts them)."""
    used = EXPRESS_BASE_MB + (definition_bytes + data_bytes * max(1, parallel_steps)) / 1e6
    return math.ceil(used / EXPRESS_CHUNK_MB) * EXPRESS_CHUNK_MB


@dataclass
class Estimate:
    """Per-execution averages over the runs that produced counts, and their cost in US dollars.

    A side's figures are None when none of its runs produced counts; a part is None when its
    quantity was not measured (and the side's total then leaves it out, with a note); ``ratio``
    (durable cost over Step Functions cost) is None when either cost is None or the Step
    Functions cost is 0.
    """

    prices: Prices
    workflow_type: str = "STANDARD"
    step_functions_runs: int = 0  # runs with a transition count
    durable_runs: int = 0  # runs with operation and invocation counts
    memory_mb: int = MEMORY_MB  # the durable function's
    retention_days: int = DEFAULT_RETENTION_DAYS  # the durable function's
    transitions: float | None = None
    step_functions_cost: float | None = None
    operations: float | None = None
    invocations: float | None = None
    durable_cost: float | None = None
    # Express: billed duration (ms) and memory (MB) per execution
    express_billed_ms: float | None = None
    express_memory_mb: float | None = None
    # durable: billed compute (ms, all invocations), GB-seconds, data written (bytes), GB-months retained
    billed_ms: float | None = None
    gb_seconds: float | None = None
    data_written: float | None = None
    gb_months: float | None = None
    # the parts of each side's cost per execution, by name (see to_dict)
    step_functions_parts: dict[str, float | None] = field(default_factory=dict)
    durable_parts: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.durable_cost is None or not self.step_functions_cost:
            return None
        return self.durable_cost / self.step_functions_cost

    @property
    def compute_share(self) -> float | None:
        """The compute part of the durable cost (0..1), None when either is not known."""
        compute = self.durable_parts.get("compute")
        if compute is None or not self.durable_cost:
            return None
        return compute / self.durable_cost

    def to_dict(self) -> dict:
        def million(value: float | None) -> float | None:
            return None if value is None else _round(value * EXECUTIONS)

        return {
            "workflow_type": self.workflow_type,
            "runs": {"step_functions": self.step_functions_runs, "durable": self.durable_runs},
            "memory_mb": self.memory_mb,
            "retention_days": self.retention_days,
            "per_execution": {
                "transitions": _round(self.transitions),
                "step_functions_usd": _round(self.step_functions_cost),
                "durable_operations": _round(self.operations),
                "invocations": _round(self.invocations),
                "durable_usd": _round(self.durable_cost),
                "express_billed_ms": _round(self.express_billed_ms),
                "express_memory_mb": _round(self.express_memory_mb),
                "billed_ms": _round(self.billed_ms),
                "gb_seconds": _round(self.gb_seconds),
                "data_written_bytes": _round(self.data_written),
                "data_retained_gb_months": _round(self.gb_months),
            },
            "per_million_executions": {
                "step_functions_usd": million(self.step_functions_cost),
                "durable_usd": million(self.durable_cost),
            },
            "parts": {
                "step_functions": {
                    name: {"per_execution_usd": _round(usd), "per_million_usd": million(usd)}
                    for name, usd in self.step_functions_parts.items()
                },
                "durable": {
                    name: {"per_execution_usd": _round(usd), "per_million_usd": million(usd)}
                    for name, usd in self.durable_parts.items()
                },
            },
            "compute_share": _round(self.compute_share),
            "ratio": _round(self.ratio),
            "prices": self.prices.to_dict(),
            "notes": list(self.notes),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 10)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


NOT_COUNTED = (
    "not counted: what both sides pay alike (the Lambda functions and services the Tasks call, data "
    "transfer), free tiers and volume tiers"
)
MEASURED_LOCALLY = (
    "durations are measured on this machine, with the local stubs of the Lambda functions and services: "
    "a Lambda function called from a step, or a service call, keeps the durable function running (and "
    "billed) for as long as it runs on AWS, of which these figures see only the stub's time; a chained "
    "invoke suspends the function instead (no compute while the target runs, one more invocation to resume)"
)


def estimate(comparisons: Iterable[Any], prices: Prices = DEFAULT, *, workflow_type: str = "STANDARD",
             memory_mb: int = MEMORY_MB, retention_days: int = DEFAULT_RETENTION_DAYS,
             definition_bytes: int = 0) -> Estimate:
    """The cost estimate from a machine's behaviour check (``behaviour.Comparison`` list).

    Each side is averaged over its own runs that produced counts: ``transitions`` on the Step
    Functions side, ``operations`` and ``invocations`` on the durable side. ``memory_mb`` and
    ``retention_days`` are the durable function's; ``definition_bytes`` is the size of the
    definition, for an Express execution's memory."""
    sfn_runs: list[Any] = []
    durable_runs: list[Any] = []
    for c in comparisons:
        sfn, durable = getattr(c, "step_functions", None), getattr(c, "durable", None)
        if sfn is not None and sfn.transitions is not None:
            sfn_runs.append(sfn)
        if durable is not None and durable.operations is not None and durable.invocations is not None:
            durable_runs.append(durable)
    express = workflow_type.upper() == "EXPRESS"
    result = Estimate(prices, workflow_type.upper(), len(sfn_runs), len(durable_runs), memory_mb, retention_days)
    if sfn_runs:
        result.transitions = _mean([r.transitions for r in sfn_runs])
        if express:
            _price_express(result, sfn_runs, prices, definition_bytes)
        else:
            result.step_functions_parts = {"transitions": prices.transition.cost(result.transitions)}
            result.step_functions_cost = result.step_functions_parts["transitions"]
    if durable_runs:
        _price_durable(result, durable_runs, prices)
    if not sfn_runs and not durable_runs:
        result.notes.append("no run produced counts")
    if durable_runs:
        result.notes.append(MEASURED_LOCALLY)
    result.notes.append(NOT_COUNTED)
    return result


def _price_express(result: Estimate, runs: list[Any], prices: Prices, definition_bytes: int) -> None:
    """Requests and duration x memory; the state transitions are counted, not billed."""
    timed = [r for r in runs if getattr(r, "duration_ms", None) is not None]
    parts: dict[str, float | None] = {"requests": prices.express_request.cost(1), "duration": None}
    if timed:
        billed = [
            math.ceil((r.duration_ms + 1000 * (r.skipped_seconds or 0)) / EXPRESS_INCREMENT_MS) * EXPRESS_INCREMENT_MS
            for r in timed
        ]
        memory = [express_memory_mb(definition_bytes, r.data_bytes or 0, r.parallel_steps or 0) for r in timed]
        gb_hours = [ms / 3_600_000 * mb / 1024 for ms, mb in zip(billed, memory)]
        result.express_billed_ms, result.express_memory_mb = _mean(billed), _mean(memory)
        parts["duration"] = prices.express_duration.cost(_mean(gb_hours))
        skipped = _mean([r.skipped_seconds or 0 for r in timed])
        result.notes.append(
            "EXPRESS workflow: billed per request and for duration x memory, not per state transition; the "
            "duration is the interpreter's (first to last history event) plus the Wait states and Retry "
            f"intervals it skipped ({skipped:g} s per execution on average), rounded up to 100 ms; the memory "
            "is the pricing page's estimate (50 MB + definition + execution data x Map/Parallel steps, in "
            "64-MB chunks)"
        )
        if max(b for b in billed) > 300_000:
            result.notes.append("EXPRESS workflow: some executions last longer than the 5 minutes an Express execution may run")
    else:
        result.notes.append("EXPRESS workflow: no run measured its duration, so the duration part is not priced")
    result.step_functions_parts = parts
    result.step_functions_cost = sum(v for v in parts.values() if v is not None)


def _price_durable(result: Estimate, runs: list[Any], prices: Prices) -> None:
    """Operations, requests, compute, data written and retained."""
    result.operations = _mean([sum(r.operations.values()) for r in runs])
    result.invocations = _mean([r.invocations for r in runs])
    parts: dict[str, float | None] = {
        "operations": prices.operation.cost(result.operations),
        "requests": prices.request.cost(result.invocations),
        "compute": None,
        "data_written": None,
        "data_retained": None,
    }
    timed = [r.invocation_ms for r in runs if getattr(r, "invocation_ms", None)]
    if timed:
        result.billed_ms = _mean([
            sum(math.ceil(ms / LAMBDA_INCREMENT_MS) * LAMBDA_INCREMENT_MS for ms in each) for each in timed
        ])
        result.gb_seconds = result.billed_ms / 1000 * result.memory_mb / 1024
        parts["compute"] = prices.compute.cost(result.gb_seconds)
    else:
        result.notes.append("no durable run measured its invocations' duration, so compute is not priced")
    written = [r.data_written for r in runs if getattr(r, "data_written", None) is not None]
    if written:
        result.data_written = _mean(written)
        result.gb_months = result.data_written / GB * result.retention_days / DAYS_PER_MONTH
        parts["data_written"] = prices.data_written.cost(result.data_written / GB)
        parts["data_retained"] = prices.data_retained.cost(result.gb_months)
        result.notes.append(
            f"data retained: what was written, for the {result.retention_days}-day retention period after the "
            "execution ends; the time it is kept while the execution runs is not counted"
        )
    else:
        result.notes.append("no durable run measured its data written, so data written and retained are not priced")
    result.durable_parts = parts
    result.durable_cost = sum(v for v in parts.values() if v is not None)
