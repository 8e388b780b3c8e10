"""Injection suite: hostile text in every place a definition carries text.

Each hostile string goes into state names, Comments (machine and state), Fail Error/Cause, Catch and
Retry ErrorEquals, Parameters keys and values (plain and ``.$``), Result, ``$['...']`` bracket paths
(field names in InputPath, OutputPath, ResultPath, ItemsPath, Choice Variable, Parameters paths), Choice
string comparisons, Assign values, Map ItemSelector, and DefinitionSubstitutions values of a SAM
template. JSONata machines ("QueryLanguage": "JSONata") are covered too: the text goes into string
literals inside "{% ... %}" expressions (Arguments, Output, Assign, Choice Condition, Fail Error
and Cause, Map Items and ItemSelector, Catch Output and Assign), written each way JSONata allows
(double-quoted with JSON's escapes, \\u escapes, raw characters, single quotes), into the input
data the expressions read, into plain (non-expression) strings and object keys of those fields,
plain strings holding "{%" or "%}" without being a whole expression, state names, Comments, error
names and causes, and Retry/Catch ErrorEquals. For each: the translation compiles, its handler
runs in the local runner and gives the same result as the same machine with a plain word in the
same places (the hostile text comes back verbatim), the generated template.yaml loads as YAML,
and the report shows the text escaped. Canaries (an environment variable, a file) show that
nothing from the input was executed.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from asl2durable.run import local
from asl2durable.cli import main
from asl2durable.load.loader import _JsonCompatibleLoader, load
from asl2durable.translate import translate

pytestmark = pytest.mark.slow  # hostile names through every output, each converted and imported

TOKEN = "ZQXJ"  # where the hostile text goes, in the machine below
PLAIN = "plainword"  # the plain machine's text, state names and path field names
PLAIN_NAME = "plainname"
PLAIN_KEY = "plainkey"
CANARY_ENV = "ASL2DURABLE_PWNED"
CANARY_FILE = Path(tempfile.gettempdir()) / "asl2durable-injection-canary"
SET_ENV = f"__import__('os').environ.__setitem__('{CANARY_ENV}', '1')"
TOUCH = f"__import__('pathlib').Path({str(CANARY_FILE)!r}).touch()"

HOSTILE = {
    "single_quote": "it's",
    "double_quote": 'say "hi"',
    "triple_single": "'''",
    "triple_double": '"""',
    "escaped_triple": '\\"\\"\\"',
    "quote_at_end": 'ends with "',
    "backslash": "a\\b",
    "trailing_backslash": "end\\",
    "backslash_n": "a\\nb",
    "newline": "line1\nline2",
    "carriage_return": "a\rb",
    "jinja_expression": "{{ x }}",
    "jinja_statement": "{% if true %}yes{% endif %}",
    "jinja_comment": "{# c #}",
    "nul": "a\x00b",
    "line_separator": "a\u2028b",
    "paragraph_separator": "a\u2029b",
    "next_line": "a\x85b",
    "keyword_import": "import",
    "keyword_none": "None",
    "builtin_import": "__import__",
    "name_data": "data",
    "name_run": "run",
    "name_rt": "rt",
    "name_state": "state",
    "canary_env": SET_ENV,
    "canary_file": TOUCH,
    "canary_os_system": f"__import__('os').system('touch {CANARY_FILE}')",
    "canary_break_string": f"')\n{SET_ENV}\n#",
    "canary_break_double": f'")\n{SET_ENV}\n#',
    "canary_break_docstring": f'"""\n{SET_ENV}\n"""',
    "canary_break_comment": f"x\n{SET_ENV}\n",
    "canary_jinja": f"{{{{ lipsum.__globals__['os'].environ.__setitem__('{CANARY_ENV}', '1') }}}}",
    "dollar_brace": "${X}",
    "dollar": "$",
    "dollar_path": "$.foo",
    "dollar_dollar": "$$.Execution.Id",
    "long": "x" * 3000,
    "non_ascii": "na\u00efve \u2014 \u65e5\u672c\u8a9e \U0001f680",
    "html": "<script>alert(1)</script><b>&amp;</b>",
    "markdown": "| a | `b` *c* [d](javascript:e) ```",
    "yaml": "key: value\n- item\n!Ref X &a *a",
    "format": "%s %(x)s {0} {}",
    "hash": "# not a comment",
    "tab": "a\tb",
    "jsonata_expression": "{% $states.input %}",
    "jsonata_close": "a %} b",
    "jsonata_break": "\" & $eval('1') & \"",
    "jsonata_comment": "/* c */",
    "jsonata_escapes": "\\u0041\\ud83d",
    "backtick": "`a`",
}

