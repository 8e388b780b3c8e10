"""Command line: ``asl2durable validate | convert | report | run | verify``: arguments and printing
only (the work: ``batch``, ``local``, ``verify``). Exit codes: 0 success, 1 an input is invalid / failed /
did not succeed, 2 usage error; never a traceback for an expected failure. Start-up time counts: this
module imports click and ``batch`` (the standard library only); a command imports what it uses."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from asl2durable import batch


def _options(*decorators: Callable) -> Callable:
    """Several click options as one decorator, in the order given (as they would be stacked)."""
    def decorate(command: Callable) -> Callable:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command
    return decorate


def _parsed(parse: Callable[[str], object]) -> Callable:
    """An option's callback: the value parsed, or what is wrong with it (exit 2)."""
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
        try:
            return None if value is None else parse(value)
        except ValueError as e:
            raise click.BadParameter(str(e)) from None
    return callback


def _jobs_option(verb: str) -> Callable:  # how many processes work on the inputs
    return click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default="one per CPU", help=f"{verb} "
                        "in this many parallel processes (0: one per CPU; 1: in this process); the output is the same.")


OUTPUT_OPTION = functools.partial(click.option, "-o", "--output", "outdir", required=True,
                                  type=click.Path(file_okay=False, path_type=Path))
FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                             help="Report as text lines or as one JSON document.")
WORKFLOW_TYPE_OPTION = click.option(
    "--workflow-type", type=click.Choice(["standard", "express"], case_sensitive=False), default=None,
    help="The state machine's type when the input does not say (a template does): STANDARD runs each "
    "Task's call at most once per attempt, EXPRESS at least once. Default: the template's, else standard.",
)
STRICT_OPTION = click.option("--strict", is_flag=True, help="A WARNING fails an input too, as an ERROR does.")
SUBSTITUTION_OPTIONS = _options(  # values for the definition's ${NAME} placeholders
    click.option("--substitute", "substitute", multiple=True, metavar="NAME=VALUE",
                 help="The value of the definition's ${NAME} placeholder (the text substituted, as "
                 "DefinitionSubstitutions does); over --substitutions and a template's values. Repeatable."),
    click.option("--substitutions", "substitutions_file", type=click.Path(dir_okay=False, path_type=Path),
                 metavar="FILE.json", help="Values for ${NAME} placeholders: a JSON object of NAME: string, number or boolean."),
)
LAMBDA_OPTION = click.option("--lambda", "lambda_specs", metavar="NAME_OR_ARN=FILE.py[:FUNCTION]", multiple=True,
                             help="Serve invocations of a Lambda function with a local Python function (repeatable).")
AWS_OPTIONS = _options(
    click.option("--aws", type=click.Choice(["none", "moto"]), default="none", show_default=True,
                 help="Where AWS service calls go: nowhere special, or moto's in-process emulation (needs moto)."),
    click.option("--seed", metavar="FILE|@FILE|JSON", callback=_parsed(batch.parse_seed),
                 help="With --aws moto: resources to create first (buckets, tables, queues, topics, secrets, activities)."),
)


_note = functools.partial(click.echo, err=True)  # notes about the inputs, on stderr


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="asl2durable")
def main() -> None:
    """Translate AWS Step Functions (Amazon States Language) state machines into
    AWS Lambda durable function handlers."""


