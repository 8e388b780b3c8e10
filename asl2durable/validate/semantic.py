"""Semantic checks: the rules a JSON Schema cannot express (graph, field combinations, paths).

Each check is a small function ``check_*(definition) -> Iterator[Diagnostic]`` listed in
``CHECKS``. Checks assume nothing about shape: they skip whatever is not shaped as expected,
because the schema already reports that (so one problem is not reported many times over).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from asl2durable.diagnostics import Diagnostic
from asl2durable.expressions.intrinsics import (
    IntrinsicSyntaxError,
    check_argument_types,
    check_arity,
    check_intrinsic,
    is_intrinsic,
    parse_intrinsic,
)
from asl2durable.expressions.paths import check_path
from asl2durable.load.placeholders import has_placeholder, unclosed
from asl2durable.validate import messages as m
from asl2durable.validate.jsonata_check import check_jsonata_expressions
from asl2durable.validate.messages import (
    PLACEHOLDER_NOTE,
    error,
    required_field,
    soften,
    unsupported_field,
    warning,
)
from asl2durable.validate.schema import pattern
from asl2durable.validate.walk import (
    FLOW_TYPES,
    JSONATA,
    JSONPATH,
    STATE_TYPES,
    Machine,
    State,
    field_name,
    iter_machines,
    iter_states,
    pointer_join,
    query_language,
    states_of,
    top_query_language,
    transitions,
)

Check = Callable[[dict], Iterator[Diagnostic]]

_TIMESTAMP = re.compile(pattern("timestamp"))
_JSONATA = re.compile(pattern("jsonata"))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------
# state names and transitions


def check_duplicate_state_names(definition: dict) -> Iterator[Diagnostic]:
    """State names are unique across the whole definition, nested branches and processors included."""
    seen: set[str] = set()
    for machine in iter_machines(definition):
        for name in machine.states:
            if name in seen:
                yield error(
                    pointer_join(machine.pointer, "States", name),
                    f"Duplicate State name: {name}",
                    m.DUPLICATE_STATE_NAME,
                )
            seen.add(name)


def _all_state_names(definition: dict) -> set[str]:
    return {name for machine in iter_machines(definition) for name in machine.states}


def _target_problem(field: str, target: object, machine: Machine, everywhere: set[str]) -> Diagnostic | None:
    """None when ``target`` names a state of ``machine``; else what is wrong (pointer filled in later)."""
    if not isinstance(target, str) or target in machine.states:
        return None  # a non-string is a schema error
    if target in everywhere:
        return error(
            "",
            f"'{field}' target {target} is not in the same (sub-)machine: "
            "transitions cannot enter or leave a Parallel branch or a Map processor",
            m.INVALID_TRANSITION,
        )
    return error("", f"Missing '{field}' target: {target}", m.MISSING_TRANSITION_TARGET)


def check_transition_targets(definition: dict) -> Iterator[Diagnostic]:
    """StartAt, Next, Default, Choice rule Next and Catch Next name a state of the same (sub-)machine."""
    everywhere = _all_state_names(definition)
    for machine in iter_machines(definition):
        if "StartAt" in machine.node and machine.states:  # without States, the schema says it all
            problem = _target_problem("StartAt", machine.node["StartAt"], machine, everywhere)
            if problem:
                yield Diagnostic(pointer_join(machine.pointer, "StartAt"), problem.code, problem.message)
        for state in states_of(machine):
            for at, target in transitions(state):
                field = "Default" if at.endswith("/Default") else "Next"
                problem = _target_problem(field, target, machine, everywhere)
                if problem:
                    yield Diagnostic(at, problem.code, problem.message)


def _well_formed(node: object) -> bool:
    """A state whose transitions can be known (an object with a valid Type)."""
    return isinstance(node, dict) and node.get("Type") in STATE_TYPES


def _reachable(machine: Machine) -> set[str] | None:
    """Names reachable from StartAt inside ``machine``; None when StartAt is unusable or the
    search meets a malformed state (whose transitions are unknown)."""
    start = machine.node.get("StartAt")
    if not isinstance(start, str) or start not in machine.states:
        return None
    seen, todo = {start}, [start]
    while todo:
        node = machine.states[todo.pop()]
        if not _well_formed(node):
            return None
        for _, target in transitions(machine.state("", node)):
            if isinstance(target, str) and target in machine.states and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def check_reachability(definition: dict) -> Iterator[Diagnostic]:
    """Every state can be reached from its machine's StartAt (cycles included: true graph search)."""
    for machine in iter_machines(definition):
        reachable = _reachable(machine)
        if reachable is None:
            continue  # StartAt is reported by check_transition_targets / the schema
        for name in machine.states:
            if name not in reachable:
                yield error(
                    pointer_join(machine.pointer, "States", name),
                    f'State "{name}" is not reachable.',
                    m.UNREACHABLE_STATE,
                )


