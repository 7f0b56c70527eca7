"""The BPMN and DMN exports are well-formed documents a BPMN tool can draw: one start, one end,
flows between nodes that exist, unique ids, a node per step under the step's id, names in Chinese,
Python that parses, what BPMN cannot say written into the documentation, and a diagram that
places every node apart and draws every flow."""
from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET

import pytest

from builder.bpmn import flow_to_bpmn
from builder.dmn import decision_id, rulesets_to_dmn
from builder.flows import BranchStep, HumanStep, NotifyStep, ParallelStep, SubflowStep
from builder.text import localize
from builder.xml_export import BPMN, BPMNDI, CAMUNDA, DC, DI, DMN, ncname
from rules.ruleset import Ruleset
from tests.builder.bpmn_demo import PROCESSES, bundle, definitions, every_kind

NS = {"bpmn": BPMN, "dmn": DMN}
FLOW_NODES = ("startEvent", "endEvent", "userTask", "sendTask", "businessRuleTask", "callActivity",
              "exclusiveGateway", "parallelGateway")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def exported(doc):
    flow, form, rulesets = definitions(doc)
    return flow, ET.fromstring(flow_to_bpmn(flow, form, rulesets))


def nodes(process):
    return {e.get("id"): e for tag in FLOW_NODES for e in process.findall(f"bpmn:{tag}", NS)}


CASES = [*PROCESSES, "every-kind"]


def case(name):
    return every_kind() if name == "every-kind" else bundle(name)


@pytest.mark.parametrize("name", CASES)
def test_one_executable_process_with_one_start_one_end_and_flows_between_real_nodes(name):
    flow, root = exported(case(name))
    (process,) = root.findall("bpmn:process", NS)
    assert (process.get("id"), process.get("isExecutable")) == (flow.key, "true")
    assert len(process.findall("bpmn:startEvent", NS)) == 1
    assert len(process.findall("bpmn:endEvent", NS)) == 1
    found = nodes(process)
    flows = process.findall("bpmn:sequenceFlow", NS)
    for seq in flows:
        assert seq.get("sourceRef") in found and seq.get("targetRef") in found, seq.get("id")
    ids = [e.get("id") for e in root.iter() if e.get("id") is not None]
    assert len(ids) == len(set(ids))
    reached = {s.get("targetRef") for s in flows} | {s.get("sourceRef") for s in flows}
    assert reached == set(found)  # nothing stands alone


@pytest.mark.parametrize("name", CASES)
def test_every_step_is_a_node_of_its_kind_under_its_id_and_named_in_chinese(name):
    flow, root = exported(case(name))
    found = nodes(root.find("bpmn:process", NS))
    tags = {HumanStep: "userTask", NotifyStep: "sendTask", SubflowStep: "callActivity",
            ParallelStep: "parallelGateway"}
    for step in flow.walk():
        element = found[step.id]
        if isinstance(step, BranchStep):
            expected = "businessRuleTask" if step.ruleset else "exclusiveGateway"
        else:
            expected = next(tag for kind, tag in tags.items() if isinstance(step, kind))
        assert element.tag == f"{{{BPMN}}}{expected}", step.id
        assert element.get("name") == localize(step.title, "zh_CN") and CHINESE.search(element.get("name"))
    assert CHINESE.search(root.find("bpmn:process", NS).get("name")) or name == "every-kind"


@pytest.mark.parametrize("name", CASES)
def test_each_split_has_its_join_a_default_flow_and_conditions_in_python(name):
    flow, root = exported(case(name))
    process = root.find("bpmn:process", NS)
    found = nodes(process)
    flows = process.findall("bpmn:sequenceFlow", NS)
    for step in flow.walk():
        if not isinstance(step, (BranchStep, ParallelStep)):
            continue
        assert f"{step.id}.join" in found
        split = f"{step.id}.split" if isinstance(step, BranchStep) and step.ruleset else step.id
        out = [s for s in flows if s.get("sourceRef") == split]
        assert len(out) == len(step.lanes())
        if isinstance(step, BranchStep):
            default = found[split].get("default")
            assert default in {s.get("id") for s in out}
            conditions = [s.find("bpmn:conditionExpression", NS) for s in out if s.get("id") != default]
            assert len(conditions) == len(step.branches)
            for condition in conditions:
                ast.parse(condition.text, mode="eval")


def test_approval_modes_are_multi_instance_tasks_and_the_sub_process_is_called_by_key():
    _, root = exported(every_kind())
    found = nodes(root.find("bpmn:process", NS))
    loops = {sid: found[sid].find("bpmn:multiInstanceLoopCharacteristics", NS) for sid in
             ("finance_all", "leaders_any", "heads")}
    assert {sid: loop.get("isSequential") for sid, loop in loops.items()} == {
        "finance_all": "false", "leaders_any": "false", "heads": "true"}
    assert loops["leaders_any"].find("bpmn:completionCondition", NS).text == "True"
    assert loops["finance_all"].find("bpmn:completionCondition", NS) is None
    assert loops["heads"].find("bpmn:loopDataInputRef", NS).text == "heads_people"
    assert found["hire"].get("calledElement") == "purchase"
    assert found["tier"].get(f"{{{CAMUNDA}}}decisionRef") == "expense-approval-tier"
    assert found["pay"].get(f"{{{CAMUNDA}}}assignee") == "zhao.min"


