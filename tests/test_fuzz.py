"""Robustness fuzzing: mutated and random definitions through the library path the CLI uses.

``loader.load`` (on text, or on the bytes of a file) → ``validate`` → ``translate`` for the ones
that validate; the CLI wraps each input in ``batch.pool.each``, which turns any exception into an
INTERNAL_ERROR diagnostic: here nothing catches, so an exception fails the test, and so does an
internal-error diagnostic (the validator's own catch-all, VALIDATOR_INTERNAL_ERROR).

The mutations are deterministic (``random.Random`` seeded per definition, hypothesis derandomized),
so CI does not flake; a failure names the batch and the seed. ``BATCHES × BATCH_SIZE`` definitions
are exercised (≥ 10,000), counted as they go. The named edge cases (10,000 states, 200-deep
nesting, 50 MB, bad UTF-8, BOM, duplicate keys, NaN, 100,000-deep JSON) go through the CLI at the end.
"""

from __future__ import annotations

import copy
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl2durable.cli import main
from asl2durable.diagnostics import Severity
from asl2durable.load.loader import load
from asl2durable.translate import translate
from asl2durable.validate import validate

pytestmark = pytest.mark.slow  # thousands of mutated definitions

FIXTURES = Path(__file__).parent / "fixtures"
SEED_FILES = sorted((FIXTURES / "corpus" / "realworld").glob("*.asl.json")) + sorted(
    (FIXTURES / "golden").glob("*.asl.json")
)
# the smaller half of the corpus is mutated more often: validating a small definition is cheaper
SEEDS = sorted((json.loads(p.read_text(encoding="utf-8")) for p in SEED_FILES), key=lambda d: len(json.dumps(d)))

BATCHES = 20
BATCH_SIZE = 500
TRANSLATE_PER_BATCH = 2  # translating (with black) costs ~0.3 s; the first valid mutants of a batch
INTERNAL_CODES = {"INTERNAL_ERROR", "VALIDATOR_INTERNAL_ERROR"}

EXERCISED: dict[str, int] = {}  # test id -> definitions that went through the pipeline


# --------------------------------------------------------------------------------------------
# the pipeline, as the CLI runs it, without its catch-all


def check_errors(diagnostics) -> None:
    for d in diagnostics:
        assert d.code not in INTERNAL_CODES, str(d)
        assert isinstance(d.code, str) and d.code, d
        assert isinstance(d.pointer, str) and (d.pointer == "" or d.pointer.startswith("/")), d
        assert isinstance(d.message, str)


def run_pipeline(source, *, translate_it: bool, expect_invalid: bool = False) -> str:
    """load → validate → (translate); returns "unloadable" | "invalid" | "valid" | "translated"."""
    loaded = load(source)
    check_errors(loaded.diagnostics)
    if loaded.definition is None:
        assert any(d.severity is Severity.ERROR for d in loaded.diagnostics), loaded.diagnostics
        return "unloadable"
    diagnostics = [*loaded.diagnostics, *validate(loaded.definition)]
    check_errors(diagnostics)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        return "invalid"
    assert not expect_invalid, f"a surely-invalid mutant validated: {loaded.definition!r:.500}"
    if not translate_it:
        return "valid"
    translation = translate(loaded.definition, name=loaded.name, substitutions=loaded.substitutions)
    check_errors(translation.diagnostics)
    if not translation.ok:  # what only translating finds (say, data nested too deeply for Python)
        assert translation.files == {}
        return "untranslatable"
    for file_name, text in translation.files.items():
        if file_name.endswith(".py"):
            compile(text, file_name, "exec")
    return "translated"


# --------------------------------------------------------------------------------------------
# mutations


def _containers(value, path=()):
    """Every (path, container) in a JSON value (iteratively: deep values are fine)."""
    stack = [(path, value)]
    while stack:
        p, node = stack.pop()
        if isinstance(node, dict):
            yield p, node
            stack.extend((p + (k,), v) for k, v in node.items())
        elif isinstance(node, list):
            yield p, node
            stack.extend((p + (i,), v) for i, v in enumerate(node))


