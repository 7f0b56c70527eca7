"""The request-side context of the form designer's pages: who may use them, the workspace
(cards, panel, preview) built from a draft, and the publish panel. Shared by the edit routes
(`runtime.web.form_designer`) and the list, new-form and publish routes
(`runtime.web.form_designer_publish`)."""
from __future__ import annotations

from typing import Any

from starlette.requests import Request

from builder.form_diff import form_changes
from builder.forms import Form
from builder.text import localize
from runtime import i18n
from runtime.form_changes import change_words
from runtime.org import User
from runtime.web import form_designer_rules as rules_view
from runtime.web import form_designer_view as view
from runtime.web.session import require_user

Pairs = list[tuple[str, str]]


def authoring_of(request: Request) -> Any:
    return request.app.state.form_authoring


async def designer_user(request: Request, *, write: bool = False) -> User:
    user = await require_user(request, write=write)
    request.app.state.workflow.require_designer(user)
    return user


def page_url(key: str, target: str = "") -> str:
    return f"/designer/forms/{key}" + (f"?field={target}" if target else "")


def workspace(request: Request, user: User, key: str, draft: Any, target: str, *,
              placed: view.Placed | None = None, samples: Pairs | None = None,
              builders: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the workspace block renders: the draft's cards, the selected field's panel, the preview."""
    doc = draft.form
    placed = placed or view.Placed()
    usages = authoring_of(request).usages(key)
    target = view.selected_target(doc, target)
    subjects = rules_view.subjects(doc)
    preview = view.preview_state(doc, key, samples, check=view.typed(samples))
    return {
        "subjects": subjects, "conditions": rules_view.panel_conditions(doc, target, subjects, builders or {}),
        "expression": rules_view.expression_context(doc, target, placed),
        "checks": rules_view.validations_context(doc, builders or {}) if not target else None,
        "key": key, "draft": draft, "doc": doc, "selected": target,
        "title": localize(doc.get("title"), i18n.current_locale.get()) or key,
        "cards": view.cards(doc, draft.published_keys, usages, placed, subjects),
        "panel": view.panel(doc, target, draft.published_keys, usages), "placed": placed,
        "preview": preview, "preview_keys": view.preview_keys(doc, preview),
        "field_template": view.field_template, "column_types": view.column_types(),
        "type_name": view.type_name, "palette": view.palette(), "label_in": view.label_in,
        "insert_after": request.query_params.get("insert", ""), "phrases": view.card_phrases(),
    }


def page_context(request: Request, user: User, key: str, draft: Any, target: str, **extra: Any) -> dict[str, Any]:
    context = workspace(request, user, key, draft, target, placed=extra.pop("placed", None),
                         samples=extra.pop("samples", None), builders=extra.pop("builders", None))
    context.update(publish_context(request, user, key, draft))
    context.update({"phone": request.query_params.get("view") == "phone",
                    "published": request.query_params.get("published", "")})
    context.update(extra)
    return context


def publish_context(request: Request, user: User, key: str, draft: Any,
                     state: dict[str, Any] | None = None) -> dict[str, Any]:
    authoring = authoring_of(request)
    versions = authoring.versions(user, key) if draft.based_on else []  # a new form has none yet
    return {"key": key, "versions": list(reversed(versions)), "latest": draft.based_on,
            "changes": pending_changes(request, key, draft),
            "publish": state or {"note": "", "error": "", "note_error": "", "refusals": []}}


def pending_changes(request: Request, key: str, draft: Any) -> list[str]:
    """What publishing the draft would change against the latest version, in words."""
    if not draft.form.get("fields"):
        return []
    before = request.app.state.workflow.definition("form", key).to_dict() if draft.based_on else None
    return change_words(form_changes(before, Form.from_dict(draft.form).to_dict()))
