"""`GET /api/openapi.json`: every JSON route described as OpenAPI 3.1, for the scripts that rely on them.

Written by hand, beside the routes, rather than inferred from handlers: the handlers read bodies
field by field, so only a description says what they accept. `tests/runtime/test_openapi.py`
holds it to the app: every `/api/` route documented, nothing documented that is not routed, and
real answers valid against the shapes in `openapi_schemas`.
"""
from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime.web.openapi_schemas import SCHEMAS, array, ref

AUTH = [{"bearer": []}, {"session": []}]
FAILURES = {"400": "the body or a parameter is malformed", "401": "not signed in",
            "403": "not allowed for this person", "404": "no such thing", "409": "the state moved on (a version, a request id)",
            "413": "the body is too large", "422": "refused: `errors` names each field or JSON path"}
EXPORT = "#/components/schemas/ExportDocument"


def _json(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"description": description or "JSON", "content": {"application/json": {"schema": schema}}}


def op(summary: str, answer: dict[str, Any] | None = None, *, status: int = 200, body: dict[str, Any] | None = None,
       query: dict[str, str] | None = None, fails: str = "401 403 404", public: bool = False,
       content: str = "application/json") -> dict[str, Any]:
    """One operation: its summary, body, query parameters, the answer on success and the failures it may give."""
    done: dict[str, Any] = {"description": "no content"} if answer is None else (
        _json(answer, "OK") if content == "application/json"
        else {"description": "OK", "content": {content: {"schema": answer}}})
    responses = {str(status): done, **{code: _json(ref("Error"), FAILURES[code]) for code in fails.split()}}
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if query:
        operation["parameters"] = [{"name": name, "in": "query", "required": False, "description": text,
                                    "schema": {"type": "string"}} for name, text in query.items()]
    if public:
        operation["security"] = []
    return operation


WRITE = "400 401 403 404 409 413 422"
TASK = {"id": "the task"}
_DRAFTS = {"form": ("FormDocument", "a form"), "flow": ("FlowDocument", "a process's flow")}


def _draft_paths(prefix: str, kind: str) -> dict[str, dict[str, Any]]:
    """The routes `runtime.web.drafts_api.draft_routes` gives each definition kind."""
    document, what = _DRAFTS[kind]
    return {
        prefix: {"get": op(f"Every {kind}, published or draft-only (designers)", array(ref("Summary")), fails="401 403")},
        prefix + "/{key}": {
            "get": op(f"The draft of {what}, or a fresh one from its latest version; `ETag` in the header", ref(document)),
            "put": op(f"Save the draft of {what} (`If-Match`: the `ETag` you saw)", ref(document),
                      body=ref(document), fails=WRITE)},
        prefix + "/{key}/draft": {"delete": op(f"Discard the draft of {what}", status=204, fails="401 403 404")},
        prefix + "/{key}/undo": {"post": op("Undo the draft's last change", ref(document), fails=WRITE)},
        prefix + "/{key}/redo": {"post": op("Redo the change last undone", ref(document), fails=WRITE)},
        prefix + "/{key}/versions": {"get": op("Every published version: who, when, the note and the diff in words",
                                               array(ref("Version")))},
    }