def _state_maps(definition):
    """Every "States" object in a definition (top level, Parallel branches, Map processors)."""
    return [node["States"] for _, node in _containers(definition) if isinstance(node, dict) and isinstance(node.get("States"), dict)]


WEIRD_SCALARS = [
    None, True, False, 0, -1, 1.5, 10**400, -(10**30), 2**63, 2**64 + 1, 1e308, -1e-320, 99999999999999999999,
    "", " ", "$", "$.", "$..", "$[", "$$.", "$.a[?(@.b)]", "States.ALL", "States.Format('{}', $.x)",
    "NaN", "Infinity", "-Infinity", "null", "true", "\x00", "\u2028", "\ud7ff", "{% %}", "{{ x }}",
    "arn:aws:states:::lambda:invoke", "arn:aws:lambda:us-east-1:1:function:f", "x" * 3000,
    "2016-03-14T01:59:00Z", "2016-13-99T99:99:99Z", "JSONata", "JSONPath", "{% $states.input %}",
]
FIELD_NAMES = [
    "Type", "Next", "End", "StartAt", "States", "Resource", "Parameters", "Arguments", "Output", "Assign",
    "InputPath", "OutputPath", "ResultPath", "ResultSelector", "Result", "Retry", "Catch", "ErrorEquals",
    "Choices", "Default", "Variable", "StringEquals", "And", "Or", "Not", "Condition", "Branches",
    "Iterator", "ItemProcessor", "ItemsPath", "Items", "ItemSelector", "ItemReader", "ResultWriter",
    "MaxConcurrency", "ToleratedFailurePercentage", "Seconds", "SecondsPath", "Timestamp", "TimeoutSeconds",
    "HeartbeatSeconds", "Error", "Cause", "ErrorPath", "CausePath", "QueryLanguage", "Comment", "Version",
    "ProcessorConfig", "Mode", "ExecutionType", "BackoffRate", "MaxAttempts", "IntervalSeconds",
    "MaxDelaySeconds", "JitterStrategy", "Credentials", "Label", "ItemBatcher", "Parameters.$", "x.$",
]
STATE_TYPES = ["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", "Bogus", "pass", ""]