# Step Functions' own limit on state names (80 characters): where a hostile string breaks it,
# state names get a plain word, and everything else the hostile text.
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:echo"


def machine(t: str, names: str, path_key: str) -> dict:
    """The machine, with ``t`` in text places, ``names`` in state names and ``path_key`` in
    field names read through bracket paths."""
    pk = path_key
    q = '"' if "'" in pk else "'"

    def p(key: str) -> str:
        return f"$[{q}{key}{q}]"

    n = lambda s: f"{s} {names}"
    return {
        "Comment": f"machine {t}",
        "StartAt": n("Start"),
        "States": {
            n("Start"): {
                "Type": "Pass",
                "Comment": f"state {t}",
                "Parameters": {
                    f"key {t}": f"value {t}",
                    f"path {t}.$": p(f"in {pk}"),
                    "nested": {f"n {t}": [t, {t: t}]},
                    "input.$": "$",
                },
                "ResultPath": p(f"params {pk}"),
                "Next": n("Choose"),
            },
            n("Choose"): {
                "Type": "Choice",
                "Comment": f"choice {t}",
                "Choices": [
                    {"Variable": p(f"in {pk}"), "StringEquals": f"in-value {t}", "Next": n("Assign")},
                    {"Variable": p(f"in {pk}"), "StringEquals": f"other {t}", "Next": n("Fail")},
                ],
                "Default": n("Fail"),
            },
            n("Assign"): {
                "Type": "Pass",
                "Assign": {"assigned": f"assigned {t}", "copied.$": p(f"in {pk}"), "deep": {f"k {t}": [t]}},
                "Next": n("Try"),
            },
            n("Try"): {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": n("Throw"),
                        "States": {n("Throw"): {"Type": "Fail", "Error": f"Err {t}", "Cause": f"Cause {t}"}},
                    }
                ],
                "Retry": [{"ErrorEquals": [f"Err {t}"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                "Catch": [
                    {"ErrorEquals": [f"Other {t}"], "Next": n("Fail")},
                    {"ErrorEquals": [f"Err {t}"], "ResultPath": p(f"caught {pk}"), "Next": n("Map")},
                ],
                "Next": n("Fail"),
            },
            n("Map"): {
                "Type": "Map",
                "ItemsPath": p(f"items {pk}"),
                "ItemSelector": {f"item {t}.$": "$$.Map.Item.Value", f"const {t}": f"c {t}", "index.$": "$$.Map.Item.Index"},
                "ItemProcessor": {
                    "StartAt": n("Inner"),
                    "States": {n("Inner"): {"Type": "Pass", "Comment": f"inner {t}", "End": True}},
                },
                "ResultPath": p(f"mapped {pk}"),
                "Next": n("Result"),
            },
            n("Result"): {
                "Type": "Pass",
                "Result": {f"r {t}": f"rv {t}", "list": [t, 1, None]},
                "ResultPath": p(f"result {pk}"),
                "Next": n("Task"),
            },
            n("Task"): {
                "Type": "Task",
                "Comment": f"task {t}",
                "Resource": FUNCTION,
                "Parameters": {f"p {t}.$": p(f"in {pk}"), f"s {t}": t},
                "ResultSelector": {f"echo {t}.$": "$"},
                "ResultPath": p(f"task {pk}"),
                "Next": n("Narrow"),
            },
            n("Narrow"): {"Type": "Pass", "InputPath": p(f"in {pk}"), "ResultPath": p(f"narrowed {pk}"), "Next": n("Wrap")},
            n("Wrap"): {
                "Type": "Pass",
                "Parameters": {"all.$": "$"},
                "ResultPath": p(f"wrap {pk}"),
                "OutputPath": p(f"wrap {pk}"),
                "Next": n("End"),
            },
            n("End"): {
                "Type": "Pass",
                "Parameters": {"all.$": "$", "assigned.$": "$assigned", "copied.$": "$copied", "deep.$": "$deep"},
                "End": True,
            },
            n("Fail"): {"Type": "Fail", "Comment": f"fail {t}", "Error": f"Final {t}", "Cause": f"final cause {t}"},
        },
    }


def machine_input(pk: str, t: str, succeed: bool) -> dict:
    return {f"in {pk}": f"in-value {t}" if succeed else f"other {t}", f"items {pk}": [f"i1 {t}", f"i2 {t}"]}


def echo(event, context):
    return {"event": event}


def path_safe(s: str) -> bool:
    """Can ``s`` be a field name in a bracket path? It needs a quote it does not contain, and no
    backslash (AWS keeps backslashes in bracket names, and one at the end escapes the quote)."""
    return not ("'" in s and '"' in s) and "\\" not in s


def name_safe(s: str) -> bool:
    return len(f"Assign {s}") <= 80  # the schema's limit on state names (control characters are accepted)


def replace_text(value, old: str, new: str):
    """``value`` with ``old`` replaced by ``new`` in every string and key."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [replace_text(v, old, new) for v in value]
    if isinstance(value, dict):
        return {replace_text(k, old, new): replace_text(v, old, new) for k, v in value.items()}
    return value


def canaries_silent() -> None:
    assert CANARY_ENV not in os.environ, "the input was executed: the canary variable is set"
    assert not CANARY_FILE.exists(), "the input was executed: the canary file exists"


@pytest.fixture(autouse=True)
def _no_canary():
    CANARY_FILE.unlink(missing_ok=True)
    os.environ.pop(CANARY_ENV, None)
    yield
    canaries_silent()


def run(definition: dict, translation, input: dict) -> dict:
    """Run a translated handler the way ``local.run_local`` does (without translating again)."""
    module = local.load_handler(translation.files["handler.py"], translation.name)
    local._runtime()
    import asl_testing

    functions = {asl_testing.function_key(FUNCTION): echo}
    outcome = asl_testing.run_handler(module.handler, input, invoker=asl_testing.local_invoker(functions), callbacks=None, timeout=60)
    return local.LocalResult(outcome.status, outcome.output, outcome.error, outcome.cause).to_dict()


def variants(s: str) -> tuple[dict, str, str]:
    """The hostile machine, and what went into its state names and bracket-path field names."""
    names = s if name_safe(s) else PLAIN_NAME
    pk = s if path_safe(s) else PLAIN_KEY
    return machine(s, names, pk), names, pk


_plain_results: dict = {}


def plain_results() -> dict:
    """The results of the plain machine (a plain word for each role), for both inputs."""
    if not _plain_results:
        definition = machine(PLAIN, PLAIN_NAME, PLAIN_KEY)
        translation = translate(definition, outputs=("handler",))
        assert translation.ok, translation.diagnostics
        for succeed in (True, False):
            _plain_results[succeed] = run(definition, translation, machine_input(PLAIN_KEY, PLAIN, succeed))
        assert _plain_results[True]["status"] == "SUCCEEDED", _plain_results[True]
        assert _plain_results[False] == {"status": "FAILED", "error": f"Final {PLAIN}", "cause": f"final cause {PLAIN}"}
    return _plain_results


@pytest.mark.parametrize("key", list(HOSTILE))
def test_hostile_text_translates_runs_and_matches_plain(key: str) -> None:
    s = HOSTILE[key]
    definition, names, pk = variants(s)
    translation = translate(definition)
    assert translation.ok, [str(d) for d in translation.diagnostics if d.severity.value == "ERROR"]
    for name, text in translation.files.items():
        if name.endswith(".py"):
            compile(text, name, "exec")
    yaml.load(translation.files["template.yaml"], Loader=_JsonCompatibleLoader)
    assert "\x00" not in translation.files["MIGRATION.md"]
    canaries_silent()
    expected = plain_results()
    for succeed in (True, False):
        result = run(definition, translation, machine_input(pk, s, succeed))
        # the plain run, with the hostile text put where each plain word was
        want = replace_text(replace_text(replace_text(expected[succeed], PLAIN, s), PLAIN_NAME, names), PLAIN_KEY, pk)
        assert result == want, (key, succeed)
    canaries_silent()


def test_docstring_filter() -> None:
    """Quotes at the end of a docstring's text (the bug: a state name ending in a quote)."""
    from asl2durable.render.render import docstring

    for text in ['say "hi"', 'a"""', '"', "x\\", '""', 'a\\"', '"""""" ', "\x00\u2028", "{{ x }}"]:
        namespace: dict = {}
        exec(compile(f'def f():\n    """{docstring(text)}"""\n', "<test>", "exec"), namespace)  # noqa: S102 - the docstring under test
        assert namespace["f"].__doc__ == text.strip() or not text.isprintable()


def test_error_name_with_nul_runs() -> None:
    definition = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "a\x00b", "Cause": "c\x00"}}}
    assert local.run_local(definition).to_dict() == {"status": "FAILED", "error": "a\x00b", "cause": "c\x00"}


