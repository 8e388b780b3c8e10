"""Offline SVG diagrams of one (sub-)machine, for the HTML comparison report.

Two pictures, each a complete ``<svg>`` element as text (no JavaScript, no external tools):

* ``state_graph``: the ASL state graph, one node per state, laid out in layers (Sugiyama
  style): a depth-first search from StartAt finds the back edges (loops), the other edges give
  each state its layer (longest path from the start), edges longer than one layer go through
  dummy points, and a few barycenter sweeps reduce crossings. Back edges are dashed and run in
  lanes at the right-hand side.
* ``handler_structure``: the body of the machine's function as ``templates/handler.py.jinja``
  prints it, as nested boxes: calls in sequence, ``if``/``elif`` cases side by side under the
  routing call, ``while True:`` as a frame, ``return``/``raise`` as terminal boxes.

Every state node is ``<g class="node ..." data-state="NAME">`` in both pictures, so that a page
can highlight one state in both. Names, error names and reasons come from the definition:
every text and attribute is escaped (and characters XML cannot hold are replaced). The output
depends only on the IR and its order, so the same machine always gives the same bytes.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from asl2durable.lower import ir, structure
from asl2durable.render.render import named_plainly

Link = Callable[[str], "str | None"] | None

DUMMY_BUDGET = 3  # dummy points per state, at most
SWEEPS = 4  # barycenter sweeps (each one down and one up): bounded, the layout stays linear-ish
NODE_H = 40
LAYER_GAP = 46
NODE_GAP = 24
DUMMY_W = 12
LANE_GAP = 12
MARGIN = 16
NAME_CHARS = 30  # longer names are cut with "…" (the full name is in the node's <title>)
LABEL_CHARS = 26
CODE_CHARS = 48
FONT = "font-family:sans-serif"

_FILL = {
    "Task": "#ffffff",
    "Choice": "#fff6d5",
    "Parallel": "#e3effc",
    "Map": "#e3effc",
    "Pass": "#f2f2f2",
    "Wait": "#f2f2f2",
    "Succeed": "#e6f4e6",
    "Fail": "#fbe4e4",
}

# --------------------------------------------------------------------------- text


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("[\r\n\t\x85\u2028\u2029]+")


def _clean(value: object) -> str:
    """The text with the characters XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", str(value))


def _text(value: object) -> str:
    """Escaped element text."""
    return escape(_clean(value), {'"': "&quot;"})


def _attr(value: object) -> str:
    """An escaped, quoted attribute value (newlines and tabs as character references)."""
    return quoteattr(_clean(value))


def _width(text: str) -> int:
    """Width of a text in average characters (wide East Asian characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, chars: int) -> str:
    """The text on one line, cut with "…" when it is wider than ``chars``."""
    text = _BREAKS.sub(" ", text)
    if _width(text) <= chars:
        return text
    out, used = [], 0
    for c in text:
        used += _width(c)
        if used > chars - 1:
            break
        out.append(c)
    return "".join(out) + "…"


def _wrap(text: str, chars: int, lines: int) -> list[str]:
    """The text in at most ``lines`` lines of about ``chars`` characters (the last one cut)."""
    words = _BREAKS.sub(" ", text).split(" ")
    out: list[str] = []
    line = ""
    for word in words:
        if line and _width(line) + 1 + _width(word) > chars:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    if len(out) > lines:
        out = out[: lines - 1] + [_fit(" ".join(out[lines - 1 :]) + " …", chars)]
    return [_fit(line, chars) for line in out]


def _ident(value: str) -> str:
    """An id fragment: the machine's identifier with anything but [A-Za-z0-9_-] replaced."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", value)


def _marker_id(machine: ir.Machine) -> str:
    """The id of the arrowhead of a machine's state graph: from its identifier (unique in a
    workflow) and a checksum of its state names (so that the machines of different workflows on
    one page do not clash either)."""
    names = "\0".join(machine.states).encode("utf-8", "surrogatepass")
    return f"sg-arrow-{_ident(machine.ident)}-{zlib.crc32(names):08x}"