def random_json(rng: random.Random, depth: int = 0):
    r = rng.random()
    if depth > 4 or r < 0.45:
        return rng.choice(WEIRD_SCALARS)
    if r < 0.75:
        return {rng.choice(FIELD_NAMES + ["k", "", "$", "a.$"]): random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def deep(rng: random.Random, depth: int):
    value = rng.choice(WEIRD_SCALARS[:20])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {rng.choice(["a", "b.$", "Next"]): value}
    return value


def mutate(definition: dict, rng: random.Random) -> tuple[dict, bool]:
    """One to three random mutations; returns (mutant, surely invalid)."""
    d = copy.deepcopy(definition)
    surely_invalid = False
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        containers = list(_containers(d))
        path, node = rng.choice(containers)
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        op = rng.randrange(12)
        state_maps = _state_maps(d)
        if op == 0 and keys:  # drop a field / element
            del node[rng.choice(keys)]
        elif op == 1 and keys:  # duplicate a value under another key / position
            k = rng.choice(keys)
            if isinstance(node, dict):
                node[rng.choice(FIELD_NAMES)] = copy.deepcopy(node[k])
            else:
                node.insert(rng.randrange(len(node) + 1), copy.deepcopy(node[k]))
        elif op == 2 and keys:  # retype a value
            k = rng.choice(keys)
            node[k] = random_json(rng)
        elif op == 3 and isinstance(node, dict):  # add a field
            node[rng.choice(FIELD_NAMES)] = random_json(rng)
        elif op == 4 and state_maps:  # dangling Next
            states = rng.choice(state_maps)
            if states:
                name = rng.choice(list(states))
                if isinstance(states[name], dict):
                    states[name]["Next"] = "No such state \u2603"
                    states[name].pop("End", None)
                    surely_invalid = len(state_maps) == 1 and states[name].get("Type") not in ("Choice", "Succeed", "Fail")
        elif op == 5 and state_maps:  # cycles: Next to itself / to the first state
            states = rng.choice(state_maps)
            if states:
                names = list(states)
                name = rng.choice(names)
                if isinstance(states[name], dict):
                    states[name]["Next"] = rng.choice([name, names[0]])
                    states[name].pop("End", None)
        elif op == 6 and keys:  # huge / odd numbers
            node[rng.choice(keys)] = rng.choice([10**400, -(10**400), 1e308, -0.0, 2**53 + 1, 0.1, -5, 10**18])
        elif op == 7 and keys:  # deep nesting
            node[rng.choice(keys)] = deep(rng, rng.choice([10, 50, 150, 300]))
        elif op == 8 and state_maps:  # bogus state type
            states = rng.choice(state_maps)
            if states:
                name = rng.choice(list(states))
                if isinstance(states[name], dict):
                    states[name]["Type"] = rng.choice(STATE_TYPES)
        elif op == 9 and path == ():  # top-level field gone or retyped
            if rng.random() < 0.5:
                d.pop("StartAt", None)
            else:
                d["States"] = rng.choice([[], "States", None, 1, [d.get("States")]])
            surely_invalid = True
        elif op == 10 and state_maps:  # rename a state (leaves its transitions dangling)
            states = rng.choice(state_maps)
            if states:
                name = rng.choice(list(states))
                states[name + rng.choice([" ", "2", "\u00e9", "/", "~"])] = states.pop(name)
        elif op == 11 and isinstance(node, dict) and keys:  # swap two values
            a, b = rng.choice(keys), rng.choice(keys)
            node[a], node[b] = node[b], node[a]
    return d, surely_invalid


def text_mutate(text: str, rng: random.Random) -> str:
    op = rng.randrange(5)
    if op == 0:  # truncated
        return text[: rng.randrange(1, max(2, len(text)))]
    if op == 1:  # duplicate keys
        return text.replace('"Type"', '"Type": "Pass", "Type"', 1) if rng.random() < 0.5 else "{" + '"StartAt": "x", ' + text[1:]
    if op == 2:  # NaN / Infinity literals
        return text.replace("true", rng.choice(["NaN", "Infinity", "-Infinity"]), 1) if "true" in text else text + "NaN"
    if op == 3:  # a random character somewhere
        i = rng.randrange(len(text))
        return text[:i] + rng.choice(['"', "\\", "{", "]", ",", "\x00", "\u2028", "\ufeff", ":"]) + text[i:]
    return text


def byte_mutate(data: bytes, rng: random.Random) -> bytes:
    op = rng.randrange(4)
    if op == 0:  # invalid UTF-8 inside a string
        i = data.find(b'"', rng.randrange(len(data)))
        return data[: i + 1] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"]) + data[i + 1 :]
    if op == 1:  # a BOM (allowed) or UTF-16 (not)
        return b"\xef\xbb\xbf" + data if rng.random() < 0.5 else data.decode("utf-8").encode("utf-16")
    if op == 2:  # a random byte flipped
        i = rng.randrange(len(data))
        return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]
    return data


# --------------------------------------------------------------------------------------------
# the batches


def _one(i: int, tmp_path: Path, translated: list[int]) -> str:
    rng = random.Random(i)
    kind = rng.random()
    surely_invalid = False
    if kind < 0.08:  # random JSON, hardly a definition at all
        value = random_json(rng) if rng.random() < 0.5 else {"StartAt": random_json(rng), "States": random_json(rng)}
    else:
        seed = SEEDS[min(int(rng.random() ** 2 * len(SEEDS)), len(SEEDS) - 1)]
        value, surely_invalid = mutate(seed, rng) if kind < 0.97 else (copy.deepcopy(seed), False)
    text = json.dumps(value, allow_nan=True, ensure_ascii=rng.random() < 0.5)
    if not text.lstrip().startswith("{"):
        text = "{" + text  # loader.load only takes a str as JSON text when it starts with "{"
        surely_invalid = True
    how = rng.random()
    if how < 0.1:
        text = text_mutate(text, rng)
        surely_invalid = False
    want_translation = len(translated) < TRANSLATE_PER_BATCH
    if how < 0.85:
        outcome = run_pipeline(text, translate_it=want_translation, expect_invalid=surely_invalid)
    else:  # through a file: bytes (sometimes corrupted), sometimes as YAML
        data = text.encode("utf-8")
        if rng.random() < 0.6:
            data = byte_mutate(data, rng)
            surely_invalid = False
        path = tmp_path / f"m{i}{rng.choice(['.asl.json', '.json', '.yaml'])}"
        path.write_bytes(data)
        outcome = run_pipeline(path, translate_it=want_translation, expect_invalid=surely_invalid)
    if outcome == "translated":
        translated.append(i)
    return outcome


