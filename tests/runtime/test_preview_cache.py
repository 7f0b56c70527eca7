"""The designer's preview caches a field's rendering under `preview_keys` (runtime.web.form_designer_view)
only for types whose template reads nothing the key leaves out. This holds those templates to it, so a
template that starts reading something else (the request, another field, the organisation) fails
here instead of showing a stale preview."""
from __future__ import annotations

from jinja2 import meta, nodes

from runtime.web.form_designer_view import CACHED_PREVIEW_TYPES
from runtime.web.forms_view import FIELD_TEMPLATES
from runtime.web.rendering import make_templates

# What the key covers: the field, the state's value / cleaned value / error / required-ness of it and
# the input names (prefix); the language is in every fragment key.
NAMES = {"f", "state", "_", "field_error", "field_label", "suffix", "input_type"}
STATE = {"error", "name", "value", "values", "required", "computed", "cleaned"}
FILTERS = {"label", "money", "number", "capitals", "default"}


def _templates() -> set[str]:
    """The cached types' templates and every template they include."""
    env = make_templates().env
    todo, seen = [FIELD_TEMPLATES[t] for t in CACHED_PREVIEW_TYPES], set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [n for n in meta.find_referenced_templates(env.parse(env.loader.get_source(env, name)[0])) if n]
    return seen


def test_every_cached_type_has_a_template_that_is_not_a_table_attachment_or_picker() -> None:
    assert CACHED_PREVIEW_TYPES <= set(FIELD_TEMPLATES)
    assert not {"table", "attachment", "user", "department", "daterange", "serial"} & CACHED_PREVIEW_TYPES


def test_cached_field_templates_read_only_what_the_key_holds() -> None:
    env = make_templates().env
    for name in sorted(_templates()):
        tree = env.parse(env.loader.get_source(env, name)[0])
        assert meta.find_undeclared_variables(tree) <= NAMES, name
        used = {n.attr for n in tree.find_all(nodes.Getattr) if isinstance(n.node, nodes.Name) and n.node.name == "state"}
        assert used <= STATE, (name, used - STATE)
        for call in tree.find_all(nodes.Call):  # state.x(f), state.x(f.key, …), state.computed.get(f.key): this field only
            if _root(call.node) == "state":
                first = call.args[0] if call.args else None
                assert (isinstance(first, nodes.Name) and first.name == "f") or (
                    isinstance(first, nodes.Getattr) and _root(first) == "f" and first.attr == "key"), name
        assert {n.name for n in tree.find_all(nodes.Filter)} <= FILTERS, name


def _root(node: nodes.Node) -> str:
    """The name an attribute chain starts from (`state` for state.computed.get), else ""."""
    while isinstance(node, nodes.Getattr):
        node = node.node
    return node.name if isinstance(node, nodes.Name) else ""
