"""Structuring: each machine's state graph → nested statements (``ir.Statement``).

ASL is a graph of gotos; people maintain sequences, ``if``/``elif`` and ``while`` loops. This
stage turns the graph of every (sub-)machine into those, and keeps a dispatch loop only for a
graph it cannot express that way (an irreducible cycle, a jump out of two loops at once), with
a diagnostic saying so.

How:

* **Edges**: a state's successors are its Next (or the end of the machine), a Choice's rule
  targets and Default, and its Catch targets. A Fail state has none.
* **Loops**: a depth-first search finds the back edges. Each must go to a state that dominates
  its source (the graph is reducible); that state is a loop header and its natural loop is the
  loop's body. The loop's *follow*, where ``break`` leads, is the first state on the header's
  post-dominator chain that is outside the body.
* **Joins**: the code after an ``if``/``elif`` continues at the branching state's immediate
  post-dominator in its region (the whole machine, or a loop where going back to the header is
  ``continue`` and going to the follow is ``break``). Paths into a Fail state are left out of
  post-dominance: they raise, so a failing branch does not stop the others from joining. When
  the routes never join, all but one become ``if`` cases that end (return, raise, continue,
  break) and the remaining one (the loop's ``continue`` or the largest) follows unindented.

Emission walks the graph from StartAt with these rules; a state reached by two routes that do
not join is written in each (bounded: past a budget the machine keeps its dispatch loop).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field

from asl2durable.lower import ir
from asl2durable.diagnostics import Diagnostic, Severity

DISPATCH_LOOP = "DISPATCH_LOOP"
MAX_DEPTH = 40  # nested blocks deeper than this are not readable (and Python limits indentation)


class _Virtual:
    """A node that is not a state: the end of the machine, or an exit of a loop region."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


END = _Virtual("end")  # the end of the machine: `return data`
_SINK = _Virtual("sink")  # where every finished path goes, for post-dominators
_CONTINUE = _Virtual("continue")
_BREAK = _Virtual("break")
_OUTER = _Virtual("outer")

Node = Hashable  # a state name, or one of the virtual nodes


class Unstructurable(Exception):
    pass


@dataclass
class _Loop:
    header: str
    body: set
    parent: _Loop | None = None
    # Filled in by _Structurer.analyse, outermost loops first, when emission first needs them
    # (a machine whose loops nest too deeply is given up before its innermost loops are analysed):
    analysed: bool = False
    follow_: Node | None = None
    ipdom_: dict = field(default_factory=dict)
    ipdom_early_: dict = field(default_factory=dict)
    analyse: Callable[[_Loop], None] | None = field(default=None, repr=False)

    def _ready(self) -> _Loop:
        if not self.analysed:
            assert self.analyse is not None
            self.analyse(self)
        return self

    @property
    def follow(self) -> Node | None:
        """A state, END, or None: every exit ends inside the loop."""
        return self._ready().follow_

    @property
    def ipdom(self) -> dict:
        """Immediate post-dominators within the loop's region."""
        return self._ready().ipdom_

    @property
    def ipdom_early(self) -> dict:
        """The same, with Succeed states as early exits."""
        return self._ready().ipdom_early_


def structure(workflow: ir.Workflow) -> list[Diagnostic]:
    """Give every machine of ``workflow`` its structured body, or a dispatch loop and a diagnostic."""
    diagnostics = []
    for machine in workflow.machines():
        try:
            machine.body = _Structurer(machine).run()
        except (Unstructurable, RecursionError) as why:
            machine.body = None
            machine.dispatch_reason = str(why) or "the graph is too deeply nested"
            workflow.uses |= {"flow"}  # the dispatch loop is asl_flow.py's
            diagnostics.append(
                Diagnostic(
                    machine.pointer,
                    DISPATCH_LOOP,
                    f"the states of this machine run in a dispatch loop: {machine.dispatch_reason}",
                    Severity.INFO,
                )
            )
    workflow.inline = frozenset(_written_inline(workflow))
    return diagnostics