@pytest.mark.parametrize("batch", range(BATCHES))
def test_fuzz_batch(batch: int, tmp_path: Path, request) -> None:
    outcomes: dict[str, int] = {}
    translated: list[int] = []
    for i in range(batch * BATCH_SIZE, (batch + 1) * BATCH_SIZE):
        try:
            outcome = _one(i, tmp_path, translated)
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise
            raise AssertionError(f"definition #{i} (random.Random({i})): {type(e).__name__}: {e}") from e
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert sum(outcomes.values()) == BATCH_SIZE
    EXERCISED[request.node.nodeid] = BATCH_SIZE
    # the mix is a real one: some never load, most are invalid, some still validate
    assert outcomes.get("unloadable", 0) > 0 and outcomes.get("invalid", 0) > 0, outcomes


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(), children, max_size=4),
    max_leaves=20,
)
STATES = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.fixed_dictionaries({"Type": st.sampled_from(STATE_TYPES)}, optional={f: JSON_VALUES for f in FIELD_NAMES[1:12]}),
    max_size=4,
)
HYPOTHESIS_EXAMPLES = 200


@settings(derandomize=True, max_examples=HYPOTHESIS_EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.one_of(JSON_VALUES, st.fixed_dictionaries({"StartAt": JSON_VALUES | st.text(max_size=8), "States": STATES},
                                                     optional={"QueryLanguage": JSON_VALUES, "Comment": JSON_VALUES})))
def test_fuzz_hypothesis(value) -> None:
    text = json.dumps(value, allow_nan=True)
    if not text.startswith("{"):
        text = "{" + text
    run_pipeline(text, translate_it=False)
    EXERCISED["hypothesis"] = EXERCISED.get("hypothesis", 0) + 1


def test_fuzz_total() -> None:
    """The figure is real: ≥ 10,000 definitions went through (when the whole file runs)."""
    assert BATCHES * BATCH_SIZE + HYPOTHESIS_EXAMPLES >= 10_000
    batches = sum(1 for k in EXERCISED if "test_fuzz_batch" in k)
    if batches < BATCHES:
        return  # a partial run (-k): the figure is about whole runs of the file
    total = sum(EXERCISED.values())
    print(f"fuzzed definitions exercised: {total}")
    assert total >= 10_000


# --------------------------------------------------------------------------------------------
# regressions the fuzzing found


def test_intrinsic_error_message_after_a_blank() -> None:
    """A parse error right before a blank (here a line separator) is described, not an AttributeError."""
    from asl2durable.expressions.intrinsics import IntrinsicSyntaxError, parse_intrinsic

    with pytest.raises(IntrinsicSyntaxError, match="unexpected 'ion.Name'"):
        parse_intrinsic("States.Format('schedule_{}', $$.Execut\u2028ion.Name)")
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {
        "x.$": "States.Format('schedule_{}', $$.Execut\u2028ion.Name)"}, "End": True}}}
    diagnostics = validate(definition)
    assert diagnostics and all(d.code not in INTERNAL_CODES for d in diagnostics), diagnostics


# --------------------------------------------------------------------------------------------
# the named edge cases, through the command line