def _command(function: Callable) -> click.Command:
    """A command of ``main``: the library's usage errors are click's (exit 2, the option named);
    a ``batch.Failed`` prints its lines on stderr and exits 1."""
    @functools.wraps(function)
    def command(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except batch.UsageError as e:
            raise click.BadParameter(str(e), param_hint=e.option) from None
        except batch.Failed as e:
            for line in e.lines:
                click.echo(line, err=True)
            sys.exit(1)
    return main.command()(command)


@_command
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@_options(FORMAT_OPTION, _jobs_option("Check"), WORKFLOW_TYPE_OPTION, STRICT_OPTION, SUBSTITUTION_OPTIONS)
def validate(paths: tuple[str, ...], fmt: str, **o: Any) -> None:
    """Check state machine definitions (files, folders, or inline JSON).

    Reports every ERROR, WARNING and INFO that convert reports for each state machine (the
    same pipeline, stopping before the code is rendered, and writing nothing), and for each
    template the rewrite's; in text,
    each at FILE:LINE:COLUMN where the input is a text file. Exits 0 when every input is valid,
    1 when any is invalid: has an ERROR, or with --strict a WARNING.
    """
    values = batch.substitution_values(o["substitute"], o["substitutions_file"])
    result = batch.validate_batch(paths, jobs=o["jobs"], workflow_type=o["workflow_type"], strict=o["strict"],
                                  substitutions=values, note=_note if fmt == "text" else None)
    click.echo(json.dumps(result.to_json(), indent=2, default=str) if fmt == "json" else "\n".join(result.lines()))
    sys.exit(0 if result.ok else 1)


@_command
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@OUTPUT_OPTION(help="Folder to write into; each state machine goes to OUTDIR/<name>/.")
@click.option("--force", is_flag=True,
              help="Replace output folders that already exist with other content (default: refuse, OUTPUT_EXISTS).")
@_options(FORMAT_OPTION, _jobs_option("Convert"), WORKFLOW_TYPE_OPTION, STRICT_OPTION, SUBSTITUTION_OPTIONS)
@click.option(
    "--history", "histories", multiple=True, type=click.Path(path_type=Path), metavar="DIR_OR_FILE",
    help="Recorded executions of the (one) state machine converted (get-execution-history's JSON; a folder: "
    "every *.json in it): each becomes a test in test_handler.py that answers every call as recorded and "
    "asserts the calls' payloads, the attempts and the end. Repeatable.",
)
def convert(paths: tuple[str, ...], outdir: Path, fmt: str, **o: Any) -> None:
    """Translate state machine definitions into durable function handlers.

    Each OUTDIR/<name>/ is written atomically. An existing folder with other content is
    left alone (OUTPUT_EXISTS) unless --force; one that already holds exactly the new
    output is left as it is. An input with an ERROR (with --strict, or a WARNING) is not
    written. Exits 0 when every input converted, 1 when any failed (the others are still
    written; the failures are listed again at the end).
    """
    values = batch.substitution_values(o["substitute"], o["substitutions_file"])
    result = batch.convert_batch(paths, outdir, force=o["force"], jobs=o["jobs"], strict=o["strict"],
                                 workflow_type=o["workflow_type"], substitutions=values, histories=o["histories"],
                                 note=_note if fmt == "text" else None)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, default=str))
    else:
        click.echo("\n".join(result.lines()))
        for line in result.failure_lines():  # every input not written, again, with its errors
            click.echo(line, err=True)
    sys.exit(0 if result.ok else 1)


@_command
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@OUTPUT_OPTION(help="Folder to write the report into: index.html and machines/*.html, report.json, report.md.")
@click.option("--format", "formats", type=click.Choice(["html", "json", "md"]), multiple=True,
              help="Write only this format (repeatable); all three by default.")
@click.option(
    "--inputs", "inputs_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of sample execution inputs, per machine: NAME.json (a JSON array of inputs) and/or "
    "NAME/*.json (one input per file). NAME is the machine's name in the report: a definition file's "
    "name without its .asl/.json/.yaml suffixes, or TEMPLATE-LOGICALID for a template's machine. Each machine "
    "with inputs is run on them on moto's Step Functions interpreter and as its translation, "
    "compared, and its cost estimated; a machine without inputs gets no behaviour check.",
)
@_options(LAMBDA_OPTION, AWS_OPTIONS)
@_options(*(click.option(f"--price-{name}", type=click.FloatRange(min=0), metavar=metavar, help=help) for name, metavar, help in (
    ("transition", "USD_PER_1000", "Step Functions Standard price per 1,000 state transitions (default: 0.025)."),
    ("operation", "USD_PER_MILLION", "Lambda durable functions price per million durable operations (default: 8.00)."),
    ("request", "USD_PER_MILLION", "Lambda price per million requests (default: 0.20)."),
    ("compute", "USD_PER_GB_SECOND", "Lambda price per GB-second of duration (default: 0.0000166667)."),
)))
@click.option("--memory", "memory_mb", type=click.IntRange(128, 10_240), metavar="MB",
              help="The durable function's memory size, for its compute cost (default: 128, what the generated "
              "template gives it: Lambda's default).")