def _written_inline(workflow: ir.Workflow) -> Iterator[str]:
    """The states written in their machine's body, in a ``with run.in_state(...)`` block,
    instead of as a function the body calls: those the body runs from one place (a state
    written more than once stays a function) and whose code is a few statements that go on
    to one next state: Pass, Wait, Succeed, Fail, and a Task without Catch that is not a
    callback (its payload is a function of the task token) nor retried inside a loop."""
    places: dict[str, int] = {}
    in_loops: set[str] = set()

    def count(statements: Iterable[ir.Statement], looping: bool) -> None:
        for statement in statements:
            if isinstance(statement, (ir.Call, ir.Finish, ir.Raise, ir.Route)):
                places[statement.state] = places.get(statement.state, 0) + 1
                if looping:
                    in_loops.add(statement.state)
            if isinstance(statement, ir.Loop):
                count(statement.body, True)
            elif isinstance(statement, ir.Route):
                for case in statement.cases:
                    count(case.body, looping)

    for machine in workflow.machines():
        count(machine.body or (), False)
    for machine in workflow.machines():
        for name, state in machine.states.items():
            # a Retry's attempt is a lambda, which must not read the loop's changing data
            retried_in_loop = name in in_loops and bool(getattr(state, "retry", None))
            if places.get(name) == 1 and _simple(state) and not retried_in_loop:
                yield name


def _simple(state: ir.State) -> bool:
    if state.unsupported or routed(state):
        return False
    if isinstance(state, ir.TaskState):
        return not ir.waits_for_token(state.call)
    return isinstance(state, (ir.PassState, ir.WaitState, ir.SucceedState, ir.FailState))


def successors(state: ir.State) -> list[Node]:
    """The distinct successors of a state, in definition order (END for the end of the machine)."""
    return list(dict.fromkeys(END if target is None else target for target, _label in ir.transitions(state)))


def ends_machine(state: ir.State) -> bool:
    """Can the machine end at this state? A Fail state, or one whose successors include END."""
    return isinstance(state, ir.FailState) or END in successors(state)


def routed(state: ir.State) -> bool:
    """Does the state's function return ``(next_state, output)``, choosing its successor at run time?"""
    return isinstance(state, ir.ChoiceState) or bool(getattr(state, "catch", None))