def cli(*args: str) -> tuple[int, str, list[dict]]:
    """Run the CLI with --format json; (exit code, output, records). An exception, or an
    INTERNAL_ERROR diagnostic, fails the test."""
    result = CliRunner().invoke(main, [*args, "--format", "json"], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    records = json.loads(result.output)
    for record in records:
        for d in record["diagnostics"]:
            assert d["code"] not in INTERNAL_CODES, d
            assert d["code"] and isinstance(d["pointer"], str), d
    return result.exit_code, result.output, records


def codes(records: list[dict]) -> set[str]:
    return {d["code"] for r in records for d in r["diagnostics"] if d["severity"] == "ERROR"}


def both(path: Path, tmp_path: Path) -> tuple[tuple, tuple]:
    return cli("validate", str(path)), cli("convert", str(path), "-o", str(tmp_path / "out"))


def write(tmp_path: Path, name: str, value) -> Path:
    path = tmp_path / name
    if isinstance(value, bytes):
        path.write_bytes(value)
    else:
        path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


def chain(n: int) -> dict:
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(n - 1)}
    states[f"S{n - 1}"] = {"Type": "Succeed"}
    return {"StartAt": "S0", "States": states}


def test_ten_thousand_states_validate(tmp_path: Path) -> None:
    """10,000 states validate in bounded time."""
    start = time.monotonic()
    status, _, records = cli("validate", str(write(tmp_path, "big.asl.json", chain(10_000))))
    assert (status, records[0]["valid"]) == (0, True)
    assert time.monotonic() - start < 120


def test_ten_thousand_states_convert(tmp_path: Path) -> None:
    """10,000 states convert in a process limited to 3 GiB of address space (it needs about
    0.5 GiB of memory) and in bounded time (about 70 s of CPU, most of it black's)."""
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    source = write(tmp_path, "big.asl.json", chain(10_000))
    command = [sys.executable, "-m", "asl2durable.cli", "convert", str(source), "-o", str(tmp_path / "out")]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, preexec_fn=limit_memory, timeout=1200, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    compile((tmp_path / "out" / "big" / "handler.py").read_text(encoding="utf-8"), "handler.py", "exec")
    assert time.monotonic() - start < 900


def nested_parallel(depth: int) -> dict:
    inner = {"StartAt": "Leaf", "States": {"Leaf": {"Type": "Pass", "End": True}}}
    for i in range(depth):
        inner = {"StartAt": f"P{i}", "States": {f"P{i}": {"Type": "Parallel", "Branches": [inner], "End": True}}}
    return inner


def test_parallel_nested_200_deep(tmp_path: Path) -> None:
    (status, _, records), (cstatus, _, converted) = both(write(tmp_path, "deep.asl.json", nested_parallel(200)), tmp_path)
    assert (status, records[0]["valid"]) == (0, True)
    assert (cstatus, converted[0]["converted"]) == (0, True)
    compile((tmp_path / "out" / "deep" / "handler.py").read_text(encoding="utf-8"), "handler.py", "exec")


@pytest.mark.parametrize("dynamic", [False, True])
def test_parameters_nested_210_deep(tmp_path: Path, dynamic: bool) -> None:
    """Python's parser takes 200 nested brackets at most: deeper data is a diagnostic, not a
    SyntaxError; validate reports it too (the same pipeline as convert's)."""
    value: object = {"p.$": "$.a"} if dynamic else "x"
    for _ in range(210):
        value = {"a": value}
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": value, "End": True}}}
    (status, _, records), (cstatus, _, converted) = both(write(tmp_path, "deep.asl.json", definition), tmp_path)
    assert (status, records[0]["valid"]) == (1, False)
    assert cstatus == 1 and not converted[0]["converted"]
    assert codes(records) == codes(converted) == {"TOO_DEEPLY_NESTED"}


def test_fifty_megabytes(tmp_path: Path) -> None:
    """A 50 MB file is refused unread: a diagnostic, quickly, without the memory to parse it."""
    path = tmp_path / "huge.asl.json"
    with path.open("w", encoding="utf-8") as f:
        f.write('{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true, "Result": [')
        f.write(", ".join(['{"k": "' + "x" * 1000 + '"}'] * 50_000))
        f.write("]}}}")
    assert path.stat().st_size > 50_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    start = time.monotonic()
    (status, _, records), (cstatus, _, converted) = both(path, tmp_path)
    assert status == cstatus == 1
    assert codes(records) == codes(converted) == {"INPUT_TOO_LARGE"}
    assert time.monotonic() - start < 30
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # < 100 MB more