@_options(WORKFLOW_TYPE_OPTION, SUBSTITUTION_OPTIONS)
def report(paths: tuple[str, ...], outdir: Path, inputs_dir: Path | None, **o: Any) -> None:
    """Report what each state machine becomes: status, durable operations, diagnostics, and
    where each state's code is in the generated handler; then the blockers across the batch.

    With --inputs, each machine that has sample inputs is also checked for behaviour (the
    original definition on moto's Step Functions interpreter against the translation in the
    durable SDK's local runner, per input: same, differs, or could not compare) and its cost
    estimated from those runs, each side with its parts: Step Functions billed state transitions
    (STANDARD) or requests and duration x memory (EXPRESS) against the durable function's
    operations, requests, compute (the measured duration of each invocation x --memory), data
    written and data retained, per execution and per million executions, at the --price-...
    prices (list prices by default). --lambda, --aws and --seed are as for run; the interpreter
    always runs in moto, and --aws moto sends the translation's AWS calls to moto too.

    Exits 0 when the report is written (invalid machines are rows of it), 1 when no input
    could be read.
    """
    from asl2durable.report.pricing import DEFAULT

    aws_seed = batch.aws_seed(o["aws"], o["seed"])
    values = batch.substitution_values(o["substitute"], o["substitutions_file"])
    lambdas = batch.lambdas(o["lambda_specs"]) if inputs_dir is not None else None
    prices = DEFAULT.replace(**{k.removeprefix("price_"): v for k, v in o.items() if k.startswith("price_")})
    result = batch.report_batch(
        paths, outdir, formats=o["formats"], inputs_dir=inputs_dir, lambdas=lambdas, aws_seed=aws_seed, prices=prices,
        memory_mb=o["memory_mb"], workflow_type=o["workflow_type"], substitutions=values, note=_note,
        progress=lambda todo: click.progressbar(todo, label="Reporting", file=sys.stderr, hidden=len(todo) <= 1),
    )
    if result.not_written is not None:
        raise batch.Failed(f"Error: cannot write the report to {outdir}: {result.not_written.strerror or result.not_written}")
    click.echo(result.summary())
    sys.exit(0 if result.ok else 1)


@_command
@click.argument("path", metavar="PATH")
@click.option("--input", "input_", metavar="JSON|@FILE", help="Execution input: JSON text, @file to read it from a "
              "file, or @- for stdin.", callback=_parsed(lambda v: batch.parse_json_argument(v, lambda: sys.stdin.read())))
@LAMBDA_OPTION
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60, show_default=True,
              metavar="SECONDS", help="Give up after this long (status TIMED_OUT).")