def _is_terminal(node: object) -> bool:
    # any End counts: a wrong End value is the schema's finding, not a missing terminal state
    return isinstance(node, dict) and (node.get("Type") in ("Succeed", "Fail") or "End" in node)


def _leaves(machine: Machine, node: dict) -> bool:
    """True when the state has a transition whose target is not a state of ``machine``."""
    return any(
        isinstance(target, str) and target not in machine.states
        for _, target in transitions(machine.state("", node))
    )


def check_terminal_state(definition: dict) -> Iterator[Diagnostic]:
    """Each (sub-)machine can reach at least one terminal state (End: true, Succeed or Fail)."""
    for machine in iter_machines(definition):
        if not machine.states or not all(_well_formed(node) for node in machine.states.values()):
            continue  # the schema reports missing States and malformed states
        reachable = _reachable(machine)
        names = reachable if reachable is not None else machine.states.keys()
        if any(_leaves(machine, machine.states[name]) for name in names):
            continue  # a bad target is reported already; where it was meant to go is unknown
        if not any(_is_terminal(machine.states[name]) for name in names):
            yield error(
                machine.pointer,
                "No terminal state: no reachable state has End: true or is a Succeed or Fail state",
                m.MISSING_TERMINAL_STATE,
            )


def check_next_or_end(definition: dict) -> Iterator[Diagnostic]:
    """Task, Pass, Wait, Parallel and Map have exactly one of Next and End."""
    for state in iter_states(definition):
        if state.type not in FLOW_TYPES:
            continue  # Next/End on Choice, Succeed, Fail are unknown fields for the schema
        has_next, has_end = "Next" in state.node, "End" in state.node
        if has_next and has_end:
            yield error(state.pointer, "A state cannot have both 'Next' and 'End'")
        elif not has_next and not has_end:
            yield error(
                state.pointer, "Exactly one of the fields 'Next' or 'End' is required but both are missing"
            )


# --------------------------------------------------------------------------------------
# Choice rules


def _check_operator_value(operator: str, value: object, at: str) -> Iterator[Diagnostic]:
    kind = m.COMPARISON_OPERATORS[operator]
    if kind == "string" and not isinstance(value, str):
        yield error(at, f"The value for the field '{operator}' must be a string")
    elif kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        yield error(at, f"The value for the field '{operator}' must be a number")
    elif kind == "boolean" and not isinstance(value, bool):
        yield error(at, f"The value for the field '{operator}' must be a boolean")
    elif kind == "timestamp" and not (isinstance(value, str) and _TIMESTAMP.match(value)):
        yield error(at, "String does not match RFC3339 timestamp")
    elif kind == "path" and not isinstance(value, str):
        yield error(at, f"The value for the field '{operator}' must be a string that contains a JSONPath")


def _check_jsonpath_rule(rule: dict, at: str, top: bool) -> Iterator[Diagnostic]:
    combinators = [k for k in m.CHOICE_COMBINATORS if k in rule]
    operators = [k for k in rule if k in m.COMPARISON_OPERATORS]
    if combinators:
        if len(combinators) > 1 or operators or "Variable" in rule:
            yield error(
                at,
                "A Choice rule must be either one of And/Or/Not or a Variable with one comparison operator",
            )
        for key in combinators:
            value = rule[key]
            if key == "Not":
                if isinstance(value, dict):
                    yield from _check_rule(value, pointer_join(at, key), JSONPATH, top=False)
                else:
                    yield error(pointer_join(at, key), "The value for the field 'Not' must be an object")
            elif not isinstance(value, list):
                yield error(pointer_join(at, key), f"The value for the field '{key}' must be an array")
            elif not value:
                yield error(pointer_join(at, key), "Value cannot be empty")
            else:
                for i, sub in enumerate(value):
                    yield from _check_rule(sub, pointer_join(at, key, i), JSONPATH, top=False)
        return
    if "Variable" not in rule:
        yield error(at, required_field("Variable"))
    elif not isinstance(rule["Variable"], str):
        yield error(
            pointer_join(at, "Variable"),
            "The value for the field 'Variable' must be a string that contains a JSONPath",
        )
    if not operators:
        yield error(
            at, "A Choice rule must have exactly one comparison operator (e.g. StringEquals) or And/Or/Not"
        )
    elif len(operators) > 1:
        yield error(
            at, f"A Choice rule must have exactly one comparison operator, found: [{', '.join(operators)}]"
        )
    for operator in operators:
        yield from _check_operator_value(operator, rule[operator], pointer_join(at, operator))