def test_nul_in_a_path() -> None:
    """loader.load takes a str that does not start with "{" as a path: one with NUL is a diagnostic."""
    loaded = load("\x00{}")
    assert loaded.definition is None and [d.code for d in loaded.diagnostics] == ["INPUT_NOT_READABLE"]


def test_fifty_megabytes_inline_text() -> None:
    from asl2durable.load.loader import load

    loaded = load('{"Comment": "' + "c" * 50_000_000 + '", "StartAt": "P", "States": {}}')
    assert loaded.definition is None and [d.code for d in loaded.diagnostics] == ["INPUT_TOO_LARGE"]


def test_yaml_billion_laughs(tmp_path: Path) -> None:
    """Aliases that expand to 10^8 values: a diagnostic, not an endless validation."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    lines += ["StartAt: P", "States:", "  P:", "    Type: Pass", "    Result: *a7", "    End: true"]
    path = write(tmp_path, "laughs.asl.yaml", "\n".join(lines) + "\n")
    start = time.monotonic()
    (status, _, records), (cstatus, _, _) = both(path, tmp_path)
    assert status == cstatus == 1 and codes(records) == {"INVALID_JSON_DESCRIPTION"}
    assert "expand" in records[0]["diagnostics"][0]["message"]
    assert time.monotonic() - start < 30


def test_yaml_shared_anchors_still_load(tmp_path: Path) -> None:
    """A few aliases of the same value are fine (and counted once per use)."""
    text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: {a: &v [1, 2], b: *v, c: *v}\n    End: true\n"
    status, _, records = cli("validate", str(write(tmp_path, "ok.asl.yaml", text)))
    assert status == 0 and records[0]["valid"], records


PASS = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "%s", "End": true}}}'


def test_invalid_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.asl.json", (PASS % "caf\xe9").encode("latin-1"))
    (status, _, records), (cstatus, _, converted) = both(path, tmp_path)
    assert status == cstatus == 1
    assert codes(records) == codes(converted) == {"INPUT_NOT_READABLE"}
    assert "not UTF-8" in records[0]["diagnostics"][0]["message"]


def test_utf16_is_not_utf8(tmp_path: Path) -> None:
    status, _, records = cli("validate", str(write(tmp_path, "u16.asl.json", (PASS % "x").encode("utf-16"))))
    assert status == 1 and codes(records) == {"INPUT_NOT_READABLE"}


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.asl.json", b"\xef\xbb\xbf" + (PASS % "caf\u00e9").encode("utf-8"))
    (status, _, records), (cstatus, _, converted) = both(path, tmp_path)
    assert (status, cstatus) == (0, 0) and records[0]["valid"] and converted[0]["converted"]


def test_duplicate_keys(tmp_path: Path) -> None:
    """AWS rejects duplicate keys (and duplicate state names): so do validate and convert."""
    text = (
        '{"StartAt": "P", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true},'
        ' "P": {"Type": "Pass", "Result": 1, "Result": 2, "End": true}}}'
    )
    (status, _, records), (cstatus, _, converted) = both(write(tmp_path, "dup.asl.json", text), tmp_path)
    assert status == cstatus == 1
    pointers = {(d["code"], d["pointer"]) for d in records[0]["diagnostics"]}
    assert ("INVALID_JSON_DESCRIPTION", "/StartAt") in pointers
    assert ("DUPLICATE_STATE_NAME", "/States/P") in pointers
    assert ("INVALID_JSON_DESCRIPTION", "/States/P/Result") in pointers
    assert codes(converted) == codes(records)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity(tmp_path: Path, literal: str) -> None:
    text = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": ' + literal + ', "End": true}}}'
    (status, _, records), (cstatus, _, converted) = both(write(tmp_path, "nan.asl.json", text), tmp_path)
    assert status == cstatus == 1 and codes(records) == codes(converted) == {"INVALID_JSON_DESCRIPTION"}
    status, _, records = cli("validate", text)  # inline text too
    assert status == 1 and codes(records) == {"INVALID_JSON_DESCRIPTION"}


def test_huge_numbers(tmp_path: Path) -> None:
    """Integers beyond any float, and floats at the edge, are data: kept exactly, or diagnosed."""
    text = (
        '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"big": 1%s, "tiny": 1e-400, "edge": 1.7e308},'
        ' "End": true}}}' % ("0" * 400)
    )
    (status, _, records), (cstatus, _, converted) = both(write(tmp_path, "big.asl.json", text), tmp_path)
    assert records[0]["valid"] is (status == 0) and converted[0]["converted"] is (cstatus == 0)
    wait = '{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1%s, "End": true}}}' % ("0" * 400)
    (status, _, records), (cstatus, _, converted) = both(write(tmp_path, "wait.asl.json", wait), tmp_path)
    assert records[0]["valid"] is (status == 0) and converted[0]["converted"] is (cstatus == 0)


@pytest.mark.parametrize("suffix", [".asl.json", ".asl.yaml"])
def test_nested_arrays_100000_deep(tmp_path: Path, suffix: str) -> None:
    text = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": %s, "End": true}}}' % ("[" * 100_000 + "]" * 100_000)
    (status, _, records), (cstatus, _, converted) = both(write(tmp_path, "nest" + suffix, text), tmp_path)
    assert status == cstatus == 1 and codes(records) == codes(converted) == {"INVALID_JSON_DESCRIPTION"}
    assert "nested too deeply" in records[0]["diagnostics"][0]["message"]


def test_deep_but_parseable_json_is_a_diagnostic(tmp_path: Path) -> None:
    """900 levels parse, but the validator recurses: TOO_DEEPLY_NESTED, not a RecursionError."""
    text = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": %s, "End": true}}}' % ("[" * 900 + "]" * 900)
    (status, _, records), (cstatus, _, converted) = both(write(tmp_path, "nest.asl.json", text), tmp_path)
    assert records[0]["valid"] is (status == 0) and converted[0]["converted"] is (cstatus == 0)
    if status:
        assert codes(records) <= {"TOO_DEEPLY_NESTED"}


def test_cycles_and_dangling_next(tmp_path: Path) -> None:
    """A loop with no way out validates (Step Functions allows it) and converts; a dangling Next is reported."""
    loop = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}
    status, _, records = cli("validate", json.dumps(loop))
    assert records[0]["valid"] is (status == 0)
    dangling = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}
    status, _, records = cli("validate", json.dumps(dangling))
    assert status == 1 and ("MISSING_TRANSITION_TARGET", "/States/A/Next") in {
        (d["code"], d["pointer"]) for d in records[0]["diagnostics"]
    }


@pytest.mark.parametrize(
    "text",
    [
        "StartAt: P\nStates: !!python/object/apply:os.system ['touch {canary}']\n",  # no code from YAML tags
        "StartAt: P\nStates:\n  P: {Type: Pass, End: true}\n  ? [1]\n  : 2\n",  # an unhashable key
        "StartAt: P\nStates:\n  P: {Type: Pass, End: true}\n  1: {Type: Pass, End: true}\n",  # a number as key
        "a: " + "[" * 5000 + "]" * 5000 + "\n",  # nested too deeply for the YAML parser
        "StartAt: P\nStartAt: P\nStates:\n  P: {Type: Pass, End: true}\n",  # a duplicate key
    ],
)
def test_yaml_edge_cases(tmp_path: Path, text: str) -> None:
    canary = tmp_path / "PWNED"
    path = write(tmp_path, "m.asl.yaml", text.replace("{canary}", str(canary)))
    start = time.monotonic()
    (status, _, records), (cstatus, _, converted) = both(path, tmp_path)
    assert status == cstatus == 1 and codes(records) and codes(converted)
    assert not canary.exists()
    assert time.monotonic() - start < 20  # PyYAML is quadratic in bracket nesting: 5,000 levels took a minute