@AWS_OPTIONS
@click.option(
    "--resource", metavar="LOGICAL_ID",
    help="With a template as PATH: the logical ID of the state machine to run (a serverless.yml: its key in "
    "stepFunctions.stateMachines; a Terraform file: aws_sfn_state_machine.NAME or module.NAME).",
)
@_options(WORKFLOW_TYPE_OPTION, SUBSTITUTION_OPTIONS)
def run(path: str, input_: object, timeout: float, **o: Any) -> None:
    """Run a state machine locally through its translated durable handler.

    PATH is a definition file (or inline JSON), or a CloudFormation/SAM template (--resource
    picks the machine when it has several). Prints one JSON object with the status and the
    output (or error and cause). Exits 0 when the execution SUCCEEDED, 1 otherwise.
    """
    item = batch.one_machine(path, o["resource"], command="run")
    aws_seed = batch.aws_seed(o["aws"], o["seed"])
    try:
        from asl2durable.run import local
    except ImportError as e:
        raise batch.Failed(f"Error: the local runner is not available: {e}") from None
    lambdas = batch.lambdas(o["lambda_specs"])
    loaded = batch.load_one(item, batch.substitution_values(o["substitute"], o["substitutions_file"]))
    try:
        result = local.run_in_aws(loaded, input_, lambdas=lambdas, timeout=timeout, aws_seed=aws_seed,
                                  workflow_type=batch.option_type(o["workflow_type"], loaded))
    except local.RunRefused as e:
        if e.option is not None:
            raise click.BadParameter(str(e), param_hint=e.option) from None
        raise batch.Failed(str(e), *(f"{d.position or loaded.source}: {d}" for d in e.diagnostics)) from None
    click.echo(json.dumps(result.to_dict(), default=str))
    if result.status == "TIMED_OUT":  # an overrunning Lambda function may still be running in a thread
        local.exit_now(1)
    sys.exit(0 if result.status == "SUCCEEDED" else 1)


@_command
@click.argument("path", metavar="DEFINITION")
@click.option(
    "--history", "histories", multiple=True, required=True, type=click.Path(exists=True, path_type=Path),
    metavar="FILE|DIR", help="A recorded execution history as `aws stepfunctions get-execution-history` prints it "
    "(files NAME.page2.json... are pages of NAME.json), or a folder of them; repeatable.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: a list with one record per execution (history, verdict, divergence or reason).")
@click.option("--ignore", "ignore", multiple=True, metavar="JSONPATH",
              help="Do not compare this path in any compared value (a state's input or output, a call's "
              "parameters, the output), e.g. $.timestamp or $..requestId; repeatable.")
@click.option("--placeholders", is_flag=True,
              help="Each <...> token in a recorded value stands for any text (histories normalised with tokens).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60, show_default=True,
              metavar="SECONDS", help="Give up on one execution's run after this long (its verdict: could not compare).")
@click.option("--resource", metavar="LOGICAL_ID", help="With a template as DEFINITION: the state machine to verify.")
@_options(AWS_OPTIONS, _jobs_option("Verify the executions"), WORKFLOW_TYPE_OPTION, SUBSTITUTION_OPTIONS)
def verify(path: str, histories: tuple[Path, ...], fmt: str, **o: Any) -> None:
    """Replay recorded executions on the translated handler and compare them state by state.

    Each execution runs locally on its recorded input with every Task answered as recorded;
    the states entered (per branch and iteration), their input and output, each call's
    parameters and attempts, and the end are compared. A Map's ItemReader and ResultWriter,
    which the history cannot answer, run in moto with --aws moto (--seed: the S3 objects).
    Exits 0 when every execution is the same, 1 when any differs or could not be compared,
    2 on a usage error.
    """
    from asl2durable.run.verify import verify_all

    aws_seed = batch.aws_seed(o["aws"], o["seed"])
    item = batch.one_machine(path, o["resource"], command="verify")
    loaded = batch.load_one(item, batch.substitution_values(o["substitute"], o["substitutions_file"]))
    try:
        summary = verify_all(loaded, histories, jobs=o["jobs"] or (os.cpu_count() or 1), ignore=o["ignore"],
                             placeholders=o["placeholders"], timeout=o["timeout"], aws_seed=aws_seed,
                             workflow_type=batch.option_type(o["workflow_type"], loaded))
    except ValueError as e:  # a JSONPath --ignore cannot read
        raise click.BadParameter(str(e), param_hint="--ignore") from None
    for text in [json.dumps([v.to_dict() for v in summary.verifications], indent=2, default=str)] if fmt == "json" \
            else map(str, summary.verifications):
        click.echo(text)
    click.echo(summary.line(), err=fmt == "json")
    sys.exit(summary.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