def test_what_bpmn_cannot_say_is_in_the_documentation():
    _, root = exported(bundle("initiation"))
    process = root.find("bpmn:process", NS)
    notes = process.find("bpmn:documentation", NS).text
    assert "驳回" in notes and "工作日历" in notes and "特事特办" in notes and "execute" in notes
    execute = nodes(process)["execute"].find("bpmn:documentation", NS).text
    assert "时限：20 个工作日" in execute and "15 个工作日后提醒" in execute
    _, contract = exported(bundle("contract"))
    assert "条款不合法或不合规" in contract.find("bpmn:process/bpmn:documentation", NS).text
    _, kinds = exported(every_kind())
    pay = nodes(kinds.find("bpmn:process", NS))["pay"].find("bpmn:documentation", NS).text
    assert "报销事由只读" in pay


@pytest.mark.parametrize("name", [p for p in PROCESSES if bundle(p)["rulesets"]])
def test_the_dmn_has_a_table_per_ruleset_with_its_rows_and_a_last_row_for_its_default(name):
    rulesets = [Ruleset.from_dict(r) for r in bundle(name)["rulesets"]]
    root = ET.fromstring(rulesets_to_dmn(rulesets))
    assert root.tag == f"{{{DMN}}}definitions"
    decisions = root.findall("dmn:decision", NS)
    assert [d.get("id") for d in decisions] == sorted(decision_id(r.key) for r in rulesets)
    for ruleset, decision in zip(sorted(rulesets, key=lambda r: r.key), decisions):
        assert CHINESE.search(decision.get("name"))
        (table,) = decision.findall("dmn:decisionTable", NS)
        assert table.get("hitPolicy") == {"first": "FIRST", "unique": "UNIQUE", "collect": "COLLECT"}[
            ruleset.hit_policy]
        assert len(table.findall("dmn:input", NS)) == len(ruleset.inputs)
        assert [o.get("name") for o in table.findall("dmn:output", NS)] == [c.key for c in ruleset.outputs]
        rules = table.findall("dmn:rule", NS)
        assert len(rules) == len(ruleset.rows) + 1
        default = rules[-1].findall("dmn:outputEntry/dmn:text", NS)
        assert [ast.literal_eval(t.text) for t in default] == [ruleset.default.get(c.key) for c in ruleset.outputs]
        for entry in table.iterfind("dmn:rule/dmn:inputEntry/dmn:text", NS):
            if entry.text != "-":
                ast.parse(entry.text.replace("?", "x"), mode="eval")


def test_a_unique_table_s_default_row_holds_only_when_no_other_row_does():
    ruleset = Ruleset.from_dict({
        "key": "9-tier", "version": 1, "hit_policy": "unique",
        "inputs": [{"key": "total", "type": "money"}, {"key": "kind", "type": "select", "options": ["a", "b"]}],
        "outputs": [{"key": "tier", "type": "text"}],
        "rows": [{"when": {"$gt": {"total": 100}}, "then": {"tier": "high"}},
                 {"when": {"$and": [{"$lte": {"total": 100}}, {"kind": "a"}]}, "then": {"tier": "low"}}],
        "default": {"tier": "none"}})
    root = ET.fromstring(rulesets_to_dmn([ruleset]))
    assert root.find("dmn:decision", NS).get("id") == ncname("9-tier") == "_9-tier"
    rows = [[e.text for e in rule.findall("dmn:inputEntry/dmn:text", NS)]
            for rule in root.iterfind(".//dmn:rule", NS)]
    assert rows == [
        ["? is not None and ? > 100", "-"],
        ["? is not None and ? <= 100", "'a'"],
        ["not ((? is not None and ? > 100) or ((? is not None and ? <= 100) and (kind == 'a')))", "-"]]


@pytest.mark.parametrize("name", CASES)
def test_the_diagram_places_every_node_apart_and_draws_every_flow_from_its_source_to_its_target(name):
    _, root = exported(case(name))
    process = root.find("bpmn:process", NS)
    di = {"bpmndi": BPMNDI, "dc": DC, "di": DI}
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", di)
    assert plane.get("bpmnElement") == process.get("id")
    boxes = {}
    for shape in plane.findall("bpmndi:BPMNShape", di):
        bounds = shape.find("dc:Bounds", di)
        boxes[shape.get("bpmnElement")] = tuple(float(bounds.get(k)) for k in ("x", "y", "width", "height"))
    assert set(boxes) == set(nodes(process))
    placed = list(boxes.values())
    for i, (x, y, w, h) in enumerate(placed):
        for (x2, y2, w2, h2) in placed[i + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y  # no two overlap

    def on_edge(point, box):
        px, py = point
        x, y, w, h = box
        inside = x <= px <= x + w and y <= py <= y + h
        return inside and (px in (x, x + w) or py in (y, y + h))

    edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", di)}
    for seq in process.findall("bpmn:sequenceFlow", NS):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edges[seq.get("id")].findall("di:waypoint", di)]
        assert len(points) >= 2
        assert on_edge(points[0], boxes[seq.get("sourceRef")]) and on_edge(points[-1], boxes[seq.get("targetRef")])
        for (ax, ay), (bx, by) in zip(points, points[1:]):
            assert ax == bx or ay == by  # straight down or across


def test_a_step_the_submitter_staffs_says_so_in_its_documentation():
    import json as _json
    from builder.bpmn import flow_to_bpmn
    from builder.flows import Flow
    from builder.forms import Form
    from tests.support import DEMO
    bundle = _json.loads((DEMO / "processes" / "contract.json").read_text(encoding="utf-8"))
    flow = Flow.from_dict({**bundle["flow"], "steps": [
        {"id": "counsel", "kind": "approval", "assignee": {"kind": "chosen", "role": "legal", "multiple": False}}]})
    xml = flow_to_bpmn(flow, Form.from_dict(bundle["form"]), {})
    assert "提交人发起时自选的人（一人，从角色「legal」的成员中选）" in xml