PATHS: dict[str, dict[str, Any]] = {
    "/api/openapi.json": {"get": op("This document", {"type": "object"}, fails="", public=True)},
    "/api/login": {"post": op("Sign in: a bearer token for the other calls", ref("Token"), body=ref("Login"),
                              fails="400 401 413 422", public=True)},
    "/api/logout": {"post": op("End this session (a cookie session needs its CSRF token)", status=204, fails="401 403")},
    "/api/processes": {"get": op("The processes one may start", array(ref("Process")),
                                 query={"locale": "the language of the titles (en, zh_CN)"}, fails="401")},
    "/api/instances": {"post": op("File a request", ref("Started"), status=201, body=ref("StartRequest"), fails=WRITE)},
    "/api/instances/{id}": {"get": op("A request, as this reader may see it (hidden fields left out)", ref("Instance"))},
    "/api/tasks": {"get": op("My open tasks: overdue first, then by due, then by creation", array(ref("Task")),
                             fails="401")},
    **{f"/api/tasks/{{id}}/{action}": {"post": op(summary, ref("InstanceBrief"), body=ref("Decide"), fails=WRITE)}
       for action, summary in (("approve", "Approve my task (`data`: the fields editable at its step)"),
                               ("reject", "Reject my task, with a `reason` (and a `code` where the step has them)"),
                               ("complete", "Complete my task (a step that does work rather than approve)"))},
    **{f"/api/tasks/{{id}}/{name}": {"post": op(summary, ref("InstanceBrief"), body=ref("Command"), fails=WRITE)}
       for name, summary in (("transfer", "Hand my task on to someone else (`to`, `comment`)"),
                             ("return", "Send the request back (`to`: a step or \"submitter\"; `reason`)"),
                             ("add-signer", "Ask someone else to sign too (`user`, `position`: before, after, with)"),
                             ("urge", "Remind the person holding this task (the submitter)"))},
    **{f"/api/instances/{{id}}/{name}": {"post": op(summary, ref("InstanceBrief"), body=ref("Command"), fails=WRITE)}
       for name, summary in (("withdraw", "Withdraw my request before anyone acted on it"),
                             ("resubmit", "Send a returned request again with corrected `data`"),
                             ("comment", "Comment on a request one is involved in (`comment`)"))},
    "/api/inbox": {"get": op("One page of a tab of my inbox: to do, done by me, CC'd to me, filed by me", ref("InboxPage"),
                             query={"tab": "todo, done, cc or mine", "q": "words to find (process, title, person, amount, id)",
                                    "process": "one process", "status": "the request's status", "overdue": "1: overdue only",
                                    "from": "filed on or after (YYYY-MM-DD)", "to": "filed on or before (YYYY-MM-DD)",
                                    "sort": "newest, oldest, due or amount", "page": "the page, from 1",
                                    "locale": "the language of the titles"}, fails="400 401 422")},
    "/api/tasks/batch-approve": {"post": op("Approve several simple approvals, each recorded as its own decision",
                                            ref("BatchResults"), body=ref("BatchApprove"), fails=WRITE)},
    "/api/notifications": {"get": op("My notifications, the latest first, and how many are unread", ref("Notices"),
                                     fails="401")},
    "/api/webhooks": {
        "get": op("The registered webhooks (admins)", ref("Webhooks"), fails="401 403"),
        "post": op("Register a webhook: each delivery is signed (Formflow-Signature: t=…,v1=HMAC-SHA256 of "
                   "\"t.body\" with the secret)", ref("Webhook"), status=201, body=ref("WebhookRequest"), fails=WRITE)},
    "/api/webhooks/{id}": {"delete": op("Remove a webhook", status=204, fails="401 403 404")},
    "/api/webhooks/{id}/deliveries": {"get": op("A webhook's delivery log: attempts and response codes",
                                                ref("Deliveries"))},
    "/api/deliveries/{delivery}/retry": {"post": op("Send a failed delivery again", ref("Retrying"), status=202,
                                                    fails="401 403 404")},
    "/api/me/delegation": {
        "get": op("My rule for while I am away", ref("Delegation"), fails="401"),
        "put": op("Set it: who takes my tasks, from when to when", ref("Delegation"), body=ref("DelegationRule"),
                  fails=WRITE),
        "delete": op("Clear it", ref("Delegation"), fails="401 403")},
    "/api/reports/post-hoc": {"get": op("Open post-hoc approvals of the green channel (admins, auditors)",
                                        array(ref("PostHocRow")), fails="401 403")},
    "/api/flows/{key}/export": {"get": op("The process in effect as one export document", {"$ref": EXPORT})},
    "/api/flows/{key}/export.bpmn": {"get": op("The process as BPMN 2.0 XML", {"type": "string"},
                                               content="application/xml")},
    "/api/flows/{key}/export.dmn": {"get": op("Its rulesets as DMN 1.3 XML", {"type": "string"},
                                              content="application/xml")},
    "/api/flows/import": {"post": op("Import an export document: publishes its flow, form and rulesets",
                                     {"type": "object", "required": ["key", "version"]}, status=201,
                                     body={"$ref": EXPORT}, fails=WRITE)},
    "/api/rulesets": {"get": op("Every ruleset (designers)", array(ref("Summary")), fails="401 403")},
    "/api/rulesets/{key}": {
        "get": op("The ruleset's draft and its test cases", ref("RulesetDraft")),
        "put": op("Save the draft", ref("RulesetDraft"), body=ref("RulesetDraft"), fails=WRITE)},
    "/api/rulesets/{key}/draft": {"delete": op("Discard the draft", status=204)},
    "/api/rulesets/{key}/publish": {"post": op("Publish the draft (refused while a test case fails)", ref("Published"),
                                               status=201, body=ref("Note"), fails=WRITE)},
    "/api/rulesets/{key}/evaluate": {"post": op("What-if: the decision for this data (the draft, or `version`)",
                                                ref("Decision"), body=ref("Evaluate"), fails=WRITE)},
    "/api/rulesets/{key}/lint": {"get": op("Gaps, overlaps and unreachable rows", ref("Findings"),
                                           query={"version": "a published version instead of the draft"})},
    "/api/rulesets/{key}/versions": {"get": op("Every published version", array(ref("Version")))},
    **_draft_paths("/api/forms", "form"),
    "/api/forms/{key}/publish": {"post": op("Publish the form's draft", ref("Published"), status=201,
                                            body=ref("Note"), fails=WRITE)},
    **_draft_paths("/api/flows", "flow"),
    "/api/flows/{key}/problems": {"get": op("What still blocks publishing the draft", ref("Problems"))},
    "/api/flows/{key}/publish": {"post": {
        **op("Publish the draft (202 when the process owner must approve the change first)", ref("Published"),
             status=201, body=ref("FlowPublish"), fails=WRITE)}},
    "/api/flows/{key}/impact": {"get": op("The running requests, which keep their version", ref("Impact"))},
    "/api/flows/{key}/simulate": {"post": op("What-if on the draft: the path a request with this data takes",
                                             ref("Simulation"), body=ref("SimulateRequest"), fails=WRITE)},
    "/api/uploads": {"post": {**op("Upload a file to attach (multipart `file`, `process`, `field`)", ref("Upload"),
                                   status=201, fails=WRITE),
                              "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                                  "type": "object", "required": ["file"],
                                  "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"},
                                                 "process": {"type": "string"}, "field": {"type": "string"}}}}}}}},
    "/api/instances/{id}/attachments/{upload_id}": {"get": op("An attachment of a request one may read", {
        "type": "string", "contentMediaType": "application/octet-stream"}, content="application/octet-stream")},
    "/api/org/search": {"get": op("People or departments matching a search, as a picker lists them",
                                  array(ref("Choice")), query={"kind": "user or department", "q": "what to look for"},
                                  fails="400 401")},
}
PATHS["/api/flows/{key}/publish"]["post"]["responses"]["202"] = _json(ref("Published"), "waiting for the owner's approval")


def _with_path_parameters(paths: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each `{name}` in a path declared once as a required string parameter of its path item."""
    out = {}
    for path, item in paths.items():
        names = re.findall(r"{(\w+)}", path)
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]
        out[path] = {**item, "parameters": params} if params else item
    return out


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "formflow", "version": "1",
             "description": "Forms, approval flows and rules as data. Errors are JSON `{\"error\", \"errors\"?}` "
                            "with the status that says what kind; `errors` names each field or JSON path."},
    "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
    "security": AUTH,
    "paths": _with_path_parameters(PATHS),
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "the token from POST /api/login"},
            "session": {"type": "apiKey", "in": "cookie", "name": "formflow_session",
                        "description": "a browser's session; writes also need the X-CSRF-Token header"}}},
}


async def openapi(request: Request) -> Response:
    return JSONResponse(DOCUMENT)


routes = [Route("/api/openapi.json", openapi)]
