"""Undo steps as deltas: any previous draft is rebuilt exactly from the current one, and a
one-property edit stores one field, not the form."""
from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from runtime.draft_steps import rebuild, step_back

FIELD = st.fixed_dictionaries({"key": st.sampled_from("abcdef"), "type": st.sampled_from(["text", "number"])},
                              optional={"label": st.text(max_size=5), "required": st.booleans()})
FORM = st.fixed_dictionaries({"key": st.just("f"), "version": st.integers(1, 3), "fields": st.lists(FIELD, max_size=8)},
                             optional={"title": st.text(max_size=5), "description": st.text(max_size=3)})


@given(FORM, FORM)
def test_a_step_back_rebuilds_the_previous_draft(current, previous):
    assert rebuild(current, step_back(current, previous)) == previous


def test_an_edit_of_one_field_stores_that_field_only():
    fields = [{"key": f"f{i}", "type": "text", "label": f"Field {i}"} for i in range(60)]
    before = {"key": "big", "version": 1, "title": "Big", "fields": fields}
    after = {**before, "fields": [*fields[:7], {**fields[7], "label": "Changed"}, *fields[8:]]}
    step = step_back(after, before)
    assert step["fields"] == [*range(7), fields[7], *range(8, 60)] and step["set"] == {} and step["drop"] == []
    assert len(orjson.dumps(step)) < len(orjson.dumps(before)) / 4
    moved = {**before, "fields": [fields[-1], *fields[:-1]]}
    assert step_back(moved, before)["fields"] == [*range(1, 60), 0]
