"""Validator check: the JSONata expressions ("{% %}" strings) of JSONata states.

AWS parses every expression when a definition is created and refuses one that does not
parse (``INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/S/Output``), or
that reads the input document at its top level, which does not exist in Step Functions'
JSONata (``UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not
supported.``). Messages are the parser's own, as AWS gives them, without the JSONata code.

Only JSONata states are looked at: in a JSONPath state a "{% %}" string is a literal.
"""

from __future__ import annotations

from collections.abc import Iterator

from asl2durable.diagnostics import Diagnostic
from asl2durable.expressions.jsonata import check_expression, is_expression, top_level_references
from asl2durable.load.placeholders import PLACEHOLDER
from asl2durable.validate.messages import error
from asl2durable.validate.walk import JSONATA, State, iter_states, pointer_join, query_language

#: AWS's ValidateStateMachineDefinition codes for these two findings.
INVALID_JSONATA_EXPRESSION = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA_EXPRESSION = "UNSUPPORTED_JSONATA_EXPRESSION"

#: Fields of a state that hold a JSONata template (any JSON, "{% %}" strings at any depth) or
#: a single expression. Fields that do not belong to the state's type are the schema's concern.
STATE_FIELDS = (
    "Arguments", "Output", "Assign", "Items", "ItemSelector", "TimeoutSeconds", "HeartbeatSeconds",
    "Seconds", "Timestamp", "MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage",
    "Error", "Cause", "Credentials",
)  # fmt: skip
#: (sub-object, fields inside it) of a Map state.
MAP_SUB_FIELDS = (
    ("ItemReader", ("Arguments", "ReaderConfig")),
    ("ResultWriter", ("Arguments",)),
)
#: Fields of a Catch element and of a Choice rule.
CATCH_FIELDS = ("Output", "Assign")
CHOICE_RULE_FIELDS = ("Condition", "Output", "Assign")


def jsonata_fields(state: State) -> Iterator[tuple[str, object]]:
    """(pointer, value) of every JSONata-capable field of ``state``."""
    node = state.node
    for field in STATE_FIELDS:
        if field in node:
            yield state.at(field), node[field]
    if isinstance(node.get("ItemBatcher"), dict):
        yield state.at("ItemBatcher"), node["ItemBatcher"]
    for outer, fields in MAP_SUB_FIELDS:
        sub = node.get(outer)
        if isinstance(sub, dict):
            for field in fields:
                if field in sub:
                    yield state.at(outer, field), sub[field]
    for outer, fields in (("Catch", CATCH_FIELDS), ("Choices", CHOICE_RULE_FIELDS)):
        items = node.get(outer)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    for field in fields:
                        if field in item:
                            yield state.at(outer, i, field), item[field]


def expressions(value: object, at: str) -> Iterator[tuple[str, str]]:
    """(pointer, string) of every "{% %}" string inside a template (keys are not evaluated)."""
    if isinstance(value, str):
        if is_expression(value):
            yield at, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from expressions(item, pointer_join(at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from expressions(item, pointer_join(at, i))


def check_expression_at(text: str, at: str) -> Iterator[Diagnostic]:
    """The findings for one "{% %}" string at pointer ``at``. Its ``${Name}`` placeholders are
    checked as the values CloudFormation puts there; their values are not known here, so each
    is read as ``null``, which fits wherever a value does."""
    text = PLACEHOLDER.sub("null", text)
    problem = check_expression(text)
    if problem is not None:
        yield error(at, problem, INVALID_JSONATA_EXPRESSION)
        return
    for name in dict.fromkeys(top_level_references(text)):
        yield error(
            at, f"Reference to '{name}' at the top level is not supported.", UNSUPPORTED_JSONATA_EXPRESSION
        )


def check_jsonata_expressions(definition: dict) -> Iterator[Diagnostic]:
    """JSONata expressions in JSONata states parse, and read only $states and variables at
    their top level (no bare field names, no ``$`` or ``$$``)."""
    for state in iter_states(definition):
        if query_language(definition, state) != JSONATA:
            continue
        for at, value in jsonata_fields(state):
            for where, text in expressions(value, at):
                yield from check_expression_at(text, where)