def _svg(kind: str, title: str, width: float, height: float, body: list[str]) -> str:
    """The root element around ``body``."""
    w, h = round(width), round(height)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram {kind}" viewBox="0 0 {w} {h}" '
        f'width="{w}" height="{h}" role="img" aria-label={_attr(title)}>'
        f"<title>{_text(title)}</title>" + "".join(body) + "</svg>"
    )


def _linked(svg: str, state: str, link: Link) -> str:
    """``svg`` inside ``<a href>`` when ``link`` gives the state an address."""
    href = link(state) if link is not None else None
    return f"<a href={_attr(href)}>{svg}</a>" if href else svg


def _n(value: float) -> str:
    """A coordinate, rounded so that output does not depend on float noise."""
    return f"{value:.1f}".removesuffix(".0")


# --------------------------------------------------------------------------- state graph


@dataclass
class _Edge:
    source: str
    target: str
    labels: list[str]
    back: bool = False
    points: list[tuple[float, float]] = field(default_factory=list)


def _state_type(state: ir.State) -> str:
    """What a state node says under its name: "Task", "Choice", "Parallel (3 branches)", "Map"."""
    kind = type(state).__name__.removesuffix("State")
    if isinstance(state, ir.ParallelState):
        count = len(state.branches)
        return f"Parallel ({count} branch{'' if count == 1 else 'es'})"
    if isinstance(state, ir.MapState) and state.distributed:
        return "Map (distributed)"
    return kind


def _transitions(machine: ir.Machine) -> list[tuple[str, str, str]]:
    """Every transition between two states as (source, target, label) in definition order: Next
    (no label), Choice rules ("rule 1", …), Default ("default") and Catch ("catch: States.ALL")."""
    return [
        (name, target, label)
        for name, state in machine.states.items()
        for target, label in ir.transitions(state)
        if target in machine.states
    ]


def _edges(machine: ir.Machine) -> list[_Edge]:
    """One edge per (source, target) pair, with the labels of its transitions."""
    edges: dict[tuple[str, str], _Edge] = {}
    for source, target, label in _transitions(machine):
        edge = edges.setdefault((source, target), _Edge(source, target, []))
        if label:
            edge.labels.append(label)
    return list(edges.values())


def _terminal(state: ir.State) -> bool:
    return isinstance(state, (ir.SucceedState, ir.FailState)) or (
        isinstance(state, ir.Transitioning) and state.next is None
    )


def _find_back_edges(machine: ir.Machine, edges: list[_Edge]) -> list[str]:
    """Mark the back edges of a depth-first search from StartAt (then from any state not reached);
    return the states in discovery order."""
    succ: dict[str, list[str]] = {name: [] for name in machine.states}
    for edge in edges:
        succ[edge.source].append(edge.target)
    roots = [machine.start_at] if machine.start_at in machine.states else []
    search = structure.depth_first(roots + list(machine.states), succ.__getitem__)
    by_pair = {(edge.source, edge.target): edge for edge in edges}
    for pair in search.back_edges:
        by_pair[pair].back = True
    return search.preorder


