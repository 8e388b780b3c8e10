"""The test plan of a translated machine: the stubs and the test cases of ``test_handler.py``.

Read from the IR only. The plan has

* a stub per Lambda function, service API, task-token resource and Distributed Map
  ItemReader / ResultWriter the machine calls (``Stub``), keyed as ``asl_testing`` looks
  them up (a function name, a Task resource, ``ItemReader:<resource>``, ...);
* one test case per terminal path that a simple input reaches (``Case``): the execution
  input, the stub results and stub failures the path needs, and the outcome to assert
  (the status; the error name of a failure; the output; the request each stub gets, one
  per call, in ``asl_testing``'s order; parts nothing can know, such as a UUID, are ``ANY``);
* for each Task retrier, a stub failing every attempt with the names that retrier takes, in
  turn, so that the calls show MaxAttempts (and an error no retrier takes, called once);
* tests of single states (their functions in handler.py): states no path test enters, and
  Choice rules, Catch routes and retry failures no path test takes (``_state_cases``).

Paths are found by a bounded symbolic walk of the state graph. The execution input and each
stub's result are trees built on demand: a JSONPath read adds the member it reads (a hole,
filled at the end with a placeholder: the member's name), a Choice rule fixes a hole to a
value that makes it true or false (String*, Numeric*, Boolean*, Timestamp*, Is* and their
*Path forms, under And/Or/Not, keeping a few ways to make a rule false), and a Catch route is
reached by making the Task's stub fail with a name that catcher (and no earlier one)
matches. JSONata fields and intrinsic functions are evaluated with the real support modules
(``asl_jsonata``, ``asl_intrinsics``) on the data built so far, which is then frozen; plain
member paths (``$states.input.a.b``, ``$var.x``) are followed like JSONPath. Whatever cannot
be followed for certain (wildcards, filters, context-object values, a Map over many items,
an evaluation that fails) ends the walk of that path: it is not a test, and the Choice rules,
Catch routes and end states no test takes are listed at the end of the generated file.

A stub called several times in turn on a path answers each call from a tree of its own
(``asl_testing.answers``), so a polling loop can see "RUNNING" and then "DONE"; calls that may
run in any order (several Parallel branches or Map iterations) share one answer.

The search is bounded: a state is entered at most twice on one path (a loop's back edge is
taken once), a branch other than the first is followed only when it covers a new edge,
retries are followed up to ``MAX_ATTEMPTS`` attempts per test, ``MAX_VISITS`` states are
entered in all, and a machine gets at most ``MAX_TESTS`` tests of paths and ``MAX_STATE_TESTS``
of single states.

The package, by concern (data flows down the list; no module imports one above it, and none
imports ``translate``; ``rendering`` alone imports ``render``, which does not import this package):

* ``model``: the plan's data, the bounds, the symbolic values and a walk's state;
* ``support``: the support modules' functions the walk evaluates with;
* ``trees``: the execution input and the stub answers under construction;
* ``jsonata_fields``, ``dataflow``, ``choice``: JSONata fields, the JSONPath data flow, Choice rules;
* ``errors``, ``stubs``, ``env_settings``: retries and catchers, stub keys, the settings;
* ``walk``: the symbolic walk of the states;
* ``planning``: the plan (``plan``);
* ``rendering``: ``test_handler.py`` (``render_tests``).
"""

from __future__ import annotations

from asl2durable.render.testgen.choice import MAX_WAYS
from asl2durable.render.testgen.env_settings import settings
from asl2durable.render.testgen.model import (
    ABSENT,
    ANYTHING,
    CATCH_ALL_ERROR,
    DYNAMIC_FUNCTION,
    HOLE,
    MAX_ATTEMPTS,
    MAX_ITEMS,
    MAX_STATE_TESTS,
    MAX_TESTS,
    MAX_VISITS,
    UNKNOWN,
    Answers,
    Case,
    JsonOf,
    Merged,
    Plan,
    Ref,
    Stop,
    Stub,
    _Scope,
    _Walk,
)
from asl2durable.render.testgen.planning import plan
from asl2durable.render.testgen.rendering import expected, expected_code, render_tests, tests_source
from asl2durable.render.testgen.stubs import reader_key, stub_key, stub_kind, writer_key
from asl2durable.render.testgen.support import RUNTIME_HELPERS, TESTING_HELPERS

__all__ = [
    "ABSENT",
    "ANYTHING",
    "CATCH_ALL_ERROR",
    "DYNAMIC_FUNCTION",
    "HOLE",
    "MAX_ATTEMPTS",
    "MAX_ITEMS",
    "MAX_STATE_TESTS",
    "MAX_TESTS",
    "MAX_VISITS",
    "MAX_WAYS",
    "RUNTIME_HELPERS",
    "TESTING_HELPERS",
    "UNKNOWN",
    "Answers",
    "Case",
    "JsonOf",
    "Merged",
    "Plan",
    "Ref",
    "Stop",
    "Stub",
    "_Scope",
    "_Walk",
    "expected",
    "expected_code",
    "plan",
    "reader_key",
    "render_tests",
    "settings",
    "stub_key",
    "stub_kind",
    "tests_source",
    "writer_key",
]