class _Structurer:
    def __init__(self, machine: ir.Machine):
        self.states = machine.states
        self.start = machine.start_at
        self.succ = {name: successors(state) for name, state in machine.states.items()}
        self.order = {name: i for i, name in enumerate(machine.states)}  # definition order
        self.budget = 4 * len(machine.states) + 20
        self.loops: dict[str, _Loop] = {}
        self.top_ipdom: dict = {}
        self.top_ipdom_early: dict = {}

    def next_of(self, node: Node) -> list[Node]:
        return self.succ.get(node, []) if isinstance(node, str) else []

    # -- analysis ---------------------------------------------------------------

    def run(self) -> tuple[ir.Statement, ...]:
        self.find_loops()
        return tuple(self.emit(self.start, None, (), depth=0))

    def find_loops(self) -> None:
        back_edges = depth_first([self.start], self.next_of).back_edges
        if back_edges:
            dominates = _dominance(_immediate_dominators(self.start, self.next_of))
            for source, header in back_edges:
                if not dominates(header, source):
                    raise Unstructurable(f"the cycle through {header!r} can be entered at more than one state")
        sources: dict[str, list[str]] = {}
        for source, header in back_edges:
            sources.setdefault(header, []).append(source)
        preds = self.predecessors()
        for header, tails in sources.items():
            body = {header}
            stack = [t for t in tails if t != header]
            while stack:
                node = stack.pop()
                if node not in body:
                    body.add(node)
                    stack.extend(preds.get(node, ()))
            self.loops[header] = _Loop(header, body, analyse=self.analyse)
        # outermost loops first: a loop's follow is found in its parent's region
        ordered = sorted(self.loops.values(), key=lambda loop: -len(loop.body))
        # each loop's parent: the smallest other loop whose body holds its header (the first
        # such in this order on a tie), in one pass over the bodies
        for p in ordered:
            for node in p.body:
                loop = self.loops.get(node)  # type: ignore[arg-type]
                if loop is not None and loop is not p and (loop.parent is None or len(p.body) < len(loop.parent.body)):
                    loop.parent = p
        self.top_ipdom = self.post_dominators(None)
        self.top_ipdom_early = self.post_dominators(None, early_succeed=True)

    def analyse(self, loop: _Loop) -> None:
        """The loop's follow and post-dominators, after its parents' (outermost first)."""
        chain = []
        while loop is not None and not loop.analysed:
            chain.append(loop)
            loop = loop.parent  # type: ignore[assignment]
        for loop in reversed(chain):
            ipdom = loop.parent.ipdom if loop.parent else self.top_ipdom
            node: Node | None = loop.header
            while node is not None and node in loop.body:
                node = ipdom.get(node)
            if node is _CONTINUE:
                node = loop.parent.header if loop.parent else None
            elif node is _BREAK:
                node = loop.parent.follow if loop.parent else None
            elif node is _SINK or node is _OUTER:
                node = None
            if node is None:
                node = self.chosen_exit(loop)
            loop.follow_ = node
            loop.analysed = True  # post_dominators reads the follow
            loop.ipdom_ = self.post_dominators(loop)
            loop.ipdom_early_ = self.post_dominators(loop, early_succeed=True)

    def chosen_exit(self, loop: _Loop) -> Node | None:
        """The follow of a loop whose exits do not meet again: the outer loop's header when an
        exit goes there (break, then continue), else the exit with the most states after it;
        the other exits are written inside the loop."""
        exits = [s for node in sorted(loop.body, key=self.position) for s in self.next_of(node) if s not in loop.body]
        if not exits:
            return None
        if loop.parent is not None and loop.parent.header in exits:
            return loop.parent.header
        return max(exits, key=lambda t: (self.region_size(t, loop.parent), -exits.index(t)))

    def position(self, node: Node) -> int:
        return self.order.get(node, len(self.order))

    def predecessors(self) -> dict[Node, list[Node]]:
        preds: dict[Node, list[Node]] = {}
        for name, succ in self.succ.items():
            for s in succ:
                preds.setdefault(s, []).append(name)
        return preds

    def post_dominators(self, loop: _Loop | None, early_succeed: bool = False) -> dict:
        """Immediate post-dominators in the region of ``loop`` (None: the whole machine).
        Paths into a Fail state do not count; with ``early_succeed``, nor do paths into a Succeed
        state (an early ``return``)."""
        outer_exits = set()
        parent = loop.parent if loop else None
        while parent is not None:
            outer_exits |= {parent.header, parent.follow}
            parent = parent.parent

        def region_next(node: Node) -> list[Node]:
            if node is END or node in (_CONTINUE, _BREAK, _OUTER):
                return [_SINK]
            if early_succeed and isinstance(self.states.get(node), ir.SucceedState):  # type: ignore[arg-type]
                return []
            out = []
            for s in self.next_of(node):
                if loop is not None and s == loop.header:
                    out.append(_CONTINUE)
                elif loop is not None and s == loop.follow and s is not END:
                    out.append(_BREAK)
                elif s in outer_exits and s is not END:
                    out.append(_OUTER)
                else:
                    out.append(s)
            return out

        entry = loop.header if loop else self.start
        edges: dict[Node, list[Node]] = {}
        stack: list[Node] = [entry]
        while stack:
            node = stack.pop()
            if node in edges or node is _SINK:
                continue
            edges[node] = region_next(node)
            stack.extend(edges[node])
        reverse: dict[Node, list[Node]] = {}
        for node, succ in edges.items():
            for s in succ:
                reverse.setdefault(s, []).append(node)
        return _immediate_dominators(_SINK, lambda n: reverse.get(n, []))

    # -- emission ---------------------------------------------------------------

    def ending(self, node: Node, stop: Node | None, loops: tuple[_Loop, ...], entering: bool) -> list[ir.Statement] | None:
        """The statement that ends a run of statements reaching ``node`` (none where it reaches
        ``stop``), or None where the run goes on with ``node``."""
        inner = loops[-1] if loops else None
        if inner is not None and node == inner.header and not entering:
            return [ir.Continue(inner.header)]
        if node == stop:
            return []
        if node is END:
            return [ir.Return()]
        if inner is not None and node == inner.follow:
            return [ir.Break(inner.header)]
        if any(node == loop.header for loop in loops[:-1]):
            raise Unstructurable(f"a route to {node!r} leaves two loops at once")
        # (a route to an outer loop's follow is written out: it ends the machine or reaches
        # something the checks above handle)
        return None

    def emit(self, node: Node, stop: Node | None, loops: tuple[_Loop, ...], depth: int, entering: bool = False) -> list[ir.Statement]:
        if depth > MAX_DEPTH:
            raise Unstructurable("its routes nest too deeply")
        out: list[ir.Statement] = []
        inner = loops[-1] if loops else None
        while True:
            self.budget -= 1
            if self.budget < 0:
                raise Unstructurable("too many states would have to be written more than once")
            ending = self.ending(node, stop, loops, entering)
            if ending is not None:
                out += ending
                return out
            assert isinstance(node, str)
            if node in self.loops and not entering:
                loop = self.loops[node]
                body = self.emit(node, None, loops + (loop,), depth + 1, entering=True)
                if body and isinstance(body[-1], ir.Continue):
                    body.pop()  # the end of a while body goes round anyway
                out.append(ir.Loop(node, tuple(body)))
                if loop.follow is None:
                    return out
                node = loop.follow
                continue
            entering = False
            state = self.states[node]
            succ = self.succ[node]
            if isinstance(state, ir.FailState):
                out.append(ir.Raise(node))
                return out
            if not routed(state):
                (after,) = succ
                if after is END and stop is not END:
                    out.append(ir.Finish(node))
                    return out
                out.append(ir.Call(node))
                node = after
                continue
            join = self.join(node, inner)
            if join is None:
                main = self.main_route(succ, inner)
            else:
                main = join
            cases = tuple(
                ir.Case(None if t is END else t, tuple(self.emit(t, join, loops, depth + 1)))  # type: ignore[arg-type]
                for t in succ
                if t != main
            )
            out.append(ir.Route(node, cases))
            node = main

    def join(self, node: str, loop: _Loop | None) -> Node | None:
        """Where the routes of ``node`` meet again: a state, END, or None (they never do).
        A meeting state reached by all routes except those that end early (Succeed) is
        preferred to meeting only at the end."""
        found = (loop.ipdom if loop else self.top_ipdom).get(node)
        if found is None or found is END:
            early = (loop.ipdom_early if loop else self.top_ipdom_early).get(node)
            if isinstance(early, str):
                return early
        if found is None or isinstance(found, _Virtual) and found is not END:
            return None
        return found

    def main_route(self, targets: list[Node], loop: _Loop | None) -> Node:
        """The route written after the ``if`` when the routes never join."""
        if loop is not None and loop.header in targets:
            return loop.header
        return max(targets, key=lambda t: (self.region_size(t, loop), -targets.index(t)))

    def region_size(self, start: Node, loop: _Loop | None) -> int:
        if loop is not None and start in (loop.header, loop.follow):
            return 0
        seen: set = set()
        stack = [start]
        while stack:
            node = stack.pop()
            if node in seen or (loop is not None and node in (loop.header, loop.follow)):
                continue
            seen.add(node)
            stack.extend(self.next_of(node))
        return len(seen)