def test_substitution_values_are_data(tmp_path: Path, monkeypatch) -> None:
    """DefinitionSubstitutions values of a SAM template: read from the environment at run time, verbatim."""
    values = {k: v for k, v in HOSTILE.items() if "\x00" not in v}  # an environment variable cannot hold NUL
    names = [f"Sub{i}" for i in range(len(values))]
    definition = {
        "Comment": "${Sub0}",
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Parameters": {n: f"${{{n}}}" for n in names},
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Machine": {
                "Type": "AWS::Serverless::StateMachine",
                "Properties": {"Definition": definition, "DefinitionSubstitutions": dict(zip(names, values.values()))},
            }
        },
    }
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    loaded = load(path)
    assert loaded.definition is not None, loaded.diagnostics
    translation = translate(loaded.definition, name=loaded.name, substitutions=loaded.substitutions)
    assert translation.ok, translation.diagnostics
    for name, text in translation.files.items():
        if name.endswith(".py"):
            compile(text, name, "exec")
    deployed = yaml.load(translation.files["template.yaml"], Loader=_JsonCompatibleLoader)
    env = json.dumps(deployed)
    for sub in loaded.substitutions:
        monkeypatch.setenv(sub.env, sub.value)
        assert sub.env in env
    result = run(loaded.definition, translation, {})
    assert result == {"status": "SUCCEEDED", "output": dict(zip(names, values.values()))}
    # the rewritten template and the CLI
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["convert", str(path), "-o", str(out), "--format", "json"])
    assert done.exit_code == 0, done.output
    for rewritten in out.rglob("template.yaml"):
        yaml.load(rewritten.read_text(encoding="utf-8"), Loader=_JsonCompatibleLoader)
    canaries_silent()