def _layers(found: list[str], edges: list[_Edge]) -> dict[str, int]:
    """Each state's layer: the longest path to it from a root over the forward edges."""
    succ: dict[str, list[str]] = {name: [] for name in found}
    indegree = dict.fromkeys(found, 0)
    for edge in edges:
        if not edge.back:
            succ[edge.source].append(edge.target)
            indegree[edge.target] += 1
    layer = dict.fromkeys(found, 0)
    ready = [name for name in found if indegree[name] == 0]
    while ready:  # Kahn's algorithm: forward edges form a DAG
        name = ready.pop()
        for target in succ[name]:
            layer[target] = max(layer[target], layer[name] + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return layer


@dataclass
class _Slot:
    """A node of the layout: a state, or a dummy point of an edge longer than one layer."""

    key: str | int  # the state name, or an int for a dummy
    layer: int
    width: float
    x: float = 0.0
    up: list[_Slot] = field(default_factory=list)
    down: list[_Slot] = field(default_factory=list)


def _order(rows: list[list[_Slot]]) -> None:
    """Barycenter sweeps: sort each layer by the mean position of its neighbours in the layer
    before (down the layers) or after (back up). Python's sort is stable, so ties keep their order."""
    for row in rows:
        _number(row)
    for _ in range(SWEEPS):
        for row in rows[1:]:
            _sort_by_mean(row, [s.up for s in row])
        for row in rows[-2::-1]:
            _sort_by_mean(row, [s.down for s in row])


def _sort_by_mean(row: list[_Slot], neighbours: list[list[_Slot]]) -> None:
    """Sort one layer by the mean position of each slot's neighbours (its own when it has none)."""
    if len(row) < 2:
        return
    keys = [sum(n.x for n in near) / len(near) if near else slot.x for slot, near in zip(row, neighbours)]
    order = sorted(range(len(row)), key=lambda i: (keys[i], i))
    row[:] = [row[i] for i in order]
    _number(row)


def _number(row: list[_Slot]) -> None:
    """Use each slot's index as its x while ordering."""
    for i, slot in enumerate(row):
        slot.x = i


def _place(rows: list[list[_Slot]]) -> float:
    """Give every slot its x (center), layer by layer from the top: each slot wants the mean x of
    its parents; a pass pushing right and a pass pushing left make room between neighbours, and
    their mean keeps the room while staying centered. Returns the right edge of the drawing."""
    for row in rows:
        wanted = [sum(n.x for n in s.up) / len(s.up) if s.up else None for s in row]
        known = [w for w in wanted if w is not None]
        fill = known[0] if known else 0.0
        for i, want in enumerate(wanted):  # a slot without parents goes next to its left neighbour
            if want is None:
                wanted[i] = fill
            else:
                fill = want
        right = list(wanted)
        for i in range(1, len(row)):
            right[i] = max(right[i], right[i - 1] + _room(row[i - 1], row[i]))
        left = list(wanted)
        for i in range(len(row) - 2, -1, -1):
            left[i] = min(left[i], left[i + 1] - _room(row[i], row[i + 1]))
        for slot, a, b in zip(row, right, left):
            slot.x = (a + b) / 2
    shift = min((s.x - s.width / 2 for row in rows for s in row), default=0.0) - MARGIN
    for row in rows:
        for slot in row:
            slot.x -= shift
    return max((s.x + s.width / 2 for row in rows for s in row), default=MARGIN)


def _room(a: _Slot, b: _Slot) -> float:
    """The distance between the centers of two neighbours in a layer."""
    return (a.width + b.width) / 2 + NODE_GAP


def _node_width(state: ir.State) -> float:
    """A node's width from its longer line (a Choice diamond needs room for its points)."""
    text = 7.0 * max(_width(_fit(state.name, NAME_CHARS)), _width(_state_type(state))) + 22
    return max(90.0, text + (NODE_H if isinstance(state, ir.ChoiceState) else 0))


def _graph_node(state: ir.State, x: float, y: float, w: float, link: Link) -> str:
    """One state: a box with its name and type; Choice, terminal, Fail and Succeed are distinct."""
    kind = _state_type(state)
    base = type(state).__name__.removesuffix("State")
    classes = ["node", base.lower()]
    stroke, width = "#333", 1
    if _terminal(state):
        classes.append("terminal")
        width = 3
        stroke = "#b00020" if isinstance(state, ir.FailState) else "#1b7a1b"
    left, top = x - w / 2, y - NODE_H / 2
    if isinstance(state, ir.ChoiceState):  # an elongated diamond
        d = NODE_H / 2
        shape = (
            f'<polygon points="{_n(left)},{_n(y)} {_n(left + d)},{_n(top)} {_n(left + w - d)},{_n(top)} '
            f'{_n(left + w)},{_n(y)} {_n(left + w - d)},{_n(top + NODE_H)} {_n(left + d)},{_n(top + NODE_H)}"'
        )
    else:
        shape = f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(w)}" height="{NODE_H}" rx="{9 if width == 3 else 4}"'
    shape += f' fill="{_FILL.get(base, "#ffffff")}" stroke="{stroke}" stroke-width="{width}"/>'
    svg = (
        f'<g class={_attr(" ".join(classes))} data-state={_attr(state.name)}>'
        f"<title>{_text(state.name + ' (' + kind + ')')}</title>{shape}"
        f'<text x="{_n(x)}" y="{_n(y - 3)}" text-anchor="middle" font-size="12" font-weight="bold" style="{FONT}">'
        f"{_text(_fit(state.name, NAME_CHARS))}</text>"
        f'<text x="{_n(x)}" y="{_n(y + 12)}" text-anchor="middle" font-size="10" fill="#555" style="{FONT}">'
        f"{_text(kind)}</text></g>"
    )
    return _linked(svg, state.name, link)