# --------------------------------------------------------------------------- graph algorithms


@dataclass
class Search:
    """What a depth-first search met: the nodes in preorder and in postorder, the tree edge that
    reached each node but a root (``parent``), and the back edges (edges to a node on the search
    stack: the loops) in the order the search met them."""

    preorder: list = field(default_factory=list)
    postorder: list = field(default_factory=list)
    parent: dict = field(default_factory=dict)
    back_edges: list = field(default_factory=list)


def depth_first(roots: Iterable[Node], next_of: Callable[[Node], Iterable[Node]]) -> Search:
    """One depth-first search from each of ``roots`` in turn that an earlier one has not reached,
    following ``next_of`` in its order."""
    search = Search()
    visited: set = set()
    for root in roots:
        if root not in visited:
            visited.add(root)
            search.preorder.append(root)
            _search_from(root, next_of, search, visited)
    return search


def _search_from(root: Node, next_of: Callable[[Node], Iterable[Node]], search: Search, visited: set) -> None:
    on_stack = {root}
    stack = [(root, iter(next_of(root)))]
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            on_stack.discard(node)
            search.postorder.append(node)
        elif child in on_stack:
            search.back_edges.append((node, child))
        elif child not in visited:
            visited.add(child)
            on_stack.add(child)
            search.preorder.append(child)
            search.parent[child] = node
            stack.append((child, iter(next_of(child))))