def _check_rule(rule: object, at: str, language: str, top: bool) -> Iterator[Diagnostic]:
    """One Choice rule; ``top`` is True for the members of Choices, False under And/Or/Not."""
    if not isinstance(rule, dict):
        yield error(at, "A Choice rule must be an object")
        return
    allowed = {"Comment"}
    if top:
        allowed |= {"Next", "Assign"}
        if "Next" not in rule:
            yield error(at, required_field("Next"))
    elif "Next" in rule:
        yield error(pointer_join(at, "Next"), "Nested Choice rules (under And, Or or Not) cannot have 'Next'")
        allowed.add("Next")
    if language == JSONATA:
        allowed |= {"Condition", "Output"} if top else {"Condition"}
        if "Condition" not in rule:
            yield error(at, required_field("Condition"))
        elif not (
            isinstance(rule["Condition"], bool)
            or (isinstance(rule["Condition"], str) and _JSONATA.match(rule["Condition"]))
        ):
            yield error(
                pointer_join(at, "Condition"),
                "The value for the field 'Condition' must be a boolean or a JSONata expression",
            )
    else:
        allowed |= {"Variable", *m.COMPARISON_OPERATORS, *m.CHOICE_COMBINATORS}
        yield from _check_jsonpath_rule(rule, at, top)
    for key in rule:
        if key not in allowed:
            yield error(pointer_join(at, key), unsupported_field(key, language))


def check_choice_rules(definition: dict) -> Iterator[Diagnostic]:
    """Choice rules are well formed: Next on top-level rules only, Variable + one operator of the
    right value type or a non-empty And/Or / object Not (JSONPath), Condition (JSONata)."""
    for state in iter_states(definition):
        if state.type != "Choice" or not isinstance(state.node.get("Choices"), list):
            continue
        language = query_language(definition, state)
        for i, rule in enumerate(state.node["Choices"]):
            yield from _check_rule(rule, state.at("Choices", i), language, top=True)


# --------------------------------------------------------------------------------------
# Retry / Catch and field combinations


def check_states_all_last(definition: dict) -> Iterator[Diagnostic]:
    """'States.ALL' stands alone in its ErrorEquals, in the last retrier / last catcher."""
    for state in iter_states(definition):
        for field, what in (("Retry", "retrier"), ("Catch", "catcher")):
            items = state.node.get(field)
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                names = item.get("ErrorEquals") if isinstance(item, dict) else None
                if not isinstance(names, list) or "States.ALL" not in names:
                    continue
                if len(names) > 1:
                    yield error(
                        state.at(field, i, "ErrorEquals"), "States.ALL must appear by itself in ErrorEquals"
                    )
                if i != len(items) - 1:
                    yield error(state.at(field, i), f"States.ALL can only appear in the last {what}")


