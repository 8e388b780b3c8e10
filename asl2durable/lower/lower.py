"""Lowering: a validated ASL definition (dict) → the IR workflow graph (``ir.py``).

This is the only module that reads raw ASL. Anything it cannot translate faithfully becomes
a diagnostic (with a code and a JSON pointer) and, where possible, code that fails loudly at
run time instead of silently doing something else.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from asl2durable.lower import ir
from asl2durable.diagnostics import Diagnostic, Severity, pointer
from asl2durable.lower.integrations import classify
from asl2durable.expressions.intrinsics import IntrinsicSyntaxError, parse_intrinsic, uses_nondeterminism
from asl2durable.expressions.paths import PathSyntaxError, parse_path
from asl2durable.load.placeholders import PLACEHOLDER, Unquoted, fresh
from asl2durable.runtime.asl_services import parse_resource

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
_INTRINSIC = re.compile(r"^States\.[A-Za-z0-9]+\(")
_JSONATA = re.compile(r"^\{%.*%\}$", re.DOTALL)
# A path or expression that may read $$.State.EnteredTime: "$$", "$$.State...", "$states.context".
_ENTERED_TIME = re.compile(r"\$\$(?![.\[]|\w)|\$\$\s*\.\s*State\b|\$\$\[\s*['\"]State|\$states\s*\.\s*context(?!\s*\.\s*(?:Map|Execution|StateMachine|Task)\b)|\$\$\.\.")
_COMPARISON_OPERATORS = [
    f"{family}{op}{suffix}"
    for family in ("String", "Numeric", "Timestamp")
    for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
    for suffix in ("", "Path")
] + ["StringMatches", "BooleanEquals", "BooleanEqualsPath", "IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"]


# an integration's ARN, in any partition: arn:aws:states:::, arn:${AWS::Partition}:states:::
_INTEGRATION_ARN = re.compile(r"^arn:(?:aws|aws-cn|aws-us-gov|\$\{AWS::Partition\}):states:::")


def _sub_text(value: Any) -> str | None:
    """The text of an ``Fn::Sub`` value (``{"Fn::Sub": text}`` or ``[text, variables]``), else None."""
    arg = value.get("Fn::Sub") if isinstance(value, dict) and len(value) == 1 else None
    if isinstance(arg, list) and arg and isinstance(arg[0], str):
        return arg[0]
    return arg if isinstance(arg, str) else None


# Names generated code uses for modules, imports and local variables: never given to a state.
RESERVED_NAMES = frozenset(
    {
        "handler", "rt", "asl_runtime", "asl_jsonpath", "Any", "DurableContext", "durable_execution",
        "annotations", "state_machine", "MACHINE", "MAP_RUNS", "run", "data", "route", "state", "state_input",
        "output", "result", "args", "items", "attempt", "operation", "error", "payload", "timeout",
        "heartbeat", "effective", "selected", "select_item", "asl_intrinsics", "States", "Duration", "NoReturn",
    }
)


def _definite(steps: Any) -> bool:
    """Does a path with these steps select one value (key and index steps, maybe ending in a
    union of keys), which the support module asl_jsonpath reads without asl_jsonquery?"""
    steps = list(steps)
    if steps and steps[-1][0] == "union" and all(sel[0] == "key" for sel in steps[-1][1]):
        steps = steps[:-1]
    return all(step[0] in ("key", "index") for step in steps)


class Lowering:
    """Builds the IR for one definition and collects the diagnostics met on the way."""

    def __init__(self, name: str, query_language: str = "JSONPath", substitutions: Any = ()):
        self.name = name
        # placeholder name -> substitution (``cfn.Substitution``: .env, .literal, .function)
        self.substitutions = {sub.name: sub for sub in substitutions}
        self.settings: dict[str, str] = {}  # the placeholders the handler reads -> their variables
        self.query_language = query_language
        self._jsonata = False  # the query language of the state being lowered
        self.uses: set[str] = set()  # optional support modules the handler needs
        self.diagnostics: list[Diagnostic] = []
        self.functions: dict[str, str] = {}
        self.lambdas: dict[str, str] = {}  # function name or ARN -> its module constant
        self._idents: set[str] = set(RESERVED_NAMES)
        self.lifetime = MAX_EXECUTION_TIMEOUT  # how long an execution may run (execution_lifetime)
        self.starts: dict[str, str] = {}  # placeholder of a machine of the template -> startExecution pattern

    # -- helpers ---------------------------------------------------------------

    def warn(self, where: str, code: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(where, code, message, Severity.WARNING))

    def ident(self, text: str, prefix: str = "") -> str:
        """A fresh, valid Python identifier derived from ``text``."""
        base = prefix + (ir.plain_spelling(text) or "state")
        if base[0].isdigit() or keyword.iskeyword(base):
            base = "s_" + base
        candidate = fresh(base, self._idents, "_")
        self._idents.add(candidate)
        return candidate

    def lambda_constant(self, function: str) -> str:
        """The module constant for a Lambda function a Task names as its Resource: its name
        in upper case (``VALIDATE_ORDER`` for ``arn:...:function:validate-order``), one per
        function. Upper case: never a state function's or a local name."""
        if function not in self.lambdas:
            name = function.split(":function:", 1)[1].split(":")[0] if ":function:" in function else function
            base = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").upper() or "FUNCTION"
            if base[0].isdigit() or base in RESERVED_NAMES:
                base = "FUNCTION_" + base
            self.lambdas[function] = fresh(base, self.lambdas.values(), "_")
        return self.lambdas[function]

    def setting(self, value: Any) -> Any:
        """A string holding configured ``${placeholders}`` as an ``ir.Setting``; anything else as it is."""
        if not self.substitutions or not isinstance(value, str):
            return value
        names = [n for n in dict.fromkeys(PLACEHOLDER.findall(value)) if n in self.substitutions]
        if not names:
            return value
        env = tuple((n, self.substitutions[n].env) for n in names)
        self.settings.update(env)
        self.uses.add("settings")  # asl_settings.py
        if isinstance(value, Unquoted):  # JSON text, as CloudFormation substitutes it unquoted
            return ir.Setting(str(value), env, typed=True, example=self.substitutions[value.name].literal)
        return ir.Setting(value, env)

    def intrinsic_settings(self, spec: Any) -> Any:
        """An intrinsic's parse with each string literal that holds configured placeholders as a
        ``["setting", text, env]`` argument, which the handler substitutes at run time."""
        if not self.substitutions or not isinstance(spec, list) or not spec:
            return spec
        if spec[0] in ("lit", "tpl") and isinstance(spec[1], str):
            setting = self.setting(spec[1])
            return ["setting", setting.text, dict(setting.env)] if isinstance(setting, ir.Setting) else spec
        if spec[0] == "call":
            return ["call", spec[1], [self.intrinsic_settings(arg) for arg in spec[2]]]
        return spec

    def settings_in(self, value: Any) -> Any:
        """JSON data with its configured strings as ``ir.Setting`` (keys are left alone)."""
        if not self.substitutions:
            return value
        if isinstance(value, dict):
            return {k: self.settings_in(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.settings_in(v) for v in value]
        return self.setting(value)

    def jsonata(self, value: Any) -> ir.Jsonata:
        """A JSONata field (an expression, or data holding expressions), its configured placeholders
        substituted at run time, before the expressions are evaluated, as Step Functions sees them."""
        return ir.Jsonata(self.settings_in(value))

    def task_resource(self, resource: Any) -> tuple[Any, ir.Setting | None]:
        """The Task ``Resource`` as classified at conversion: literal substitutions made. A resource
        that is just the placeholder of a Lambda function of the template comes back as a Setting."""
        if not self.substitutions or not isinstance(resource, str):
            return resource, None
        whole = PLACEHOLDER.fullmatch(resource.strip())
        if whole and whole.group(1) in self.substitutions and self.substitutions[whole.group(1)].function:
            return resource, self.setting(resource.strip())

        def literal(match: re.Match) -> str:
            sub = self.substitutions.get(match.group(1))
            if sub is None:
                return match.group(0)
            if sub.literal is not None:
                return sub.literal
            # !Sub arn:${AWS::Partition}:states:::dynamodb:putItem: an integration, whatever the partition
            text = _sub_text(sub.value)
            return text if text is not None and _INTEGRATION_ARN.match(text) else match.group(0)

        resource = PLACEHOLDER.sub(literal, resource)
        # an integration's ARN names the service and action whatever the partition: arn:aws:states:::...
        return _INTEGRATION_ARN.sub("arn:aws:states:::", resource, count=1), None

    def path(self, text: Any, where: str) -> ir.Path | None:
        if text is None:
            return None
        try:
            path = ir.Path(text, parse_path(text))
        except (PathSyntaxError, TypeError) as err:  # validation reports these; keep going
            self.warn(where, "INVALID_JSONPATH", str(err))
            return ir.Path(str(text), ("$", ()))
        if not _definite(path.spec[1]):
            self.uses.add("jsonquery")  # asl_jsonquery.py evaluates it
        return path

    def optional_path(self, state: dict, key: str, where: str) -> ir.Path | None | ir._Default:
        if key not in state:
            return ir.DEFAULT
        return self.path(state[key], pointer_join(where, key))

    def dynamic(self, text: Any, where: str) -> ir.Path | ir.Intrinsic:
        """The value of a ``"key.$"`` field (or ErrorPath/CausePath): a path or an intrinsic call."""
        if isinstance(text, str) and _INTRINSIC.match(text):
            try:
                spec = parse_intrinsic(text)
            except IntrinsicSyntaxError as err:  # validation reports these; keep going
                self.warn(where, "INVALID_INTRINSIC", str(err))
                spec = ["call", "States.Array", []]
            self.uses.add("intrinsics")
            return ir.Intrinsic(text, self.intrinsic_settings(spec), uses_nondeterminism(spec))
        return self.path(text, where)  # type: ignore[return-value]

    def template(self, value: Any, where: str) -> ir.Template:
        """A payload template: ``"key.$"`` entries become Path/Intrinsic under ``"key"``."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                here = pointer_join(where, key)
                if isinstance(key, str) and key.endswith(".$"):
                    out[key[:-2]] = self.dynamic(item, here)
                else:
                    out[key] = self.template(item, here)
            return out
        if isinstance(value, list):
            return [self.template(item, pointer_join(where, i)) for i, item in enumerate(value)]
        return self.setting(value)

    def flow(self, state: dict, where: str, *, result_fields: bool = True) -> ir.DataFlow:
        flow = ir.DataFlow(
            input_path=self.optional_path(state, "InputPath", where),
            output_path=self.optional_path(state, "OutputPath", where),
        )
        if "Parameters" in state:
            flow.parameters = self.template(state["Parameters"], pointer_join(where, "Parameters"))
        if result_fields:
            if "ResultSelector" in state:
                flow.result_selector = self.template(state["ResultSelector"], pointer_join(where, "ResultSelector"))
            flow.result_path = self.optional_path(state, "ResultPath", where)
        return flow

    def retriers(self, state: dict, where: str) -> list[ir.Retrier]:
        out = []
        for r in state.get("Retry", []):
            out.append(
                ir.Retrier(
                    error_equals=tuple(r.get("ErrorEquals", [])),
                    interval_seconds=r.get("IntervalSeconds", 1),
                    max_attempts=r.get("MaxAttempts", 3),
                    backoff_rate=float(r.get("BackoffRate", 2.0)),
                    max_delay_seconds=r.get("MaxDelaySeconds"),
                    jitter=r.get("JitterStrategy", "NONE"),
                )
            )
        return out

    def catchers(self, state: dict, where: str, jsonata: bool) -> list[ir.Catcher]:
        out = []
        for i, c in enumerate(state.get("Catch", [])):
            here = pointer_join(where, "Catch", i)
            result_path = ir.DEFAULT
            if "ResultPath" in c:
                result_path = self.path(c["ResultPath"], pointer_join(here, "ResultPath"))
            out.append(
                ir.Catcher(
                    tuple(c.get("ErrorEquals", [])),
                    c["Next"],
                    result_path,
                    assign=self.assign(c, here, jsonata),
                    output=self.jsonata(c["Output"]) if jsonata and "Output" in c else ir.DEFAULT,
                )
            )
        return out

    def assign(self, holder: dict, where: str, jsonata: bool) -> Any:
        """The ``Assign`` of a state, catcher or Choice rule."""
        if "Assign" not in holder:
            return ir.DEFAULT
        if jsonata:
            return self.jsonata(holder["Assign"])
        return self.template(holder["Assign"], pointer_join(where, "Assign"))

    # -- machines and states ---------------------------------------------------

    def machine(self, asl: dict, where: str, ident: str, title: str) -> ir.Machine:
        states: dict[str, ir.State] = {}
        for name, state in asl.get("States", {}).items():
            here = pointer_join(where, "States", name)
            self.functions[name] = self.ident(name)
            states[name] = self.state(name, state, here)
        return ir.Machine(asl["StartAt"], states, ident, asl.get("Comment"), pointer=where, title=title)

    def state(self, name: str, s: dict, where: str) -> ir.State:
        jsonata = s.get("QueryLanguage", self.query_language) == "JSONata"
        common = {
            "name": name,
            "pointer": where,
            "comment": s.get("Comment"),
            "query_language": "JSONata" if jsonata else "JSONPath",
            "assign": self.assign(s, where, jsonata),
            "output": self.jsonata(s["Output"]) if jsonata and "Output" in s else ir.DEFAULT,
            "needs_entered_time": _reads_entered_time(s),
        }
        outer, self._jsonata = self._jsonata, jsonata
        if jsonata:
            self.uses.add("jsonata")
        state = self._state(name, s, where, common)
        state.unsupported = self.unsupported_features(s, where)
        self._jsonata = outer
        return state

    def expr(self, value: Any) -> Any:
        """A field that JSONata states may write as an expression (a literal stays a literal)."""
        if self._jsonata and isinstance(value, str) and _JSONATA.match(value):
            return self.jsonata(value)
        return value

    def unsupported_features(self, s: dict, where: str) -> str | None:
        """Features of a state that are not translated yet (later issues); the state then fails at run time."""
        found = []
        if s.get("Type") == "Task":
            resource, function = self.task_resource(s.get("Resource", ""))
            integration = classify(resource)
            if integration.kind == "unsupported" and function is None:
                found.append(("/Resource", "UNSUPPORTED_INTEGRATION", f"the Task resource {s.get('Resource')} ({integration.reason})"))
        for suffix, code, what in found:
            self.warn(where + suffix, code, f"{what} is not translated yet; this state fails at run time with States.Runtime")
        return ", ".join(what for _, _, what in found) or None

    def _state(self, name: str, s: dict, where: str, common: dict) -> ir.State:
        kind = s.get("Type")
        nxt = s.get("Next")
        if kind == "Pass":
            result = self.settings_in(s["Result"]) if "Result" in s else ir.DEFAULT
            return ir.PassState(**common, next=nxt, flow=self.flow(s, where, result_fields=True), result=result)
        if kind == "Task":
            return self.task(common, s, where)
        if kind == "Choice":
            rules = []
            for i, rule in enumerate(s.get("Choices", [])):
                here = pointer_join(where, "Choices", i)
                condition = self.jsonata(rule.get("Condition")) if self._jsonata else self.condition(rule, here)
                rules.append(
                    ir.ChoiceRule(
                        condition,
                        rule.get("Next", ""),
                        assign=self.assign(rule, here, self._jsonata),
                        output=self.jsonata(rule["Output"]) if self._jsonata and "Output" in rule else ir.DEFAULT,
                    )
                )
            return ir.ChoiceState(
                **common,
                rules=rules,
                default=s.get("Default"),
                flow=self.flow(s, where, result_fields=False),
            )
        if kind == "Wait":
            if "Timestamp" in s or "TimestampPath" in s:
                self.uses.add("wait_until")  # asl_wait_until.py
            seconds = s.get("Seconds")
            if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds > self.lifetime:
                self.warn(
                    pointer_join(where, "Seconds"),
                    WAIT_OUTLASTS_EXECUTION,
                    f"this wait ({seconds:,} s) outlasts the execution, which times out after {self.lifetime:,} s: "
                    "the execution will time out (States.Timeout) while it waits, as in Step Functions",
                )
            return ir.WaitState(
                **common,
                next=nxt,
                seconds=self.expr(s.get("Seconds")),
                seconds_path=self.path(s.get("SecondsPath"), pointer_join(where, "SecondsPath")),
                timestamp=self.expr(s.get("Timestamp")),
                timestamp_path=self.path(s.get("TimestampPath"), pointer_join(where, "TimestampPath")),
                flow=self.flow(s, where, result_fields=False),
            )
        if kind == "Succeed":
            return ir.SucceedState(
                **common,
                flow=self.flow(s, where, result_fields=False),
            )
        if kind == "Fail":
            return ir.FailState(
                **common,
                error=self.setting(self.expr(s.get("Error"))),
                error_path=self.dynamic(s["ErrorPath"], pointer_join(where, "ErrorPath")) if "ErrorPath" in s else None,
                cause=self.setting(self.expr(s.get("Cause"))),
                cause_path=self.dynamic(s["CausePath"], pointer_join(where, "CausePath")) if "CausePath" in s else None,
            )
        if kind == "Parallel":
            self.uses.add("flow")  # asl_flow.py
            branches = [
                self.machine(
                    b, pointer_join(where, "Branches", i), self.ident(f"{name} branch {i + 1}"),
                    f"Branch {i + 1} of the Parallel state {name!r}.",
                )
                for i, b in enumerate(s.get("Branches", []))
            ]
            return ir.ParallelState(
                **common, next=nxt, branches=branches, flow=self.flow(s, where),
                arguments=self.jsonata(s["Arguments"]) if self._jsonata and "Arguments" in s else ir.DEFAULT,
                retry=self.retriers(s, where), catch=self.catchers(s, where, self._jsonata),
            )
        if kind == "Map":
            return self.map(common, s, where)
        raise ValueError(f"unknown state type {kind!r} at {where}")  # validation rejects this first

    def task(self, common: dict, s: dict, where: str) -> ir.TaskState:
        resource, function_setting = self.task_resource(s.get("Resource", ""))
        integration = classify(resource)
        params = s.get("Arguments" if self._jsonata else "Parameters", {})
        function = params.get("FunctionName") if isinstance(params, dict) else None
        static_function = self.setting(function) if isinstance(function, str) and not _JSONATA.match(function) else None
        call: ir.LambdaCall | ir.ServiceCall | None = None  # None: unsupported, the state is flagged
        if function_setting is not None:  # the ARN of a Lambda function of the template, configured
            call = ir.LambdaCall(function_setting, envelope=False)
        elif integration.kind == "lambda" and integration.pattern == "request-response":
            # arn:aws:states:::lambda:invoke, also as "arn:${AWS::Partition}:states:::lambda:invoke"
            if integration.base == LAMBDA_INVOKE or parse_resource(integration.base).kind == "optimized":
                call = ir.LambdaCall(static_function, envelope=True)
            else:  # a function ARN as the Resource
                call = ir.LambdaCall(self.setting(resource), envelope=False)
        elif integration.kind != "unsupported":
            call = ir.ServiceCall(
                integration.kind, integration.pattern, resource, integration.base,
                static_function if integration.kind == "lambda" else None,
            )
        if isinstance(call, ir.LambdaCall) and not call.envelope and isinstance(call.function, str):
            call.constant = self.lambda_constant(call.function)
        if call is not None:  # asl_lambda.py; asl_tasks.py for calls other than Lambda invokes
            self.uses.add("lambda" if isinstance(call, ir.LambdaCall) else "tasks")
        if isinstance(call, ir.ServiceCall) and call.kind in ("optimized", "aws-sdk"):
            self.uses.add("services")
        if isinstance(call, ir.ServiceCall) and call.kind == "optimized" and call.base.endswith(":states:::states:startExecution"):
            self.starts_machine(params, call.pattern, pointer_join(where, "Arguments" if self._jsonata else "Parameters"))
        callback = ir.waits_for_token(call)
        if not callback:
            for key in ("HeartbeatSeconds", "HeartbeatSecondsPath"):
                if key in s:
                    self.warn(pointer_join(where, key), "UNSUPPORTED_FEATURE",
                              f"{key} only applies to callback tasks here; it is not enforced on this Task")
        if s.get("TimeoutSeconds") is not None or s.get("TimeoutSecondsPath") is not None:
            self.uses.add("timeout")  # asl_timeout.py: the call stops waiting
        if "Credentials" in s:
            self.warn(pointer_join(where, "Credentials"), "UNSUPPORTED_FEATURE",
                      "Credentials (cross-account role) are not assumed: the function's own role makes the call")
        if isinstance(call, ir.LambdaCall) and call.envelope and isinstance(params, dict):
            call.from_step = self.lambda_call_path(params, pointer_join(where, "Arguments" if self._jsonata else "Parameters"))
        return ir.TaskState(
            **common,
            next=s.get("Next"),
            resource=resource,
            call=call,
            flow=self.flow(s, where),
            arguments=self.jsonata(s["Arguments"]) if self._jsonata and "Arguments" in s else ir.DEFAULT,
            timeout_seconds=self.expr(s.get("TimeoutSeconds")),
            timeout_seconds_path=self.path(s.get("TimeoutSecondsPath"), pointer_join(where, "TimeoutSecondsPath")),
            heartbeat_seconds=self.expr(s.get("HeartbeatSeconds")) if callback else None,
            heartbeat_seconds_path=(
                self.path(s.get("HeartbeatSecondsPath"), pointer_join(where, "HeartbeatSecondsPath")) if callback else None
            ),
            retry=self.retriers(s, where),
            catch=self.catchers(s, where, self._jsonata),
        )

    def starts_machine(self, params: Any, pattern: str, where: str) -> None:
        """A startExecution Task whose StateMachineArn is a state machine of the same template:
        converted too, that machine is a durable function, which the Task then invokes (the
        runtime's ``durable_machine``)."""
        arn = params.get("StateMachineArn") if isinstance(params, dict) else None
        whole = PLACEHOLDER.fullmatch(arn.strip()) if isinstance(arn, str) else None
        sub = self.substitutions.get(whole.group(1)) if whole else None
        if sub is None or not sub.machine:
            return
        self.starts.setdefault(sub.name, pattern)
        machine = sub.value.get("Ref") or sub.value["Fn::GetAtt"][0]
        if pattern.startswith("sync"):
            how = ("a chained invoke: this function waits, unbilled, for the child's result, which lacks "
                   "DescribeExecution's ExecutionArn, StartDate and StopDate")
        elif pattern == "callback":
            how = ("an asynchronous invoke; the child must answer the task token with the durable callback APIs "
                   "(SendDurableExecutionCallbackSuccess), not SendTaskSuccess")
        else:
            how = "an asynchronous invoke, whose ExecutionArn is the durable execution ARN"
        self.warn(
            pointer_join(where, "StateMachineArn"), "STARTS_CONVERTED_MACHINE",
            f"StateMachineArn is the state machine {machine} of the same template: in the rewritten template "
            f"it is that machine's durable function (its alias ARN), and this Task invokes it ({how}); "
            "given a state machine ARN instead, the Task starts an execution as before",
        )

    # lambda:invoke parameters a chained invoke cannot carry: the function is then invoked from
    # a durable step with the Lambda client (see asl_lambda.client_call_reason), which changes
    # what the durable function is billed for. Each one with what changes.
    _CLIENT_CALL_PARAMETERS = {
        ("InvocationType", "Event"): "InvocationType Event: the function is invoked asynchronously from a durable step, "
        "as Step Functions does (a chained invoke would wait for its result)",
        ("InvocationType", "DryRun"): "InvocationType DryRun: the call is made from a durable step with the Lambda client",
        ("ClientContext", None): "ClientContext: a chained invoke cannot pass it, so the function is invoked from a durable "
        "step with the Lambda client; the durable function runs (and is billed) while the function runs",
        ("LogType", "Tail"): "LogType Tail: a chained invoke returns no log tail, so the function is invoked from a durable "
        "step with the Lambda client to get LogResult; the durable function runs (and is billed) while the function runs",
    }

    def lambda_call_path(self, params: dict, where: str) -> str | None:
        """A WARNING for each static lambda:invoke parameter that takes the call off chained
        invoke; returns the first such parameter (None: a chained invoke, as far as is known)."""
        found = None
        for (key, value), message in self._CLIENT_CALL_PARAMETERS.items():
            if key in params and (value is None or params[key] == value):
                self.warn(pointer_join(where, key), "LAMBDA_CALLED_FROM_STEP", message)
                found = found or key
        return found

    def map(self, common: dict, s: dict, where: str) -> ir.MapState:
        self.uses.add("map")  # asl_map.py
        processor_key = "ItemProcessor" if "ItemProcessor" in s else "Iterator"
        processor_asl = s.get(processor_key, {})
        config = processor_asl.get("ProcessorConfig", {})
        distributed = config.get("Mode") == "DISTRIBUTED"
        selector_key = "ItemSelector" if "ItemSelector" in s else "Parameters" if "Parameters" in s else None
        flow = self.flow({k: v for k, v in s.items() if k != "Parameters"}, where)
        return ir.MapState(
            **common,
            next=s.get("Next"),
            processor=self.machine(
                processor_asl, pointer_join(where, processor_key), self.ident(f"{common['name']} iteration"),
                f"One iteration of the Map state {common['name']!r}.",
            ),
            items_path=self.optional_path(s, "ItemsPath", where),
            items=self.jsonata(s["Items"]) if "Items" in s else ir.DEFAULT,
            item_selector=(
                ir.DEFAULT if not selector_key
                else self.jsonata(s[selector_key]) if self._jsonata
                else self.template(s[selector_key], pointer_join(where, selector_key))
            ),
            max_concurrency=self.expr(s.get("MaxConcurrency", 0)),
            max_concurrency_path=self.path(s.get("MaxConcurrencyPath"), pointer_join(where, "MaxConcurrencyPath")),
            tolerated_failure_count=self.expr(s.get("ToleratedFailureCount")),
            tolerated_failure_count_path=self.path(s.get("ToleratedFailureCountPath"), pointer_join(where, "ToleratedFailureCountPath")),
            tolerated_failure_percentage=self.expr(s.get("ToleratedFailurePercentage")),
            tolerated_failure_percentage_path=self.path(
                s.get("ToleratedFailurePercentagePath"), pointer_join(where, "ToleratedFailurePercentagePath")
            ),
            distributed=distributed,
            item_reader=self.io_spec(s, "ItemReader", where),
            item_batcher=self.io_spec(s, "ItemBatcher", where),
            result_writer=self.io_spec(s, "ResultWriter", where),
            label=s.get("Label"),
            flow=flow,
            retry=self.retriers(s, where),
            catch=self.catchers(s, where, self._jsonata),
        )

    def io_spec(self, s: dict, key: str, where: str) -> Any:
        """A Distributed Map ItemReader / ItemBatcher / ResultWriter: JSONata fields stay templates;
        in JSONPath, ``"key.$"`` entries become paths (or intrinsics) and ``*Path`` fields paths."""
        if key not in s:
            return ir.DEFAULT
        self.uses.add("itemio")
        if self._jsonata:
            return self.jsonata(s[key])

        def lower_value(value: Any, here: str) -> Any:
            if isinstance(value, dict):
                out = {}
                for k, v in value.items():
                    at = pointer_join(here, k)
                    if k.endswith(".$"):
                        out[k[:-2]] = self.dynamic(v, at)
                    elif k.endswith("Path") and isinstance(v, str) and v.startswith("$"):
                        out[k] = self.path(v, at)
                    else:
                        out[k] = lower_value(v, at)
                return out
            if isinstance(value, list):
                return [lower_value(v, pointer_join(here, i)) for i, v in enumerate(value)]
            return self.setting(value)

        return lower_value(s[key], pointer_join(where, key))

    def condition(self, rule: dict, where: str) -> ir.Condition:
        for kind in ("And", "Or"):
            if kind in rule:
                return ir.Combinator(kind, tuple(self.condition(r, pointer_join(where, kind, i)) for i, r in enumerate(rule[kind])))
        if "Not" in rule:
            return ir.Combinator("Not", (self.condition(rule["Not"], pointer_join(where, "Not")),))
        variable = self.path(rule.get("Variable", "$"), pointer_join(where, "Variable"))
        for op in _COMPARISON_OPERATORS:
            if op in rule:
                operand = rule[op]
                if op.endswith("Path"):
                    operand = self.path(operand, pointer_join(where, op))
                else:
                    operand = self.setting(operand)
                return ir.Comparison(op, variable, operand)
        return ir.Comparison("Unsupported", variable, None)  # JSONata Condition: the state is flagged unsupported


def _reads_entered_time(state: dict) -> bool:
    """Does a state (not counting its sub-machines) read ``$$.State.EnteredTime``?"""

    def strings(value: Any):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("Branches", "ItemProcessor", "Iterator"):
                    yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    return any(_ENTERED_TIME.search(text) for text in strings(state))


def pointer_join(base: str, *parts: object) -> str:
    return base + pointer(*parts)


WORKFLOW_TYPES = ("STANDARD", "EXPRESS")
WORKFLOW_TYPE_ASSUMED = "WORKFLOW_TYPE_ASSUMED"
WAIT_OUTLASTS_EXECUTION = "WAIT_OUTLASTS_EXECUTION"


# DurableConfig.ExecutionTimeout in the Lambda API: 1..31,622,400 s (a 366-day year).
MAX_EXECUTION_TIMEOUT = 31_622_400
# Step Functions Express workflows: "Maximum execution duration: 5 minutes" (Step Functions
# developer guide, "Choosing workflow type"); Standard: one year (the durable maximum above).
EXPRESS_MAX_DURATION = 300


def execution_lifetime(timeout_seconds: Any, workflow_type: str) -> tuple[int, str]:
    """How long an execution may run (the function's DurableConfig.ExecutionTimeout), and why:
    the machine's TimeoutSeconds, else as long as Step Functions lets an execution of its type
    run (Standard: a year; Express: five minutes), within the durable maximum of 366 days."""
    express = workflow_type == "EXPRESS"
    longest = EXPRESS_MAX_DURATION if express else MAX_EXECUTION_TIMEOUT
    kind = "an Express execution runs up to five minutes" if express else "a Standard execution may run up to one year"
    if isinstance(timeout_seconds, int) and not isinstance(timeout_seconds, bool) and timeout_seconds >= 1:
        if timeout_seconds > longest:
            return longest, f"the machine's TimeoutSeconds ({timeout_seconds}) capped at the maximum, {longest}: {kind}"
        return timeout_seconds, "the machine's TimeoutSeconds"
    return longest, f"the default: the machine sets no TimeoutSeconds, and {kind}"


def lower(
    definition: dict, name: str, substitutions: Any = (), workflow_type: str | None = None
) -> tuple[ir.Workflow, list[Diagnostic]]:
    """Build the IR for a validated definition; returns it with the diagnostics met.

    ``substitutions`` (``cfn.Substitution``) are the ``${placeholders}`` the input template
    configures: strings holding them become ``ir.Setting`` values, read from the environment.
    ``workflow_type`` (STANDARD or EXPRESS; None: not known, STANDARD is assumed and said)
    decides how often a Task's side effect may run: at most or at least once per attempt.
    """
    lowering = Lowering(name, definition.get("QueryLanguage", "JSONPath"), substitutions)
    if workflow_type is None:
        lowering.diagnostics.append(
            Diagnostic(
                "",
                WORKFLOW_TYPE_ASSUMED,
                "the workflow type is not given: translated as a STANDARD workflow (each Task's call runs at "
                "most once per attempt); for an Express workflow pass --workflow-type express",
                Severity.INFO,
            )
        )
    workflow_type = (workflow_type or "STANDARD").upper()
    if workflow_type not in WORKFLOW_TYPES:
        raise ValueError(f"workflow_type must be one of {', '.join(WORKFLOW_TYPES)}, not {workflow_type!r}")
    lowering.lifetime, lifetime_reason = execution_lifetime(definition.get("TimeoutSeconds"), workflow_type)
    root = lowering.machine(
        definition, "", "state_machine", f"Run the state machine from its StartAt state {definition['StartAt']!r} to the end."
    )
    if "TimeoutSeconds" in definition:
        lowering.warn(
            "/TimeoutSeconds",
            "EXECUTION_TIMEOUT_NOT_IN_HANDLER",
            "the execution timeout is not enforced by the handler: configure the durable function's "
            "ExecutionTimeout (DurableConfig) to the same value",
        )
    workflow = ir.Workflow(
        name=name,
        root=root,
        comment=definition.get("Comment"),
        timeout_seconds=definition.get("TimeoutSeconds"),
        functions=lowering.functions,
        lambdas=tuple(lowering.lambdas.items()),
        uses=frozenset(lowering.uses),
        settings=tuple(sorted(lowering.settings.items())),
        workflow_type=workflow_type,
        lifetime=lowering.lifetime,
        lifetime_reason=lifetime_reason,
        starts=tuple(sorted(lowering.starts.items())),
    )
    return workflow, lowering.diagnostics
