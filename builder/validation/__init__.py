"""Validation of form and flow definitions: every problem, each with its JSON path.

The designer, the publisher and the importer all call these, so a person fixing a definition
sees the same messages wherever it came from. The validators accept anything (`Any`: a document
fresh from JSON may be of any shape) and never raise on malformed input; they return the list
of problems, in document order. `parse_form` / `parse_flow` validate and then build the frozen
dataclasses, raising `DefinitionError` with all problems at once.

The properties a document may hold are read from the dataclasses themselves, so a field added to
`Field` or a step kind added to `STEP_KINDS` is accepted here without a second list to update.
The package: `common` (small shared checks), `forms`, `fieldprops` (type-specific field
properties), `flows` (steps), `process` (a flow's metadata, policies, reject codes, green
channel), `timing` (deadlines and escalation ladders).
"""
from __future__ import annotations

from builder.validation.common import SLUG, SLUG_TEXT, show_value
from builder.validation.flows import (ASSIGNEE_PROPERTIES, BRANCH_PROPERTIES, FLOW_PROPERTIES,
                                      LANE_PROPERTIES, MAX_DEPT_LEVELS, STEP_PROPERTIES,
                                      flow_problems, parse_flow, validate_flow)
from builder.validation.forms import (FIELD_PROPERTIES, FORM_PROPERTIES, OPTION_PROPERTIES,
                                      TYPE_PROPERTIES, VALIDATION_PROPERTIES, form_field_types,
                                      form_options, parse_form, validate_form)
from builder.validation.process import META_PROPERTIES, PROCESS_LEVELS

__all__ = [
    "ASSIGNEE_PROPERTIES", "BRANCH_PROPERTIES", "FIELD_PROPERTIES", "FLOW_PROPERTIES",
    "FORM_PROPERTIES", "LANE_PROPERTIES", "MAX_DEPT_LEVELS", "META_PROPERTIES",
    "OPTION_PROPERTIES", "PROCESS_LEVELS", "SLUG", "SLUG_TEXT", "STEP_PROPERTIES",
    "TYPE_PROPERTIES", "VALIDATION_PROPERTIES", "flow_problems", "form_field_types",
    "form_options", "parse_flow", "parse_form", "show_value", "validate_flow", "validate_form",
]
