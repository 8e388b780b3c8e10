"""Synthetic state machines of any size for the conversion benchmarks.

``chain(n)``: ``n`` states in a chain that mixes Pass, Task, Choice and Wait states, with a
polling loop (a Choice back to an earlier Wait) every 25 states. ``loops(n)``: every other
state is the header of a loop (the shape that made structuring quadratic).
"""

from __future__ import annotations


def chain(n: int, loop_every: int = 25) -> dict:
    names = [f"S{i:05d}" for i in range(n)]
    states: dict = {}
    for i, name in enumerate(names):
        nxt = names[i + 1] if i + 1 < n else None
        kind = i % 5
        if kind == 0:
            state = {"Type": "Pass", "Result": {"step": i}, "ResultPath": f"$.p{i % 7}"}
        elif kind == 1:
            state = {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": f"fn-{i}", "Payload.$": "$"},
                "ResultSelector": {"value.$": "$.Payload"},
                "ResultPath": "$.task",
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
            }
        elif kind == 2:
            state = {"Type": "Wait", "Seconds": 1 + i % 3}
        elif kind == 3 and i % loop_every == 3 and i >= 3 and nxt is not None:
            # loop back to the Wait two states earlier while the counter is small
            state = {
                "Type": "Choice",
                "Choices": [{"Variable": "$.task.value", "NumericLessThan": i, "Next": names[i - 1]}],
                "Default": nxt,
            }
        elif kind == 3 and nxt is not None:
            state = {
                "Type": "Choice",
                "Choices": [{"Variable": "$.p0.step", "NumericEquals": -1, "Next": nxt}],
                "Default": nxt,
            }
        else:
            state = {"Type": "Pass"}
        if state["Type"] != "Choice":
            if nxt is None:
                state["End"] = True
            else:
                state["Next"] = nxt
        states[name] = state
    return {"Comment": f"synthetic chain of {n} states", "StartAt": names[0], "States": states}


def loops(n: int) -> dict:
    """``n`` states; every other one heads a loop: a Wait, then a Choice back to it or on."""
    names = [f"S{i:05d}" for i in range(n)]
    states: dict = {}
    for i, name in enumerate(names):
        nxt = names[i + 1] if i + 1 < n else None
        if i % 2 == 0 or nxt is None:
            state: dict = {"Type": "Wait", "Seconds": 1}
            if nxt is None:
                state["End"] = True
            else:
                state["Next"] = nxt
        else:
            state = {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": i, "Next": names[i - 1]}],
                "Default": nxt,
            }
        states[name] = state
    return {"StartAt": names[0], "States": states}


def nested_loops(n: int) -> dict:
    """``n`` states: ``n/2`` Wait states, each the header of a loop closed by one of the ``n/2``
    Choice states after them, innermost first (loops nested ``n/2`` deep)."""
    m = n // 2
    waits = [f"W{i:05d}" for i in range(m)]
    choices = [f"C{i:05d}" for i in reversed(range(m))]
    order = waits + choices
    states: dict = {}
    for k, name in enumerate(order):
        nxt = order[k + 1] if k + 1 < len(order) else None
        if name.startswith("W"):
            states[name] = {"Type": "Wait", "Seconds": 1, "Next": nxt}
        else:
            i = int(name[1:])
            state: dict = {
                "Type": "Choice",
                "Choices": [{"Variable": f"$.c{i}", "NumericLessThan": 3, "Next": f"W{i:05d}"}],
            }
            if nxt is None:
                state["Default"] = "Done"
            else:
                state["Default"] = nxt
            states[name] = state
    states["Done"] = {"Type": "Succeed"}
    return {"StartAt": order[0], "States": states}