def _immediate_dominators(root: Node, next_of: Callable[[Node], Iterable[Node]]) -> dict:
    """Immediate dominators of the nodes reachable from ``root``; ``root`` maps to None.

    Lengauer and Tarjan's algorithm (the simple version, with path compression): near-linear,
    where the iterative one walked the long dominator chains of deeply nested loops."""
    search = depth_first([root], next_of)
    vertex: list = search.preorder
    parent = search.parent
    number = {v: i for i, v in enumerate(vertex)}  # depth-first preorder
    preds: dict = {v: [] for v in vertex}
    for v in vertex:
        for w in next_of(v):
            preds[w].append(v)
    semi = dict(number)
    label = {v: v for v in vertex}
    ancestor: dict = {}
    bucket: dict = {}
    idom: dict = {}

    def evaluate(v: Node) -> Node:
        if v not in ancestor:
            return v
        path = []
        while ancestor[v] in ancestor:
            path.append(v)
            v = ancestor[v]
        for x in reversed(path):
            a = ancestor[x]
            if semi[label[a]] < semi[label[x]]:
                label[x] = label[a]
            ancestor[x] = ancestor[a]
        return label[path[0]] if path else label[v]

    for w in reversed(vertex[1:]):
        for v in preds[w]:
            u = evaluate(v)
            semi[w] = min(semi[w], semi[u])
        bucket.setdefault(vertex[semi[w]], []).append(w)
        p = parent[w]
        ancestor[w] = p
        for v in bucket.pop(p, ()):
            u = evaluate(v)
            idom[v] = u if semi[u] < semi[v] else p
    for w in vertex[1:]:
        if idom[w] != vertex[semi[w]]:
            idom[w] = idom[idom[w]]
    idom[root] = None
    return idom


def _dominance(idom: dict) -> Callable[[Node, Node], bool]:
    """``dominates(a, b)`` for nodes of the dominator tree ``idom``, in constant time: ``a``
    dominates ``b`` when ``b``'s interval of the tree's depth-first numbering lies in ``a``'s."""
    children: dict = {}
    roots = []
    for node, parent in idom.items():
        if parent is None:
            roots.append(node)
        else:
            children.setdefault(parent, []).append(node)
    enter: dict = {}
    leave: dict = {}
    clock = 0
    for root in roots:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            clock += 1
            if done:
                leave[node] = clock
                continue
            enter[node] = clock
            stack.append((node, True))
            stack.extend((child, False) for child in children.get(node, ()))
    return lambda a, b: a in enter and b in enter and enter[a] <= enter[b] and leave[b] <= leave[a]
