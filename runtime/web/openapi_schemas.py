"""The shapes the JSON API reads and answers, as JSON Schema 2020-12 (OpenAPI 3.1's dialect).

They are the contract `runtime/web/api.py` and its siblings keep; `tests/runtime/test_openapi.py`
checks real answers against them, so a shape that drifts from its description fails a test.
Objects stay open (`additionalProperties` unset) where a later version may add members.
"""
from __future__ import annotations

from typing import Any

from runtime import events
from runtime.web.api import HIDDEN_EVENT_FIELDS

STRING = {"type": "string"}
STAMP = {"type": "string", "description": "UTC time, ISO 8601 with milliseconds, e.g. 2026-03-02T09:00:00.000Z"}
OBJECT = {"type": "object"}
NULLABLE = {"type": ["string", "null"]}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """An object with these members (the `required` ones always present)."""
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}, **extra}


POST_HOC = {"post_hoc": {"const": True, "description": "an approval a green-channel start skipped, done afterwards"},
            "due": {"type": ["string", "null"]}}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": obj({"error": STRING}, {
        "errors": {"type": "object", "additionalProperties": STRING,
                   "description": "what is wrong, by field name or JSON path"},
        "problems": array(obj({"path": STRING, "message": STRING}))}),
    "Login": obj({"username": STRING, "password": STRING}),
    "Token": obj({"token": STRING}),
    "Process": obj({"key": STRING, "version": {"type": "integer"}, "title": STRING, "form": STRING}),
    "StartRequest": obj({"process": STRING}, {
        "data": {"type": "object", "description": "the form's fields by key"},
        "request_id": {"type": "string", "description": "the caller's id for this action: repeating it has no second effect"},
        "urgent": obj({"reason": STRING}, description="start through the green channel, approvals afterwards"),
        "chosen": {"type": "object", "additionalProperties": array(STRING),
                   "description": "the people the submitter picks, by step"}}),
    "Started": obj({"id": STRING, "status": STRING,
                    "tasks": array(obj({"id": STRING, "step": STRING, "assignee": STRING}, POST_HOC))},
                   {"urgent": ref("Urgent")}),
    "Urgent": obj({"reason": STRING, "post_hoc_open": {"type": "integer"}, "post_hoc_refused": {"type": "boolean"}}),
    "InstanceTask": obj({"id": STRING, "step": STRING, "assignee": STRING, "status": STRING,
                         "version": {"type": "integer"}}, POST_HOC),
    "InstanceBrief": obj({"id": STRING, "process": STRING, "status": STRING, "version": {"type": "integer"},
                          "tasks": array(ref("InstanceTask"))}, {"urgent": ref("Urgent")}),
    "Instance": {"allOf": [ref("InstanceBrief"), obj({
        "submitter": STRING, "created": STAMP, "updated": STAMP,
        "data": {"type": "object", "description": "the fields this reader may see"},
        "pinned": obj({"flow": {"type": "integer"}, "form": STRING, "form_version": {"type": "integer"},
                       "rulesets": {"type": "object", "additionalProperties": {"type": "integer"}}}),
        "events": array(events.json_schema(omit=HIDDEN_EVENT_FIELDS))})]},
    "Task": obj({"id": STRING, "instance": STRING, "process": STRING, "step": STRING, "assignee": STRING,
                 "created": STAMP, "due": {"type": ["string", "null"]}, "overdue": {"type": "boolean"}},
                {"post_hoc": POST_HOC["post_hoc"]}),
    "Decide": obj({}, {"comment": STRING, "reason": STRING, "code": STRING, "request_id": STRING,
                       "version": {"type": "integer", "minimum": 1, "description": "the task's version you saw"},
                       "data": {"type": "object", "description": "fields editable at this step"}}),
    "Command": obj({}, {"to": STRING, "user": STRING, "position": {"enum": ["before", "after", "with"]},
                        "comment": STRING, "reason": STRING, "request_id": STRING, "data": OBJECT,
                        "version": {"type": "integer", "minimum": 1}}),
    "Delegation": obj({}, {"delegation": {"oneOf": [
        {"type": "null"}, obj({"to": STRING, "start": STRING, "end": STRING}, {"note": STRING})]}}),
    "DelegationRule": obj({"to": STRING, "start": STRING, "end": STRING}, {"note": STRING}),
    "PostHocRow": obj({"task": STRING, "instance": STRING, "process": STRING, "step": STRING, "assignee": STRING,
                       "due": STRING, "overdue": {"type": "boolean"}, "submitter": STRING, "reason": STRING}),
    "ExportDocument": {"type": "object", "required": ["format", "flow", "form", "rulesets"],
                       "description": "one self-contained process (schema: builder/schema/flow-export.schema.json)"},
    "Published": obj({"key": STRING}, {"version": {"type": "integer"}, "pending": STRING, "approver": STRING}),
    "Note": obj({}, {"note": STRING}),
    "Summary": obj({"key": STRING, "title": {"type": ["string", "object"]}},
                   {"version": {"type": ["integer", "null"]}, "draft": {"type": "boolean"}}),
    "Version": obj({"version": {"type": "integer"}, "by": STRING, "at": STRING, "note": STRING},
                   {"diff": array(STRING)}),
    "RulesetDraft": obj({"ruleset": OBJECT, "tests": array(obj({"name": STRING, "data": OBJECT, "expect": OBJECT})),
                         "based_on": {"type": "integer"}}),
    "Evaluate": obj({}, {"data": OBJECT, "version": {"type": "integer", "minimum": 1}}),
    "Decision": obj({"ruleset": STRING, "version": {"type": "integer"}, "outcome": OBJECT, "fired": array({}),
                     "default_used": {"type": "boolean"}, "inputs": OBJECT, "trace": array(OBJECT)}),
    "Findings": obj({"findings": array(OBJECT)}),
    "FormDocument": obj({"key": STRING, "fields": array(OBJECT)}, description="a form definition"),
    "FlowDocument": obj({"key": STRING, "steps": array(OBJECT)}, description="a flow definition"),
    "Problems": obj({"errors": {"type": "object", "additionalProperties": STRING}}),
    "FlowPublish": obj({}, {"note": STRING, "effective": STRING, "confirm_routes": {"type": "boolean"}}),
    "Impact": obj({"running": {"type": "integer"}, "by_version": OBJECT, "by_step": OBJECT}),
    "SimulateRequest": obj({}, {"data": OBJECT, "submitter": STRING, "chosen": OBJECT}),
    "Simulation": obj({"path": array(obj({"step": STRING, "kind": STRING,
                                          "people": array(obj({"username": STRING, "name": STRING},
                                                              {"note": STRING, "for": STRING}))},
                                         {"because": STRING, "due": STRING, "outcome": STRING,
                                          "branch": {"type": ["integer", "null"]}})),
                       "status": {"enum": ["completed", "waiting"]}},
                      {"waiting": {"type": "object", "additionalProperties": STRING,
                                   "description": "field: what the step still needs"}}),
    "Upload": obj({"id": STRING, "name": STRING, "size": {"type": "integer"}, "sha256": STRING, "type": STRING}),
    "Choice": obj({"value": STRING, "label": STRING}),
    "InboxItem": obj({"kind": {"enum": ["task", "request"]}, "task": NULLABLE, "instance": STRING, "process": STRING,
                      "title": STRING, "step": NULLABLE, "submitter": STRING, "status": STRING, "task_status": NULLABLE,
                      "created": STAMP, "at": STRING, "did": NULLABLE, "due": NULLABLE, "overdue": {"type": "boolean"},
                      "amount": {"type": ["string", "null"], "description": "the form's amount, where the reader may see it"},
                      "urged": {"oneOf": [{"type": "null"}, obj({"by": STRING, "at": STAMP})]},
                      "returned": {"oneOf": [{"type": "null"}, obj({"by": STRING, "at": STAMP, "reason": STRING})]},
                      "batch": {"type": "boolean", "description": "whether it may be approved with others"},
                      "batch_note": NULLABLE}),
    "InboxPage": obj({"items": array(ref("InboxItem")), "total": {"type": "integer"}, "page": {"type": "integer"},
                      "pages": {"type": "integer"},
                      "counts": obj({tab: {"type": "integer"} for tab in ("todo", "done", "cc", "mine")})}),
    "Notice": obj({"id": STRING, "seq": {"type": "integer"}, "kind": STRING, "group": STRING, "instance": STRING,
                   "process": STRING, "task": NULLABLE, "actor": STRING, "created": STAMP, "submitter": STRING,
                   "link": STRING, "text": STRING, "unread": {"type": "boolean"}}),
    "Notices": obj({"items": array(ref("Notice")), "unread": {"type": "integer"}}),
    "WebhookRequest": obj({"url": {"type": "string", "format": "uri", "description": "http or https"}},
                          {"events": {**array(STRING), "description": "event kinds, or all, tasks, decisions, requests"}}),
    "Webhook": obj({"id": STRING, "url": STRING, "events": array(STRING), "created": STAMP, "by": STRING},
                   {"secret": {"type": "string", "description": "shown once, at registration: it signs each delivery"}}),
    "Webhooks": obj({"items": array(ref("Webhook"))}),
    "Delivery": obj({"id": STRING, "event": STRING, "state": {"enum": ["sent", "failed", "retrying"]},
                     "attempts": {"type": "integer"}, "status": {"type": ["integer", "null"]}, "at": STRING,
                     "next": STRING, "error": {"type": ["string", "null"]}, "history": array(OBJECT)}),
    "Deliveries": obj({"items": array(ref("Delivery"))}),
    "Retrying": obj({"id": STRING, "state": {"const": "retrying"}}),
    "BatchApprove": obj({"tasks": array(STRING)}, {"comment": STRING, "request_id": STRING}),
    "BatchResults": obj({"results": array(obj({"task": STRING, "ok": {"type": "boolean"}, "message": STRING}))}),
}
