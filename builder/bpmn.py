"""A formflow flow as a BPMN 2.0 process, for people who read or run processes in BPMN tools.

Structured flows map cleanly: human steps become user tasks, a copy (抄送) a send task, a branch
step an exclusive split and its converging join (by its conditions, or by a business rule task
that calls the ruleset's DMN decision, `builder.dmn`), a parallel step a parallel split and join,
a subflow a call activity. Every element of a step has the step's id, or the step's id and a
suffix after a dot (`tier.join`): formflow ids hold no dot, so each element names its step.

What BPMN cannot say (rejections and returns, time limits on the business calendar, the flow's
policies, field permissions per step, the green channel) is written into the process's and the
steps' documentation, never silently dropped. A diagram (`builder.bpmn_layout`) places every
node, so BPMN tools open the file drawn. Conditions are Python over the variables
`builder.bpmn_expressions` names, so SpiffWorkflow runs the export as it is.
"""
from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from builder.bpmn_expressions import first_of, literal, python_condition, variable
from builder.bpmn_layout import Block, Column, Edge, Fork, Node, diagram
from builder.deadlines import Duration
from builder.dmn import decision_id
from builder.flows import (
    ApprovalStep,
    Assignee,
    BranchStep,
    Flow,
    HumanStep,
    NotifyStep,
    ParallelStep,
    Step,
    SubflowStep,
)
from builder.forms import Form
from builder.xml_export import BPMN, CAMUNDA, FORMFLOW, PYTHON, SPIFF, XSI, chinese, document, ncname, q, sub
from rules.ruleset import Ruleset

MODE_WORDS = {"any": "或签：一人通过即可", "all": "会签：须全部通过", "sequential": "依次审批：逐人通过"}
ESCALATION_WORDS = {"remind": "提醒", "urge": "催办", "transfer_superior": "转交上级",
                    "auto_approve": "自动通过", "auto_reject": "自动驳回"}
PERMISSION_WORDS = {"editable": "可编辑", "readonly": "只读", "hidden": "隐藏"}
POLICY_WORDS = {
    "repeat_approver": {"ask": "再次请其审批", "auto_approve": "自动通过"},
    "no_assignee": {"admin": "转交流程管理员", "skip": "跳过该步骤", "auto_approve": "自动通过"},
    "submitter_approver": {"superior": "改由其上级审批", "skip": "跳过", "self": "由本人审批"},
}


def flow_to_bpmn(flow: Flow, form: Form, rulesets: Mapping[str, Ruleset]) -> str:
    """A BPMN 2.0 `definitions` document holding one executable process, id = the flow's key."""
    root = ET.Element(q(BPMN, "definitions"), {
        "id": ncname(f"{flow.key}.definitions"), "targetNamespace": f"urn:formflow:process:{flow.key}",
        "expressionLanguage": PYTHON, "exporter": "formflow", "exporterVersion": str(flow.version)})
    _Writer(root, flow, form, rulesets).process()
    return document(root)


def people_variable(step: Step) -> str:
    """The variable holding who acts at a step with several people (a multi-instance task)."""
    return f"{variable(step.id)}_people"


def approval_mode(step: HumanStep) -> str:
    """How a human step's people act, as the engine runs it: single, any, all or sequential (a
    chain of heads, 连续多级主管, always in turn)."""
    mode = step.mode if isinstance(step, ApprovalStep) else "single"
    return "sequential" if mode == "single" and step.assignee.kind == "dept_heads" else mode


def is_multi_instance(step: Step) -> bool:
    """Whether a human step's task goes to several people: all, any, in turn, or a chain of heads."""
    return isinstance(step, HumanStep) and approval_mode(step) != "single"


