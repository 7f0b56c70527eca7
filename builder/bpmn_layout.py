"""The BPMN diagram of a structured flow: a column from the start down to the end, the lanes of a
branch or parallel step side by side between its split and its join.

BPMN tools draw only what a `BPMNDiagram` places, so the export lays the flow out itself; a
structured flow needs no general graph layout (DESIGN.md, Designers): each block is as wide as its
widest part, lanes sit next to each other, and every flow runs down or sideways at a gateway.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from builder.xml_export import BPMNDI, DC, DI, sub

SIZES = {"startEvent": (36, 36), "endEvent": (36, 36), "exclusiveGateway": (50, 50),
         "parallelGateway": (50, 50)}
TASK = (120, 80)
GAP = 40  # between blocks, down and across
EMPTY_LANE = 60  # how wide a lane with no steps is drawn


@dataclass
class Node:
    id: str
    tag: str

    @property
    def size(self) -> tuple[int, int]:
        return SIZES.get(self.tag, TASK)

    def width(self) -> int:
        return self.size[0]

    def height(self) -> int:
        return self.size[1]


@dataclass
class Column:
    """Blocks one under the other; `x` is where its centre line was placed."""

    blocks: list[Block] = field(default_factory=list)
    x: float = 0

    def width(self) -> int:
        return max((b.width() for b in self.blocks), default=EMPTY_LANE)

    def height(self) -> int:
        return sum(b.height() for b in self.blocks) + GAP * max(len(self.blocks) - 1, 0)


@dataclass
class Fork:
    """A split (after any `head`, such as the rule task that decides it), lanes, and a join."""

    head: list[Node]
    lanes: list[Column]
    join: Node

    def width(self) -> int:
        across = sum(lane.width() for lane in self.lanes) + GAP * (len(self.lanes) - 1)
        return max([across, self.join.width(), *(n.width() for n in self.head)])

    def height(self) -> int:
        above = sum(n.height() + GAP for n in self.head)
        return above + max(lane.height() for lane in self.lanes) + GAP + self.join.height()


Block = Node | Column | Fork


@dataclass(frozen=True)
class Edge:
    """A sequence flow and, when it leaves a split or enters a join, the lane it runs in."""

    id: str
    source: str
    target: str
    lane: Column | None = None


def diagram(root: ET.Element, process_id: str, column: Column, edges: list[Edge]) -> None:
    """Append the `BPMNDiagram` of `column` (the whole process) and its `edges` to `root`."""
    boxes: dict[str, tuple[float, float, int, int]] = {}
    _place(column, column.width() / 2 + GAP, GAP, boxes)
    plane = sub(sub(root, BPMNDI, "BPMNDiagram", id=f"{process_id}.diagram"), BPMNDI, "BPMNPlane",
                id=f"{process_id}.plane", bpmnElement=process_id)
    for nid, (x, y, w, h) in boxes.items():
        shape = sub(plane, BPMNDI, "BPMNShape", id=f"{nid}.shape", bpmnElement=nid)
        sub(shape, DC, "Bounds", x=_n(x), y=_n(y), width=str(w), height=str(h))
    for edge in edges:
        shown = sub(plane, BPMNDI, "BPMNEdge", id=f"{edge.id}.edge", bpmnElement=edge.id)
        for x, y in _route(edge, boxes):
            sub(shown, DI, "waypoint", x=_n(x), y=_n(y))


def _place(block: Block, cx: float, y: float, boxes: dict[str, tuple[float, float, int, int]]) -> None:
    if isinstance(block, Node):
        w, h = block.size
        boxes[block.id] = (cx - w / 2, y, w, h)
    elif isinstance(block, Column):
        block.x = cx
        for inner in block.blocks:
            _place(inner, cx, y, boxes)
            y += inner.height() + GAP
    else:
        for node in block.head:
            _place(node, cx, y, boxes)
            y += node.height() + GAP
        across = sum(lane.width() for lane in block.lanes) + GAP * (len(block.lanes) - 1)
        left = cx - across / 2
        for lane in block.lanes:
            _place(lane, left + lane.width() / 2, y, boxes)
            left += lane.width() + GAP
        _place(block.join, cx, y + max(lane.height() for lane in block.lanes) + GAP, boxes)


def _route(edge: Edge, boxes: dict[str, tuple[float, float, int, int]]) -> list[tuple[float, float]]:
    """Down from the source's bottom to the target's top; out of a split's side and down its
    lane; down a lane and into a join's side."""
    sx, sy, sw, sh = boxes[edge.source]
    tx, ty, tw, th = boxes[edge.target]
    s_mid, t_mid = sx + sw / 2, tx + tw / 2
    lane = edge.lane.x if edge.lane is not None else None
    if lane is None or (lane == s_mid and lane == t_mid):
        return [(s_mid, sy + sh), (t_mid, ty)]
    points: list[tuple[float, float]] = []
    if lane == s_mid:
        points.append((s_mid, sy + sh))
    else:
        points += [(sx + (sw if lane > s_mid else 0), sy + sh / 2), (lane, sy + sh / 2)]
    if lane == t_mid:
        points.append((t_mid, ty))
    else:
        points += [(lane, ty + th / 2), (tx + (0 if lane < t_mid else tw), ty + th / 2)]
    return points


def _n(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"