# --------------------------------------------------------------------------------------------
# JSONata machines ("QueryLanguage": "JSONata")


def jsonata_double(s: str) -> str:
    """``s`` as a double-quoted JSONata string literal, with JSON's escapes (non-ASCII as is)."""
    return json.dumps(s, ensure_ascii=False)


def jsonata_ascii(s: str) -> str:
    """Double-quoted, everything outside ASCII as \\u escapes (surrogate pairs above U+FFFF)."""
    return json.dumps(s)


def jsonata_raw(s: str) -> str:
    """Double-quoted, only the quote and the backslash escaped: newlines, NUL, U+2028... as is."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def jsonata_single(s: str) -> str | None:
    """Single-quoted (JSON's escapes; ``\\"`` is one of them). JSONata has no escape for a single
    quote, so text with one cannot be written this way: None."""
    return None if "'" in s else "'" + json.dumps(s, ensure_ascii=False)[1:-1] + "'"


#: How hostile text is written as a string literal inside an expression.
LITERALS = {"double": jsonata_double, "ascii": jsonata_ascii, "raw": jsonata_raw, "single": jsonata_single}


def jsonata_machine(t: str, names: str, lit: str) -> dict:
    """The JSONata machine: ``t`` in plain (non-expression) strings, object keys, Comments and
    error names, ``lit`` (``t`` as a JSONata string literal) inside expressions, ``names`` in
    state names. No plain value is a whole ``{% ... %}`` string (that would be an expression);
    some hold ``{%``/``%}`` elsewhere."""

    def n(s: str) -> str:
        return f"{s} {names}"

    def e(body: str) -> str:
        return "{% " + body + " %}"

    return {
        "QueryLanguage": "JSONata",
        "Comment": f"machine {t}",
        "StartAt": n("Start"),
        "States": {
            n("Start"): {
                "Type": "Pass",
                "Comment": f"state {t}",
                "Assign": {
                    "plain": f"assigned {t}",
                    "expr": e(f"{lit} & '!'"),
                    "deep": {f"k {t}": [f"v {t}", e(lit)], t: e(f"[{lit}, {{{lit}: {lit}}}]")},
                },
                "Output": {
                    f"key {t}": f"value {t}",
                    "x": e("$states.input.x"),
                    "joined": e(f"{lit} & $states.input.x"),
                    "nested": {f"n {t}": [f"l {t}", {t: f"v {t}"}]},
                    "object": e(f"{{{lit}: {lit}, 'k': [{lit}, $states.input.x]}}"),
                    "lookup": e(f"$lookup({{{lit}: 'found'}}, {lit})"),
                    "state": e("$states.context.State.Name"),
                    "delimiters": [f"{{% $states.input.x %}} {t} .", f" {{% {t} %}}", f"{{% {t} .", f". {t} %}}"],
                },
                "Next": n("Choose"),
            },
            n("Choose"): {
                "Type": "Choice",
                "Comment": f"choice {t}",
                "Choices": [
                    {
                        "Condition": e(f"$states.input.x = 'in-value ' & {lit}"),
                        "Assign": {"chosen": f"chosen {t}"},
                        "Output": {"x": e("$states.input.x"), f"rule {t}": e(f"'rule ' & {lit}"), "start": e("$states.input")},
                        "Next": n("Try"),
                    },
                    {"Condition": e(f"$states.input.x = 'other ' & {lit}"), "Next": n("Fail")},
                ],
                "Default": n("Fail"),
            },
            n("Try"): {
                "Type": "Parallel",
                "Arguments": {f"arg {t}": f"a {t}", "x": e("$states.input.x")},
                "Branches": [
                    {
                        "StartAt": n("Throw"),
                        "States": {
                            n("Throw"): {
                                "Type": "Fail",
                                "Comment": f"throw {t}",
                                "Error": e(f"'Err ' & {lit}"),
                                "Cause": f"Cause {t}",
                            }
                        },
                    }
                ],
                "Retry": [{"ErrorEquals": [f"Err {t}"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                "Catch": [
                    {"ErrorEquals": [f"Other {t}"], "Next": n("Fail")},
                    {
                        "ErrorEquals": [f"Err {t}"],
                        "Assign": {"caught": e("$states.errorOutput.Cause")},
                        "Output": {
                            "error": e("$states.errorOutput"),
                            "x": e("$states.input.x"),
                            f"c {t}": f"cv {t}",
                            "previous": e("$states.input"),
                        },
                        "Next": n("Map"),
                    },
                ],
                "Next": n("Fail"),
            },
            n("Map"): {
                "Type": "Map",
                "Items": e(f"['i1 ' & {lit}, 'i2 ' & {lit}, $states.input.x]"),
                "ItemSelector": {
                    f"item {t}": e("$states.context.Map.Item.Value"),
                    f"const {t}": f"c {t}",
                    "index": e("$states.context.Map.Item.Index"),
                },
                "ItemProcessor": {
                    "StartAt": n("Inner"),
                    "States": {
                        n("Inner"): {
                            "Type": "Pass",
                            "Comment": f"inner {t}",
                            "Output": {
                                "got": e("$states.input"),
                                "item": e(f"$lookup($states.input, 'item ' & {lit})"),
                                "state": e("$states.context.State.Name"),
                            },
                            "End": True,
                        }
                    },
                },
                "Output": {"mapped": e("$states.result"), "x": e("$states.input.x"), "previous": e("$states.input")},
                "Next": n("Task"),
            },
            n("Task"): {
                "Type": "Task",
                "Comment": f"task {t}",
                "Resource": FUNCTION,
                "Arguments": {f"p {t}": e("$states.input.x"), f"s {t}": f"sv {t}", "e": e(f"{lit} & ''")},
                "Output": {
                    "echo": e("$states.result"),
                    f"o {t}": e(lit),
                    "previous": e("$states.input"),
                    "variables": e("[$plain, $expr, $deep, $chosen, $caught]"),
                },
                "Next": n("End"),
            },
            n("End"): {"Type": "Succeed", "Comment": f"end {t}", "Output": {"all": e("$states.input"), f"end {t}": f"done {t}"}},
            n("Fail"): {"Type": "Fail", "Comment": f"fail {t}", "Error": f"Final {t}", "Cause": e(f"'final cause ' & {lit}")},
        },
    }


def jsonata_input(t: str, succeed: bool) -> dict:
    return {"x": f"in-value {t}" if succeed else f"other {t}"}


def jsonata_variants(s: str, form: str) -> tuple[dict, str]:
    """The hostile JSONata machine (``s`` written in expressions in the given literal form), and
    what went into its state names."""
    names = s if name_safe(s) else PLAIN_NAME
    return jsonata_machine(s, names, LITERALS[form](s)), names


_jsonata_plain: dict = {}


def jsonata_plain_results(form: str) -> dict:
    """The plain JSONata machine's results (a plain word in each role), for both inputs."""
    if form not in _jsonata_plain:
        translation = translate(jsonata_machine(PLAIN, PLAIN_NAME, LITERALS[form](PLAIN)), outputs=("handler",))
        assert translation.ok, translation.diagnostics
        results = {succeed: run({}, translation, jsonata_input(PLAIN, succeed)) for succeed in (True, False)}
        assert results[True]["status"] == "SUCCEEDED", results[True]
        assert results[False] == {"status": "FAILED", "error": f"Final {PLAIN}", "cause": f"final cause {PLAIN}"}
        _jsonata_plain[form] = results
    return _jsonata_plain[form]


#: The other ways of writing each hostile text as a string literal, where the literal differs
#: from the double-quoted one: \u escapes (surrogate pairs above U+FFFF), raw control
#: characters and line separators, single quotes (for text without one).
OTHER_LITERALS = [
    (key, form)
    for key, s in HOSTILE.items()
    for form in ("ascii", "raw", "single")
    if LITERALS[form](s) not in (None, jsonata_double(s))
]


@pytest.mark.parametrize(
    "key,form",
    [(key, "double") for key in HOSTILE] + OTHER_LITERALS,
    ids=[f"{key}-double" for key in HOSTILE] + [f"{key}-{form}" for key, form in OTHER_LITERALS],
)
def test_jsonata_hostile_text_translates_runs_and_matches_plain(key: str, form: str) -> None:
    s = HOSTILE[key]
    definition, names = jsonata_variants(s, form)
    translation = translate(definition)
    assert translation.ok, [str(d) for d in translation.diagnostics if d.severity.value == "ERROR"]
    assert "asl_jsonata.py" in translation.files
    for name, text in translation.files.items():
        if name.endswith(".py"):
            compile(text, name, "exec")
    yaml.load(translation.files["template.yaml"], Loader=_JsonCompatibleLoader)
    assert "\x00" not in translation.files["MIGRATION.md"]
    canaries_silent()
    expected = jsonata_plain_results(form)
    for succeed in (True, False):
        result = run(definition, translation, jsonata_input(s, succeed))
        # the plain run, with the hostile text put where each plain word was
        want = replace_text(replace_text(expected[succeed], PLAIN, s), PLAIN_NAME, names)
        assert result == want, (key, form, succeed)
    canaries_silent()


def test_jsonata_plain_values_that_look_like_expressions() -> None:
    """Only a whole "{% ... %}" string is an expression: other strings holding the delimiters
    come back as they are, and a whole one in the input data is data, not evaluated."""
    values = ["{% $x %} .", " {% $x %}", "{% $x %} ", "{%", "%}", "{%%}x", "a {% 1 + 1 %} b"]
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "Assign": {"x": "{% $states.input.data %}"}, "Next": "Q"},
            "Q": {
                "Type": "Pass",
                "Output": {"values": values, "data": "{% $states.input.data %}", "x": "{% $x %}"},
                "End": True,
            },
        },
    }
    data = ["{% $states %}", "{% $x %}", SET_ENV]
    translation = translate(definition, outputs=("handler",))
    assert translation.ok, translation.diagnostics
    result = run(definition, translation, {"data": data})
    assert result == {"status": "SUCCEEDED", "output": {"values": values, "data": data, "x": data}}