def _edge_svg(edge: _Edge, marker: str) -> str:
    """An edge: a path with an arrowhead, its label near the source, its transitions as <title>."""
    pts = edge.points
    if edge.back:
        d = f"M{_n(pts[0][0])},{_n(pts[0][1])}" + "".join(f" L{_n(x)},{_n(y)}" for x, y in pts[1:])
        extra = ' stroke-dasharray="5,3"'
        lx, ly, anchor = pts[0][0] + 4, pts[0][1] - 3, "start"
    else:
        d = f"M{_n(pts[0][0])},{_n(pts[0][1])}"
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            bend = (y1 - y0) / 2
            d += f" C{_n(x0)},{_n(y0 + bend)} {_n(x1)},{_n(y1 - bend)} {_n(x1)},{_n(y1)}"
        extra = ""
        # beside the first curve at t = 0.3, where it is 22% of the way across and 34% down
        (x0, y0), (x1, y1) = pts[0], pts[1]
        side = -5 if x1 < x0 - 4 else 5
        lx, ly, anchor = x0 + (x1 - x0) * 0.216 + side, y0 + (y1 - y0) * 0.342 + 3, "end" if side < 0 else "start"
    label = ", ".join(edge.labels)
    classes = "edge back-edge" if edge.back else "edge"
    out = (
        f'<g class="{classes}" data-from={_attr(edge.source)} data-to={_attr(edge.target)}>'
        f"<title>{_text(edge.source + ' → ' + edge.target + (': ' + label if label else ''))}</title>"
        f'<path d="{d}" fill="none" stroke="#555" stroke-width="1.3"{extra} marker-end="url(#{marker})"/>'
    )
    if label:
        out += (
            f'<text x="{_n(lx)}" y="{_n(ly)}" text-anchor="{anchor}" font-size="10" fill="#333" '
            f'stroke="#fff" stroke-width="3" paint-order="stroke" style="{FONT}">{_text(_fit(label, LABEL_CHARS))}</text>'
        )
    return out + "</g>"


def _route_edges(edges: list[_Edge], slots: dict[str, _Slot], chains: dict[int, list[_Slot]], lanes_x: float) -> None:
    """Give every edge its points: forward edges leave a node's bottom (ports spread by the
    direction they go) and enter the top; back edges go out right to a lane and come back."""
    def y_of(slot: _Slot) -> float:
        return MARGIN + 30 + slot.layer * (NODE_H + LAYER_GAP) + NODE_H / 2

    outs: dict[str, list[tuple[float, int]]] = {}
    ins: dict[str, list[tuple[float, int]]] = {}
    for i, edge in enumerate(edges):
        if edge.back:
            continue
        chain = chains[i]
        outs.setdefault(edge.source, []).append((chain[1].x, i))
        ins.setdefault(edge.target, []).append((chain[-2].x, i))

    def ports(groups: dict[str, list[tuple[float, int]]]) -> dict[int, float]:
        at = {}
        for name, group in groups.items():
            slot, k = slots[name], len(group)
            span = min(slot.width - 16, 14.0 * (k - 1))
            for j, (_, i) in enumerate(sorted(group)):
                at[i] = slot.x - span / 2 + (span * j / (k - 1) if k > 1 else span / 2)
        return at

    out_port, in_port = ports(outs), ports(ins)
    lane = 0
    for i, edge in enumerate(edges):
        src, tgt = slots[edge.source], slots[edge.target]
        if edge.back:
            x = lanes_x + LANE_GAP * (lane % 24)
            lane += 1
            sy, ty = y_of(src) + 7, y_of(tgt) - 7
            edge.points = [(src.x + src.width / 2, sy), (x, sy), (x, ty), (tgt.x + tgt.width / 2 + 2, ty)]
            continue
        middle = [(s.x, y_of(s)) for s in chains[i][1:-1]]
        edge.points = [(out_port[i], y_of(src) + NODE_H / 2), *middle, (in_port[i], y_of(tgt) - NODE_H / 2 - 2)]


