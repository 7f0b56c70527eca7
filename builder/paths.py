"""JSON paths in the one spelling every formflow problem uses: `steps[2].assignee.role`.

Validators build paths as they descend; the importer converts jsonschema's path tuples with
`from_parts`. Keeping the spelling in one place means a problem found by the JSON Schema and the
same problem found by a semantic validator land on the same path.
"""
from __future__ import annotations

from collections.abc import Iterable


def key(path: str, name: str) -> str:
    """`path` then the property `name`: key("steps[2]", "id") → "steps[2].id"."""
    return f"{path}.{name}" if path else name


def index(path: str, position: int) -> str:
    """`path` then the list item `position`: index("steps", 2) → "steps[2]"."""
    return f"{path}[{position}]"


def from_parts(parts: Iterable[str | int], path: str = "") -> str:
    """A path from its parts, as jsonschema's `absolute_path` gives them: ("steps", 2, "id")."""
    for part in parts:
        path = index(path, part) if isinstance(part, int) else key(path, str(part))
    return path


def under(path: str, ancestor: str) -> bool:
    """Whether `path` is `ancestor` or lies inside it."""
    if not ancestor or path == ancestor:
        return True
    return path.startswith(ancestor) and path[len(ancestor)] in ".["
