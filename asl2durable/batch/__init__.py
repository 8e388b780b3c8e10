"""Batches of inputs: what ``validate``, ``convert`` and ``report`` do, as a library.

``validate_batch``, ``convert_batch`` and ``report_batch`` take PATH arguments (files, folders,
inline JSON; or ``discover``'s inputs) and return typed results (``results``): one record per
input with its diagnostics as data. An unexpected exception fails that input only
(``INTERNAL_ERROR``), and a template whose machines all translate gets one more record, its
rewrite's. With ``jobs`` > 1 (0: one per CPU) the inputs are processed in forked worker
processes (``pool``); the records come back in input order, as with one job. While a batch runs,
SIGTERM unwinds like Ctrl-C: the workers are terminated and folders being written removed
(exit 143). ``inputs`` reads the arguments the commands share (placeholder values, --lambda,
--seed, the one machine ``run`` and ``verify`` take).

Importing this package imports only the standard library: the pipeline is imported when a batch
runs (the command line's start-up time counts).
"""

from __future__ import annotations

from asl2durable.batch.convert import convert_batch, validate_batch
from asl2durable.batch.inputs import (
    aws_seed,
    discover,
    lambdas,
    load_item,
    load_one,
    one_machine,
    option_type,
    parse_json_argument,
    parse_seed,
    substitution_values,
)
from asl2durable.batch.reports import machine_inputs, report_batch, unused_inputs, workflow_type
from asl2durable.batch.results import (
    Checked,
    Converted,
    ConvertResult,
    Failed,
    ReportResult,
    Skipped,
    UsageError,
    ValidateResult,
)

__all__ = [
    "Checked",
    "ConvertResult",
    "Converted",
    "Failed",
    "ReportResult",
    "Skipped",
    "UsageError",
    "ValidateResult",
    "aws_seed",
    "convert_batch",
    "discover",
    "lambdas",
    "load_item",
    "load_one",
    "machine_inputs",
    "one_machine",
    "option_type",
    "parse_json_argument",
    "parse_seed",
    "report_batch",
    "substitution_values",
    "unused_inputs",
    "validate_batch",
    "workflow_type",
]