def _chains(edges: list[_Edge], slots: dict[str, _Slot], rows: list[list[_Slot]]) -> dict[int, list[_Slot]]:
    """The slots each forward edge goes through (by edge index): its source, a dummy in every
    layer in between, its target. Dummies are bounded (shortest edges first): an edge left
    without them is drawn straight from source to target and does not take part in ordering."""
    forward = [i for i, edge in enumerate(edges) if not edge.back]
    span = {i: slots[edges[i].target].layer - slots[edges[i].source].layer for i in forward}
    budget = DUMMY_BUDGET * len(slots) + 100
    chains: dict[int, list[_Slot]] = {}
    for i in sorted(forward, key=lambda i: (span[i], i)):
        src, tgt = slots[edges[i].source], slots[edges[i].target]
        if span[i] - 1 > budget:
            chains[i] = [src, tgt]
            continue
        budget -= span[i] - 1
        chain = [src]
        for level in range(src.layer + 1, tgt.layer):
            dummy = _Slot(-level, level, DUMMY_W)
            rows[level].append(dummy)
            chain.append(dummy)
        chain.append(tgt)
        for a, b in itertools.pairwise(chain):
            a.down.append(b)
            b.up.append(a)
        chains[i] = chain
    return chains


def state_graph(machine: ir.Machine, link: Link = None) -> str:
    """The machine's state graph as an ``<svg class="diagram state-graph">`` element.

    ``link(state_name)`` gives the address a state's node links to (or None for no link).
    """
    edges = _edges(machine)
    found = _find_back_edges(machine, edges)
    layer = _layers(found, edges)
    slots = {name: _Slot(name, layer[name], _node_width(machine.states[name])) for name in found}
    rows: list[list[_Slot]] = [[] for _ in range(max(layer.values(), default=0) + 1)]
    for name in found:
        rows[layer[name]].append(slots[name])
    chains = _chains(edges, slots, rows)
    _order(rows)
    right = _place(rows)
    _route_edges(edges, slots, chains, right + 18)
    backs = sum(edge.back for edge in edges)
    width = right + 18 + (LANE_GAP * min(backs, 24) if backs else 0) + 70
    height = MARGIN * 2 + 30 + len(rows) * (NODE_H + LAYER_GAP) - LAYER_GAP
    marker = _marker_id(machine)
    body = [
        (
            f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>'
        )
    ]
    if machine.start_at in slots:
        start = slots[machine.start_at]
        top = MARGIN + 30
        body.append(
            f'<g class="start"><title>StartAt</title><circle cx="{_n(start.x)}" cy="{MARGIN + 4}" r="6" fill="#333"/>'
            f'<path d="M{_n(start.x)},{MARGIN + 10} L{_n(start.x)},{top - 2}" stroke="#333" stroke-width="1.3" '
            f'marker-end="url(#{marker})"/></g>'
        )
    body += [_edge_svg(edge, marker) for edge in edges]
    for name in found:
        slot = slots[name]
        y = MARGIN + 30 + slot.layer * (NODE_H + LAYER_GAP) + NODE_H / 2
        body.append(_graph_node(machine.states[name], slot.x, y, slot.width, link))
    title = f"State graph of {machine.title or machine.ident}"
    return _svg("state-graph", title, width, height, body)


# --------------------------------------------------------------------------- handler structure


@dataclass
class _Box:
    """A laid-out piece of the structure picture: its size and how to draw it at (x, y)."""

    w: float
    h: float
    draw: Callable[[float, float], str]


CHAR_W = 7.2  # 12px monospace
GAP = 8
PAD = 8


