"""What the flow checks know besides the document: its form, its rulesets, the organisation and
the published processes."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from builder.flows import Flow
from builder.forms import Form
from rules.ruleset import Ruleset
from builder.text import Label
from runtime.condition_names import subject_names
from runtime.i18n import Names
from runtime.org import Organisation


class ProcessCatalog(Protocol):
    """The published processes a flow may start as sub-processes (`runtime.service.Workflow`)."""

    def exists(self, key: str) -> bool:
        """Whether a process `key` is published."""
        ...

    def flow(self, key: str) -> Flow:
        """The latest published flow of process `key`."""
        ...

    def form_fields(self, key: str) -> dict[str, str]:
        """The field types of the form process `key` starts with (`Form.field_types`)."""
        ...


@dataclass(frozen=True)
class Facts:
    """Everything a check may consult: `key` is the process the document defines; `decided`, the
    paths of its steps whose every request someone decides elsewhere on its way
    (`runtime.flow_checks.deciding.decided_elsewhere`)."""

    key: str
    form: Form
    rulesets: dict[str, Ruleset]
    org: Organisation
    processes: ProcessCatalog
    decided: frozenset[str] = field(default_factory=frozenset)

    @cached_property
    def subject_names(self) -> dict[str, Label]:
        """What the form's conditions may name, in people's words (read once per check run)."""
        return subject_names(self.form.to_dict())

    def field_name(self, key: str) -> Names:
        """A field as the designer named it (its key if it has no label), for a message."""
        field = self.form.field(key)
        return Names(field.label if field is not None and field.label else key)