# --------------------------------------------------------------------------------------------
# the command line: convert and report over all of them at once


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)

    def handle_data(self, data) -> None:
        self.text.append(data)


def tags(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    return parser


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for key, s in {**HOSTILE, "plain": PLAIN}.items():
        (folder / f"{key}.asl.json").write_text(json.dumps(variants(s)[0] if key != "plain" else machine(PLAIN, PLAIN_NAME, PLAIN_KEY)), encoding="utf-8")
        jsonata = jsonata_variants(s, "double")[0] if key != "plain" else jsonata_machine(PLAIN, PLAIN_NAME, jsonata_double(PLAIN))
        (folder / f"jsonata_{key}.asl.json").write_text(json.dumps(jsonata), encoding="utf-8")
    return folder


MACHINES = 2 * (len(HOSTILE) + 1)  # in `written`: a JSONPath and a JSONata machine for each, and the plain ones


def test_convert_all(written: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["convert", str(written), "-o", str(out), "--format", "json"])
    assert done.exit_code == 0, done.output[-3000:]
    records = json.loads(done.output)
    assert len(records) == MACHINES and all(r["converted"] for r in records)
    for folder in out.iterdir():
        for py in folder.glob("*.py"):
            compile(py.read_text(encoding="utf-8"), str(py), "exec")
        yaml.load((folder / "template.yaml").read_text(encoding="utf-8"), Loader=_JsonCompatibleLoader)
    # every generated handler and test module imports (their module-level code runs), no canary fires
    script = (
        "import sys\n"
        "for folder in sys.argv[1:]:\n"
        "    sys.path.insert(0, folder)\n"
        "    import handler, test_handler\n"
        "    for name in [m for m in sys.modules if m in ('handler', 'test_handler') or m.startswith('asl_')]:\n"
        "        del sys.modules[name]\n"
        "    sys.path.remove(folder)\n"
        "print('imported', len(sys.argv) - 1)\n"
    )
    folders = sorted(str(f) for f in out.iterdir() if (f / "handler.py").exists())
    done = subprocess.run([sys.executable, "-c", script, *folders], check=False, capture_output=True, text=True, timeout=600)
    assert len(folders) == MACHINES
    assert done.returncode == 0 and f"imported {MACHINES}" in done.stdout, done.stderr[-3000:]
    canaries_silent()


def test_report_escapes(written: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = CliRunner().invoke(main, ["report", str(written), "-o", str(out)])
    assert done.exit_code == 0, done.output[-3000:]
    pages = {p.stem.split("-", 1)[1]: p.read_text(encoding="utf-8") for p in (out / "machines").glob("*.html")}
    for prefix, key in [(prefix, key) for prefix in ("", "jsonata_") for key in HOSTILE]:  # JSONPath, JSONata
        s = HOSTILE[key]
        plain = tags(pages[f"{prefix}plain"])
        page = pages[name := f"{prefix}{key}"]
        parsed = tags(page)
        assert set(parsed.tags) <= set(plain.tags), (name, set(parsed.tags) - set(plain.tags))
        assert parsed.tags.count("script") == plain.tags.count("script"), name
        # the text is there, as text (first line: the page may wrap or re-space the rest)
        first = s.split("\n")[0].strip()
        if first and first.isprintable() and len(first) < 100:
            assert first in "".join(parsed.text), name  # the parser has decoded the character references
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in index and all("<script>alert(1)" not in p for p in pages.values())
    markdown = (out / "report.md").read_text(encoding="utf-8")
    outside = []  # the lines outside code fences (inside one, HTML is shown, not interpreted)
    fence = None
    for line in markdown.split("\n"):
        run = re.match(r"`{3,}", line)
        if fence is None and run:
            fence = run.group()
        elif fence is not None and run and run.group().startswith(fence) and not line.strip("`").strip():
            fence = None
        elif fence is None:
            outside.append(line)
    assert fence is None, "a code fence is left open"
    unescaped = re.compile(r"(?<!\\)<script|(?<!\\)\]\(javascript")  # md() writes \<script\> and \[d\](...)
    assert not any(unescaped.search(line) for line in outside)
    for key, s in HOSTILE.items():
        first = s.split("\n")[0].strip()
        if name_safe(s) and s.isprintable() and s.strip() and not re.search(r"[\\|`*_\[\]<>]", s):
            assert any(" ".join(s.split()) in line for line in outside), key  # the state names are shown
    canaries_silent()