def _code_box(state: str | None, code: str, note: str | None, classes: str, fill: str, stroke: str, link: Link) -> _Box:
    """A box with a line of code (and a note under it); a state node when ``state`` is given."""
    title = state if state is None or _fit(code, CODE_CHARS) == code else f"{state}: {code}"
    code = _fit(code, CODE_CHARS)
    note = _fit(note, CODE_CHARS) if note else None
    w = max(_width(code) * CHAR_W, (_width(note) * 6.2 if note else 0)) + 2 * PAD
    h = 24 if note is None else 38
    terminal = "terminal" in classes.split()

    def draw(x: float, y: float) -> str:
        svg = (
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{h}" rx="{8 if terminal else 3}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{2 if terminal else 1}"/>'
            f'<text x="{_n(x + PAD)}" y="{_n(y + 16)}" font-size="12" font-family="monospace">{_text(code)}</text>'
        )
        if note:
            svg += (
                f'<text x="{_n(x + PAD)}" y="{_n(y + 31)}" font-size="10" fill="#555" font-style="italic" '
                f'style="{FONT}">{_text(note)}</text>'
            )
        if state is None:
            return f'<g class="{classes}">{svg}</g>'
        group = f"<g class={_attr('node ' + classes)} data-state={_attr(state)}><title>{_text(title)}</title>{svg}</g>"
        return _linked(group, state, link)

    return _Box(w, h, draw)


def _sequence(boxes: list[_Box]) -> _Box:
    """Boxes one under the other, left-aligned."""
    return _stack(boxes, across=False)


def _columns(boxes: list[_Box]) -> _Box:
    """Boxes side by side, top-aligned."""
    return _stack(boxes, across=True)


def _stack(boxes: list[_Box], across: bool) -> _Box:
    gaps = GAP * max(len(boxes) - 1, 0)
    if across:
        w, h = sum(b.w for b in boxes) + gaps, max((b.h for b in boxes), default=0)
    else:
        w, h = max((b.w for b in boxes), default=0), sum(b.h for b in boxes) + gaps

    def draw(x: float, y: float) -> str:
        out = []
        for box in boxes:
            out.append(box.draw(x, y))
            if across:
                x += box.w + GAP
            else:
                y += box.h + GAP
        return "".join(out)

    return _Box(w, h, draw)


def _frame(box: _Box, header: str, classes: str, title: str, dashed: bool, chars: int = CODE_CHARS) -> _Box:
    """``box`` inside a frame with a header line of code (cut at ``chars``)."""
    header = _fit(header, chars)
    w = max(box.w, _width(header) * CHAR_W) + 2 * PAD
    h = box.h + 22 + PAD

    def draw(x: float, y: float) -> str:
        dash = ' stroke-dasharray="4,3"' if dashed else ""
        return (
            f'<g class="{classes}"><title>{_text(title)}</title>'
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="5" fill="none" '
            f'stroke="#6a6a9a" stroke-width="1.3"{dash}/>'
            f'<text x="{_n(x + PAD)}" y="{_n(y + 15)}" font-size="12" font-family="monospace" fill="#3a3a7a">'
            f"{_text(header)}</text></g>" + box.draw(x + PAD, y + 22)
        )

    return _Box(w, h, draw)