#: (state type, sub-object path inside the state, fields, exactly one?) -- otherwise at most one.
EXCLUSIVE_FIELDS: list[tuple[str, tuple[str, ...], tuple[str, ...], bool]] = [
    ("Wait", (), ("Seconds", "SecondsPath", "Timestamp", "TimestampPath"), True),
    ("Task", (), ("TimeoutSeconds", "TimeoutSecondsPath"), False),
    ("Task", (), ("HeartbeatSeconds", "HeartbeatSecondsPath"), False),
    ("Fail", (), ("Error", "ErrorPath"), False),
    ("Fail", (), ("Cause", "CausePath"), False),
    ("Map", (), ("ItemProcessor", "Iterator"), True),
    ("Map", (), ("Items", "ItemsPath"), False),
    ("Map", (), ("ItemSelector", "Parameters"), False),
    ("Map", (), ("MaxConcurrency", "MaxConcurrencyPath"), False),
    ("Map", (), ("ToleratedFailureCount", "ToleratedFailureCountPath"), False),
    ("Map", (), ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"), False),
    ("Map", ("ItemReader", "ReaderConfig"), ("MaxItems", "MaxItemsPath"), False),
    ("Map", ("ItemBatcher",), ("MaxItemsPerBatch", "MaxItemsPerBatchPath"), False),
    ("Map", ("ItemBatcher",), ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"), False),
]


def check_exclusive_fields(definition: dict) -> Iterator[Diagnostic]:
    """Mutually exclusive fields: at most one (or exactly one) of each group in EXCLUSIVE_FIELDS."""
    for state in iter_states(definition):
        for state_type, inside, fields, exactly_one in EXCLUSIVE_FIELDS:
            if state.type != state_type:
                continue
            node = state.node
            for key in inside:
                node = node.get(key) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                continue
            present = [f for f in fields if f in node]
            if len(present) > 1:
                yield error(state.at(*inside), f"Only one of these fields may be set: [{', '.join(present)}]")
            elif exactly_one and not present:
                yield error(
                    state.at(*inside), f"Exactly one of these fields is required: [{', '.join(fields)}]"
                )


def check_heartbeat_below_timeout(definition: dict) -> Iterator[Diagnostic]:
    """A Task's literal HeartbeatSeconds is smaller than its literal TimeoutSeconds."""
    for state in iter_states(definition):
        heartbeat, timeout = state.node.get("HeartbeatSeconds"), state.node.get("TimeoutSeconds")
        if state.type == "Task" and _is_int(heartbeat) and _is_int(timeout) and heartbeat >= timeout:
            yield error(state.at("HeartbeatSeconds"), "HeartbeatSeconds must be smaller than TimeoutSeconds")


def _map_mode(state: State) -> str:
    for field in ("ItemProcessor", "Iterator"):
        processor = state.node.get(field)
        if isinstance(processor, dict) and isinstance(processor.get("ProcessorConfig"), dict):
            return processor["ProcessorConfig"].get("Mode", "INLINE")
    return "INLINE"


def check_distributed_only_fields(definition: dict) -> Iterator[Diagnostic]:
    """ItemReader, ItemBatcher and ResultWriter need ProcessorConfig.Mode DISTRIBUTED.

    ToleratedFailure* and Label on an inline Map only get a warning: AWS accepted and ran
    inline Maps with ToleratedFailureCount/Percentage (conformance cases evaluate_jsonata.*).
    """
    for state in iter_states(definition):
        if state.type != "Map" or _map_mode(state) == "DISTRIBUTED":
            continue
        for field in ("ItemReader", "ItemBatcher", "ResultWriter"):
            if field in state.node:
                yield error(
                    state.at(field),
                    f"The field '{field}' is only supported when ProcessorConfig.Mode is DISTRIBUTED",
                )
        for field in ("ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage",
                      "ToleratedFailurePercentagePath", "Label"):  # fmt: skip
            if field in state.node:
                yield warning(
                    state.at(field),
                    f"The field '{field}' has no effect unless ProcessorConfig.Mode is DISTRIBUTED",
                )


def check_query_language_override(definition: dict) -> Iterator[Diagnostic]:
    """A state cannot switch back to JSONPath when the whole machine is JSONata."""
    if top_query_language(definition) != JSONATA:
        return
    for state in iter_states(definition):
        if state.node.get("QueryLanguage") == JSONPATH:
            yield error(
                state.at("QueryLanguage"),
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            )


# --------------------------------------------------------------------------------------
# payload templates and paths (JSONPath states)


def payload_templates(state: State) -> Iterator[tuple[str, object]]:
    """(pointer, value) of every JSONPath payload template of ``state`` (where ``.$`` keys evaluate)."""
    node = state.node
    for field in ("Parameters", "ResultSelector", "ItemSelector", "Assign", "Credentials"):
        if field in node:
            yield state.at(field), node[field]
    for outer, inner in (
        ("ItemReader", "Parameters"),
        ("ResultWriter", "Parameters"),
        ("ItemBatcher", "BatchInput"),
    ):
        if isinstance(node.get(outer), dict) and inner in node[outer]:
            yield state.at(outer, inner), node[outer][inner]
    for field in ("Catch", "Choices"):
        if isinstance(node.get(field), list):
            for i, item in enumerate(node[field]):
                if isinstance(item, dict) and "Assign" in item:
                    yield state.at(field, i, "Assign"), item["Assign"]


def _template_objects(value: object, at: str) -> Iterator[tuple[str, dict]]:
    """Every object nested in a template (the template itself included), with its pointer."""
    if isinstance(value, dict):
        yield at, value
        for key, item in value.items():
            if not key.endswith(".$"):
                yield from _template_objects(item, pointer_join(at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _template_objects(item, pointer_join(at, i))


def _jsonpath_states(definition: dict) -> Iterator[State]:
    return (s for s in iter_states(definition) if query_language(definition, s) == JSONPATH)


def check_duplicate_field_names(definition: dict) -> Iterator[Diagnostic]:
    """No two keys of a payload template are the same once '.$' is stripped ("a" and "a.$")."""
    for state in _jsonpath_states(definition):
        for at, template in payload_templates(state):
            for obj_at, obj in _template_objects(template, at):
                plain = {k for k in obj if not k.endswith(".$")}
                for key in obj:
                    if key.endswith(".$") and key[:-2] in plain:
                        yield error(
                            pointer_join(obj_at, key),
                            f"Duplicate field name after removing '.$': {key[:-2]}",
                            m.DUPLICATE_FIELD_NAME,
                        )


#: check_path options for ResultPath (state and Catch): a reference path into the state input.
REFERENCE_PATH = {"reference": True, "allow_context": False, "allow_variables": False}

#: Path fields of a state (or of a sub-object) -> check_path options. All are JSONPath-only.
PATH_FIELDS: list[tuple[tuple[str, ...], str, dict]] = [
    ((), "InputPath", {}),
    ((), "OutputPath", {}),
    ((), "ResultPath", REFERENCE_PATH),
    ((), "ItemsPath", {}),
    ((), "SecondsPath", {}),
    ((), "TimestampPath", {}),
    ((), "TimeoutSecondsPath", {}),
    ((), "HeartbeatSecondsPath", {}),
    ((), "MaxConcurrencyPath", {}),
    ((), "ToleratedFailureCountPath", {}),
    ((), "ToleratedFailurePercentagePath", {}),
    ((), "ErrorPath", {"intrinsic": True}),
    ((), "CausePath", {"intrinsic": True}),
    (("ItemReader", "ReaderConfig"), "MaxItemsPath", {}),
    (("ItemBatcher",), "MaxItemsPerBatchPath", {}),
    (("ItemBatcher",), "MaxInputBytesPerBatchPath", {}),
]


def _choice_rule_paths(rule: object, at: str) -> Iterator[tuple[str, object]]:
    """(pointer, value) of Variable and *Path operators in a Choice rule and its nested rules."""
    if not isinstance(rule, dict):
        return
    for key, value in rule.items():
        if key == "Variable" or m.COMPARISON_OPERATORS.get(key) == "path":
            yield pointer_join(at, key), value
    for key in ("And", "Or"):
        if isinstance(rule.get(key), list):
            for i, sub in enumerate(rule[key]):
                yield from _choice_rule_paths(sub, pointer_join(at, key, i))
    if "Not" in rule:
        yield from _choice_rule_paths(rule["Not"], pointer_join(at, "Not"))


def _dollar_values(state: State) -> Iterator[tuple[str, object]]:
    """(pointer, value) of every '.$' key in the payload templates of ``state``."""
    for at, template in payload_templates(state):
        for obj_at, obj in _template_objects(template, at):
            for key, value in obj.items():
                if key.endswith(".$"):
                    yield pointer_join(obj_at, key), value


def _paths_of(state: State) -> Iterator[tuple[str, object, dict]]:
    """(pointer, value, check options) of every path-valued field of a JSONPath state."""
    for inside, field, options in PATH_FIELDS:
        node = state.node
        for key in inside:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and field in node:
            yield state.at(*inside, field), node[field], options
    if isinstance(state.node.get("Catch"), list):
        for i, catcher in enumerate(state.node["Catch"]):
            if isinstance(catcher, dict) and "ResultPath" in catcher:
                yield state.at("Catch", i, "ResultPath"), catcher["ResultPath"], REFERENCE_PATH
    if state.type == "Choice" and isinstance(state.node.get("Choices"), list):
        for i, rule in enumerate(state.node["Choices"]):
            for at, value in _choice_rule_paths(rule, state.at("Choices", i)):
                yield at, value, {}
    for at, value in _dollar_values(state):
        yield at, value, {"intrinsic": True}


def _check_path(text: object, at: str, *, intrinsic: bool = False, **options: bool) -> Iterator[Diagnostic]:
    """INVALID_JSONPATH when ``text`` does not parse (a WARNING where AWS might still accept it)."""
    if not isinstance(text, str):
        return  # type errors come from the schema
    if intrinsic and is_intrinsic(text.strip()):
        problem = check_intrinsic(text)
    else:
        problem = check_path(text, **options)
    if not problem:
        return
    what = "a valid JSONPath or a valid intrinsic function call" if intrinsic else "a valid JSONPath"
    found = error(
        at, f"The value for the field '{field_name(at)}' must be {what}: {problem}", m.INVALID_JSONPATH
    )
    if has_placeholder(text):
        found = soften(found, PLACEHOLDER_NOTE)
    elif "[?(" in text and check_path(text) is not None:
        # A published AWS sample deploys '[?(@.status==Failure)]'; AWS's Jayway-based parsing
        # of filter expressions is not known well enough to call a filter that fails to parse
        # here an error.
        found = soften(found, "AWS may accept this filter expression, but it cannot be translated")
    yield found


def check_paths(definition: dict) -> Iterator[Diagnostic]:
    """Paths in JSONPath states parse: *Path fields, ResultPath (a reference path), Choice
    Variable and *Path operators, Catch ResultPath, and '.$' values of payload templates
    (which may also be intrinsic function calls)."""
    for state in _jsonpath_states(definition):
        for at, value, options in _paths_of(state):
            yield from _check_path(value, at, **options)


def check_dollar_values_are_strings(definition: dict) -> Iterator[Diagnostic]:
    """A '.$' key of a payload template holds a string (a path or an intrinsic call)."""
    for state in _jsonpath_states(definition):
        for at, value in _dollar_values(state):
            if not isinstance(value, str):
                yield error(
                    at,
                    f"The value for the field '{field_name(at)}' must be a string "
                    "that contains a JSONPath or an intrinsic function call",
                )


def check_intrinsic_arguments(definition: dict) -> Iterator[Diagnostic]:
    """An intrinsic call that parses but has a wrong argument count or a literal argument of the
    wrong type (``States.MathAdd(1, '-1')``): AWS accepts it, the state fails when it runs."""
    for state in _jsonpath_states(definition):
        for at, value, options in _paths_of(state):
            if not (options.get("intrinsic") and is_intrinsic(value.strip() if isinstance(value, str) else None)):
                continue
            try:
                spec = parse_intrinsic(value)
            except IntrinsicSyntaxError:
                continue  # check_paths reports it
            problem = check_arity(spec) or check_argument_types(spec)
            if problem:
                yield warning(at, f"The value for the field '{field_name(at)}': {problem}")


def check_dollar_values_start_with_path_or_call(definition: dict) -> Iterator[Diagnostic]:
    """A '.$' value that starts with a blank: a WARNING, not an error, because Jayway JsonPath
    (which Step Functions' paths follow) trims blanks, while the States Language says a path
    begins with '$' and other validators refuse it; as a call, AWS may not see an intrinsic."""
    for state in _jsonpath_states(definition):
        for at, value in _dollar_values(state):
            if isinstance(value, str) and value.strip() and value[:1].isspace():
                yield warning(
                    at,
                    f"The value for the field '{field_name(at)}' starts with a blank: a path should "
                    "start with '$' and an intrinsic call with 'States.'; remove the blank",
                    m.INVALID_JSONPATH,
                )


#: A Lambda function ARN, as the FunctionName pattern of Lambda's API reference has it, but
#: with the region, an account and "function:" required (a Task's Resource is a full ARN). The
#: account is any number of digits, as other validators (asl-validator) accept it: no recorded
#: AWS refusal says Step Functions checks its length.
_LAMBDA_FUNCTION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d+:function:"
    r"[a-zA-Z0-9-_.]+(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)


def check_resource_is_arn(definition: dict) -> Iterator[Diagnostic]:
    """A Task Resource is an ARN ("arn:..."), unless a ${...} placeholder stands for it. The
    States Language only asks for a URI, and statelint accepts any string, but Step Functions
    refuses an invalid Task resource (the API reference's ValidateStateMachineDefinitionDiagnostic
    lists INVALID_RESOURCE among the errors; Step Functions Local's recorded refusal of an
    unsubstituted placeholder is "SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN")."""
    for state in iter_states(definition):
        resource = state.node.get("Resource")
        if state.type != "Task" or not isinstance(resource, str):
            continue
        if not resource.startswith("arn:") and not has_placeholder(resource):
            yield error(state.at("Resource"), f"Value is not a valid resource ARN: {resource!r}")


def check_lambda_resource(definition: dict) -> Iterator[Diagnostic]:
    """A Task Resource that is a Lambda ARN (arn:...:lambda:...) is a well-formed function ARN."""
    for state in iter_states(definition):
        resource = state.node.get("Resource")
        if state.type != "Task" or not isinstance(resource, str):
            continue
        parts = resource.split(":")
        if len(parts) < 3 or parts[0] != "arn" or parts[2] != "lambda":
            continue
        if _LAMBDA_FUNCTION_ARN.fullmatch(resource) or has_placeholder(resource):
            continue  # a ${...} placeholder: the ARN is only known after substitution
        yield error(
            state.at("Resource"),
            f"Invalid Lambda function ARN: {resource} (expected "
            "arn:aws:lambda:<region>:<account>:function:<name>[:<version or alias>])",
        )


def _strings(node: object, at: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield at, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, pointer_join(at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, pointer_join(at, i))


def check_unterminated_placeholders(definition: dict) -> Iterator[Diagnostic]:
    """A '${' without its '}' is a deployment-time placeholder cut short (a typo that the
    substitution leaves in place): a WARNING, since to Step Functions it is plain text."""
    for at, text in _strings(definition, ""):
        if unclosed(text):
            yield warning(at, f"Unterminated '${{' placeholder in {text!r}: the closing '}}' is missing")


# --------------------------------------------------------------------------------------
# variables

_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Step Functions' limit on the serialised size of one Assign block.
ASSIGN_LIMIT = 256 * 1024


def _assign_blocks(definition: dict) -> Iterator[tuple[str, dict]]:
    """Every ``Assign`` object: on states, on Choice rules and on catchers."""
    for state in iter_states(definition):
        holders = [(state.pointer, state.node)]
        for key in ("Choices", "Catch"):
            entries = state.node.get(key)
            if isinstance(entries, list):
                holders += [(pointer_join(state.pointer, key, i), e) for i, e in enumerate(entries) if isinstance(e, dict)]
        for at, holder in holders:
            block = holder.get("Assign")
            if isinstance(block, dict):
                yield pointer_join(at, "Assign"), block


def check_variable_assignments(definition: dict) -> Iterator[Diagnostic]:
    """Variable names start with a letter or '_' and go on with letters, digits or '_';
    'states' is reserved; one Assign block serialises to at most 256 KiB."""
    import json

    for at, block in _assign_blocks(definition):
        for key in block:
            name = key[:-2] if isinstance(key, str) and key.endswith(".$") else key
            if not isinstance(name, str) or not _VARIABLE_NAME.match(name):
                yield error(pointer_join(at, key), f"The variable name '{name}' is not valid: use letters, digits and '_', starting with a letter or '_'")
            elif name == "states":
                yield error(pointer_join(at, key), "The variable name 'states' is reserved")
        if len(json.dumps(block, separators=(",", ":")).encode("utf-8")) > ASSIGN_LIMIT:
            yield error(at, "The Assign block exceeds the maximum size of 256 KiB")


CHECKS: tuple[Check, ...] = (
    check_duplicate_state_names,
    check_transition_targets,
    check_reachability,
    check_terminal_state,
    check_next_or_end,
    check_choice_rules,
    check_states_all_last,
    check_exclusive_fields,
    check_heartbeat_below_timeout,
    check_distributed_only_fields,
    check_query_language_override,
    check_duplicate_field_names,
    check_paths,
    check_dollar_values_are_strings,
    check_dollar_values_start_with_path_or_call,
    check_intrinsic_arguments,
    check_resource_is_arn,
    check_lambda_resource,
    check_unterminated_placeholders,
    check_jsonata_expressions,
    check_variable_assignments,
)