class _Writer:
    """Writes one process: elements and the sequence flows between them."""

    def __init__(self, root: ET.Element, flow: Flow, form: Form, rulesets: Mapping[str, Ruleset]) -> None:
        self.root, self.flow, self.form, self.rulesets = root, flow, form, rulesets
        self.pid = ncname(flow.key)
        self.used = {self.pid}
        self.flows = itertools.count(1)
        self.labels = {f.key: chinese(f.label, f.key) for f in form.fields}
        self.blocks: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.element = sub(root, BPMN, "process", id=self.pid, name=chinese(flow.title, flow.key),
                           isExecutable="true")

    def process(self) -> None:
        sub(self.element, BPMN, "documentation", "\n".join(self._process_notes()))
        start = self._node("startEvent", f"{self.pid}.start", chinese(self.flow.meta.start, "提交申请"))
        end = self._node("endEvent", f"{self.pid}.end", chinese(self.flow.meta.end, "结束"))
        _, column = self._lane(self.flow.steps, start, end)
        column.blocks = [self.blocks[start], *column.blocks, self.blocks[end]]
        diagram(self.root, self.pid, column, self.edges)

    # ------------------------------------------------------------------ structure

    def _lane(self, steps: tuple[Step, ...], source: str, target: str, condition: str = "",
              name: str = "", fork: bool = False) -> tuple[str, Column]:
        """`steps` in a row from `source` to `target`: the id of the first flow (which carries
        `condition` and `name`, as a branch's first flow does) and the column they are drawn in
        (a lane of a fork when `fork`: its first and last flows run in it)."""
        column = Column()
        lane = column if fork else None
        first = ""
        previous = source
        for step in steps:
            entry, exit_, block = self._step(step)
            column.blocks.append(block)
            flow = self._flow(previous, entry, condition if not first else "", name if not first else "",
                              lane if not first else None)
            first = first or flow
            previous = exit_
        flow = self._flow(previous, target, condition if not first else "", name if not first else "", lane)
        return first or flow, column

    def _step(self, step: Step) -> tuple[str, str, Block]:
        """Write one step; the ids a flow enters it by and leaves it by, and how it is drawn."""
        if isinstance(step, BranchStep):
            return self._branch(step)
        if isinstance(step, ParallelStep):
            split = self._node("parallelGateway", step.id, chinese(step.title), gatewayDirection="Diverging")
            join = self._node("parallelGateway", f"{step.id}.join", "", gatewayDirection="Converging")
            lanes = [self._lane(lane.steps, split, join, name=chinese(lane.label), fork=True)[1]
                     for lane in step.branches]
            return split, join, Fork([self.blocks[split]], lanes, self.blocks[join])
        if isinstance(step, SubflowStep):
            called = self._node("callActivity", step.id, chinese(step.title, step.id), calledElement=ncname(step.process))
            self._document(called, self._subflow_notes(step))
            return called, called, self.blocks[called]
        if isinstance(step, NotifyStep):
            sent = self._node("sendTask", step.id, chinese(step.title, step.id))
            self._document(sent, [f"抄送：{self._who(step.assignee)}；知会即可，无需处理。"], _assignee(step.assignee))
            return sent, sent, self.blocks[sent]
        assert isinstance(step, HumanStep)
        return self._human(step)

    def _human(self, step: HumanStep) -> tuple[str, str, Block]:
        task = self._node("userTask", step.id, chinese(step.title, step.id))
        element = self._by_id(task)
        if step.assignee.kind == "user":
            element.set(q(CAMUNDA, "assignee"), step.assignee.user)
        elif step.assignee.kind == "role":
            element.set(q(CAMUNDA, "candidateGroups"), step.assignee.role)
        self._document(task, self._human_notes(step), _assignee(step.assignee))
        mode = approval_mode(step)
        if mode != "single":
            loop = sub(element, BPMN, "multiInstanceLoopCharacteristics",
                       isSequential="true" if mode == "sequential" else "false")
            loop.set(q(CAMUNDA, "collection"), people_variable(step))  # what Camunda's tools read
            loop.set(q(CAMUNDA, "elementVariable"), "person")
            # No inputDataItem: an engine that merges each instance's data back into the task
            # (SpiffWorkflow does) would find the item already set for the next person.
            sub(loop, BPMN, "loopDataInputRef", people_variable(step))
            if mode == "any":
                sub(loop, BPMN, "completionCondition", "True").set(q(XSI, "type"), "bpmn:tFormalExpression")
        return task, task, self.blocks[task]

    def _branch(self, step: BranchStep) -> tuple[str, str, Block]:
        title = chinese(step.title, step.id)
        if step.ruleset:
            ruleset = self.rulesets.get(step.ruleset)
            entry = self._node("businessRuleTask", step.id, title)
            self._by_id(entry).set(q(CAMUNDA, "decisionRef"), decision_id(step.ruleset))
            called = ET.Element(q(SPIFF, "calledDecisionId"))
            called.text = decision_id(step.ruleset)
            self._document(entry, self._ruleset_notes(step, ruleset), called)
            split = self._node("exclusiveGateway", f"{step.id}.split", "", gatewayDirection="Diverging")
            self._flow(entry, split)
            conditions = [_outcome(branch.outcome) for branch in step.branches]
        else:
            entry = split = self._node("exclusiveGateway", step.id, title, gatewayDirection="Diverging")
            types = self.form.condition_types()
            conditions = [python_condition(branch.when, types) if branch.when else "True"
                          for branch in step.branches]
        join = self._node("exclusiveGateway", f"{step.id}.join", "", gatewayDirection="Converging")
        lanes = [self._lane(branch.steps, split, join, condition, chinese(branch.label), fork=True)
                 for branch, condition in zip(step.branches, first_of(conditions))]
        lanes.append(self._lane(step.otherwise, split, join, name="其他情况", fork=True))
        self._by_id(split).set("default", lanes[-1][0])
        head = [self.blocks[entry]] + ([self.blocks[split]] if split != entry else [])
        return entry, join, Fork(head, [column for _, column in lanes], self.blocks[join])

    # ------------------------------------------------------------------ elements

    def _node(self, tag: str, wanted: str, name: str, **attributes: str) -> str:
        """A flow node with the first free id of `wanted`, `wanted.2`, …; its id."""
        nid = ncname(wanted)
        for n in itertools.count(2):
            if nid not in self.used:
                break
            nid = ncname(f"{wanted}.{n}")
        self.used.add(nid)
        sub(self.element, BPMN, tag, id=nid, name=name, **attributes)
        self.blocks[nid] = Node(nid, tag)
        return nid

    def _flow(self, source: str, target: str, condition: str = "", name: str = "",
              lane: Column | None = None) -> str:
        fid = f"{self.pid}.flow.{next(self.flows)}"
        self.edges.append(Edge(fid, source, target, lane))
        flow = sub(self.element, BPMN, "sequenceFlow", id=fid, name=name, sourceRef=source, targetRef=target)
        if condition:
            sub(flow, BPMN, "conditionExpression", condition).set(q(XSI, "type"), "bpmn:tFormalExpression")
        return fid

    def _by_id(self, nid: str) -> ET.Element:
        return next(e for e in self.element if e.get("id") == nid)

    def _document(self, nid: str, lines: list[str], *extensions: ET.Element) -> None:
        """Put `lines` and `extensions` first in the element, where BPMN's schema wants them."""
        element = self._by_id(nid)
        docs = ET.Element(q(BPMN, "documentation"))
        docs.text = "\n".join(lines)
        element.insert(0, docs)
        if extensions:
            holder = ET.Element(q(BPMN, "extensionElements"))
            holder.extend(extensions)
            element.insert(1, holder)

    # ------------------------------------------------------------------ words

    def _process_notes(self) -> list[str]:
        flow = self.flow
        notes = [f"formflow 流程 {flow.key} 第 {flow.version} 版，表单 {flow.form}。"]
        if purpose := chinese(flow.meta.purpose):
            notes.append(f"目的：{purpose}")
        notes += [
            "流程变量：表单字段按字段键命名（表格和日期范围的派生值如 items.amount.sum 写作 "
            "items__amount__sum），未填写的字段为 None；条件和决策表条目是 Python 表达式。",
            "多人处理的步骤（会签、或签、依次审批、逐级主管）从变量 <步骤>_people 读取处理人列表；"
            "formflow 按组织架构解析处理人。",
            "以下 formflow 行为未画入 BPMN，只在此说明：",
            "- 驳回即结束申请（或按步骤设置退回提交人或之前的步骤，重新提交）；撤回、转交、加签、催办；",
            "- 时限与升级按工作日历计算（见各步骤说明），不是 BPMN 计时器；",
            "- 各步骤的字段权限（见各步骤说明）；",
            "- 处理人策略：" + "；".join(self._policy_words()) + "。",
        ]
        if flow.urgent is not None and flow.urgent.allowed:
            notes.append(f"- 特事特办：紧急申请直接进入步骤 {flow.urgent.execution}，跳过的审批须在 "
                         f"{_duration(flow.urgent.deadline)}内补办。")
        if flow.reject_codes:
            notes.append("- 驳回须选择原因：" + "、".join(chinese(o.label, o.value) for o in flow.reject_codes) + "。")
        if flow.start_fields:
            notes.append("- 提交时的字段权限：" + self._permissions(flow.start_fields) + "。")
        return notes

    def _policy_words(self) -> list[str]:
        names = {"repeat_approver": "审批人与上一步相同时", "no_assignee": "无人可处理时",
                 "submitter_approver": "提交人即审批人时"}
        policies = self.flow.policies
        return [f"{names[key]}{words[getattr(policies, key)]}" for key, words in POLICY_WORDS.items()]

    def _human_notes(self, step: HumanStep) -> list[str]:
        who = self._who(step.assignee)
        mode = approval_mode(step)
        if mode != "single":
            who += f"（{MODE_WORDS[mode]}）"
        notes = [f"处理人：{who}。"]
        if is_multi_instance(step):
            notes.append(f"处理人列表：变量 {people_variable(step)}。")
        if step.deadline is not None:
            notes.append(f"时限：{_duration(step.deadline)}（按工作日历）。")
        if step.escalation:
            notes.append("升级：" + "；".join(f"{_duration(r.after)}后{ESCALATION_WORDS.get(r.action, r.action)}"
                                            for r in step.escalation) + "。")
        if step.fields:
            notes.append("字段权限：" + self._permissions(step.fields) + "。")
        if description := chinese(step.description):
            notes.append(description)
        return notes

    def _ruleset_notes(self, step: BranchStep, ruleset: Ruleset | None) -> list[str]:
        if ruleset is None:
            return [f"按规则集 {step.ruleset} 选择分支；导出时没有这个规则集，DMN 中也没有它。"]
        notes = [f"按规则集「{chinese(ruleset.title, ruleset.key)}」（{ruleset.ref}，DMN 决策 "
                 f"{decision_id(ruleset.key)}）的结果选择分支，按优先级取第一个符合的分支。"]
        fields = {variable(name) for name in self.form.condition_types()}
        for column in ruleset.outputs:
            if variable(column.key) in fields:
                notes.append(f"注意：输出 {column.key} 与表单字段同名；在 BPMN 引擎中它会覆盖该字段的值，"
                             "formflow 则分开保存。")
        return notes

    def _subflow_notes(self, step: SubflowStep) -> list[str]:
        notes = [f"启动子流程 {step.process}（同一提交人），等其结束后继续；子流程被驳回则本流程也被驳回。"]
        if step.inputs:
            pairs = "、".join(f"{child} ← {self.labels.get(own, own)}" for child, own in step.inputs.items())
            notes.append(f"子流程表单取值：{pairs}。BPMN 引擎会把全部流程变量传给子流程。")
        return notes

    def _permissions(self, fields: Mapping[str, str]) -> str:
        return "，".join(f"{self.labels.get(key, key)}{PERMISSION_WORDS.get(how, how)}" for key, how in fields.items())

    def _who(self, assignee: Assignee) -> str:
        kind = assignee.kind
        if kind == "user":
            return f"用户 {assignee.user}"
        if kind == "role":
            return f"角色「{assignee.role}」的成员"
        if kind == "dept_head":
            return "提交人的部门负责人" if assignee.levels == 1 else f"提交人向上第 {assignee.levels} 级部门负责人"
        if kind == "dept_heads":
            return f"提交人的各级部门负责人，逐级审批，最多 {assignee.levels} 级"
        if kind == "field":
            return f"表单字段「{self.labels.get(assignee.field, assignee.field)}」选定的人"
        if kind == "chosen":
            among = f"，从角色「{assignee.role}」的成员中选" if assignee.role else ""
            return f"提交人发起时自选的人（{'可选多人' if assignee.multiple else '一人'}{among}）"
        return f"规则集 {assignee.ruleset} 的输出 {assignee.output} 指定的人或角色"


def _assignee(assignee: Assignee) -> ET.Element:
    """The assignee as formflow names it, for a tool (or a re-import) that knows formflow."""
    return ET.Element(q(FORMFLOW, "assignee"), {k: str(v) for k, v in assignee.to_dict().items()})


def _outcome(outcome: Mapping[str, object]) -> str:
    """A ruleset outcome as a test of the decision's output variables."""
    tests = [f"{variable(key)} == {literal(value)}" for key, value in outcome.items()]
    return " and ".join(tests) if tests else "True"


def _duration(duration: Duration) -> str:
    return f"{duration.amount} 个工作{'日' if duration.unit == 'days' else '小时'}"