class _Structure:
    """Boxes for the statements of one machine's body (see ``templates/handler.py.jinja``)."""

    def __init__(self, workflow: ir.Workflow, link: Link):
        self.functions = workflow.functions
        self.tasks = {s.name for s in workflow.states() if isinstance(s, ir.TaskState)}
        self.inline = workflow.inline
        self.link = link

    def call(self, state: str, prefix: str, classes: str, fill: str, stroke: str) -> _Box:
        if state in self.inline:  # written in the body: its with block
            method = "in_task" if state in self.tasks else "in_state"
            code = f"with run.{method}({json.dumps(state, ensure_ascii=False)}, data): …"
            if _width(code) > CODE_CHARS:
                code = f"with run.{method}(…): …"
            return _code_box(state, code, None, classes, fill, stroke, self.link)
        function = self.functions.get(state, state)
        note = None if named_plainly(function, state) else state
        code = f"{prefix}{function}(run, data)"
        if _width(code) > CODE_CHARS:
            code = f"{prefix}{function}(…)"
        return _code_box(state, code, note, classes, fill, stroke, self.link)

    def block(self, statements: tuple[ir.Statement, ...]) -> _Box:
        if not statements:
            return _code_box(None, "pass", None, "pass", "#ffffff", "#bbbbbb", None)
        return _sequence([self.statement(s) for s in statements])

    def statement(self, s: ir.Statement) -> _Box:
        if isinstance(s, ir.Call):
            return self.call(s.state, "data = ", "call", "#ffffff", "#333333")
        if isinstance(s, ir.Finish):
            return self.call(s.state, "return ", "call finish terminal", "#e6f4e6", "#1b7a1b")
        if isinstance(s, ir.Raise):
            return self.call(s.state, "return ", "call raise terminal", "#fbe4e4", "#b00020")
        if isinstance(s, ir.Return):
            return _code_box(None, "return data", None, "return terminal", "#e6f4e6", "#1b7a1b", None)
        if isinstance(s, ir.Continue):
            return _code_box(None, "continue ↺", f"to {s.header}", "continue", "#eef", "#6a6a9a", None)
        if isinstance(s, ir.Break):
            return _code_box(None, "break ↓", f"out of {s.header}", "break", "#eef", "#6a6a9a", None)
        if isinstance(s, ir.Loop):
            header = f"while True:  # loop from {s.header!r}"
            return _frame(self.block(s.body), header, "loop", f"loop from {s.header}", False)
        assert isinstance(s, ir.Route), s
        route = self.call(s.state, "route, data = " if s.cases else "_, data = ", "call route", "#fff6d5", "#333333")
        cases = []
        for i, case in enumerate(s.cases):
            test = "is None" if case.target is None else f"== {str(case.target)!r}"
            header = f"{'if' if i == 0 else 'elif'} route {test}:"
            cases.append(_frame(self.block(case.body), header, "case", header, True))
        return _sequence([route, _columns(cases)]) if cases else route


def _dispatch_box(machine: ir.Machine) -> _Box:
    """The one box of a machine whose states run in a dispatch loop."""
    reason = _wrap(machine.dispatch_reason or "the graph could not be structured", 60, 4)
    lines = [f"return rt.run_machine(…)  # {len(machine.states)} states"] + reason
    w = max(_width(line) for line in lines) * CHAR_W + 2 * PAD
    h = 30 + 15 * len(lines)

    def draw(x: float, y: float) -> str:
        out = [
            (
                f'<g class="dispatch"><title>{_text("dispatch loop: " + (machine.dispatch_reason or ""))}</title>'
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="5" fill="#fff4e5" stroke="#b36b00"/>'
                f'<text x="{_n(x + PAD)}" y="{_n(y + 18)}" font-size="12" font-weight="bold" style="{FONT}">'
                "A dispatch loop runs these states</text>"
            )
        ]
        for i, line in enumerate(lines):
            font = 'font-family="monospace"' if i == 0 else f'style="{FONT}"'
            out.append(f'<text x="{_n(x + PAD)}" y="{_n(y + 34 + 15 * i)}" font-size="11" {font}>{_text(line)}</text>')
        return "".join(out) + "</g>"

    return _Box(w, h, draw)


def handler_structure(machine: ir.Machine, workflow: ir.Workflow, link: Link = None) -> str:
    """The structure of the machine's function in handler.py as an
    ``<svg class="diagram handler-structure">`` element: nested boxes that mirror the printed
    statements. ``workflow.functions`` names the calls; ``link`` as for ``state_graph``."""
    if machine.body is None:
        inner = _dispatch_box(machine)
    else:
        inner = _Structure(workflow, link).block(machine.body)
    header = f"def {machine.ident}(run, data):"
    box = _frame(inner, header, "function", machine.title or machine.ident, False, chars=100)
    title = f"Structure of {machine.ident} in handler.py"
    return _svg("handler-structure", title, box.w + 2 * MARGIN, box.h + 2 * MARGIN, [box.draw(MARGIN, MARGIN)])
