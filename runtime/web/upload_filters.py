"""Template filters for attachments: the files a widget's value names, and sizes in words."""
from __future__ import annotations

from typing import Any

import jinja2

from runtime import i18n
from runtime.uploads import describe, size_words


@jinja2.pass_context
def files_of(context: Any, value: Any) -> list[dict[str, Any]]:
    """The files an attachment field's value holds, as descriptions: those already described
    (stored data), and upload ids of the signed-in person's own uploads (a form being filled in)."""
    request = context.get("request")
    user = getattr(request.state, "user", None) if request is not None else None
    items = value if isinstance(value, list) else [value] if value else []
    files = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            files.append(item)
        elif isinstance(item, str) and item and user is not None:
            record = request.app.state.repo.get_upload(item)
            if record is not None and record["by"] == user.username:
                files.append(describe(record))
    return files


def file_size(size: Any) -> str:
    return i18n.localized(size_words(size)) if isinstance(size, int) and not isinstance(size, bool) else ""


FILTERS = {"files": files_of, "file_size": file_size}
