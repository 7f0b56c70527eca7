"""A table's number and money columns add up under the table, in the form and on the record."""
from __future__ import annotations

from html.parser import HTMLParser

from builder.forms import Form
from runtime.web.forms_view import state_from_pairs
from runtime.web.rendering import make_templates
from runtime.web.values import column_totals
from tests.support import reading_in

FORM = Form.from_dict({"key": "claim", "version": 1, "title": "Claim", "fields": [
    {"key": "items", "type": "table", "label": "Lines", "columns": [
        {"key": "what", "type": "text", "label": "What"},
        {"key": "amount", "type": "money", "label": "Amount"},
        {"key": "nights", "type": "number", "label": "Nights"},
        {"key": "rate", "type": "percent", "label": "Rate"}]}]})
ITEMS = FORM.field("items")


class _Totals(HTMLParser):
    """The text of every total by its name: the form's outputs by their id (`total-items-amount`), the
    record's by `data-total` (the page may hold both, so the record's carry no id)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        element_id = found.get("id") or ("total-" + found["data-total"] if "data-total" in found else "")
        if element_id.startswith("total-"):
            self._current = element_id
            self.found[element_id] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("output", "span"):
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current:
            self.found[self._current] += data


def totals(html: str) -> dict[str, str]:
    parser = _Totals()
    parser.feed(html)
    return parser.found


def test_number_and_money_columns_are_summed_and_the_others_are_not():
    rows = [{"what": "a", "amount": 0.1, "nights": 2, "rate": 5}, {"what": "b", "amount": 0.2}]
    assert column_totals(ITEMS, rows) == {"amount": 0.3, "nights": 2}
    assert column_totals(ITEMS, []) == {"amount": 0, "nights": 0}
    assert column_totals(ITEMS, None) == {"amount": 0, "nights": 0}
    assert column_totals(ITEMS.column("what"), rows) == {}


def test_the_staff_form_and_the_record_show_the_totals():
    env = make_templates(strict=True).env
    state = state_from_pairs(FORM, [("items-0-what", "Hotel"), ("items-0-amount", "1,200.50"),
                                    ("items-1-what", "Taxi"), ("items-1-amount", "34"), ("items-1-nights", "x")],
                             check=True)
    state.preview = "/start/claim/preview"
    with reading_in("en"):
        form_html = env.get_template("partials/fields/table.html").render(f=ITEMS, state=state, flow=None)
        record_html = env.get_template("partials/values/table.html").render(
            f=ITEMS, value=[{"what": "Hotel", "amount": 1200.5}, {"what": "Taxi", "amount": 34}])
    assert totals(form_html) == {"total-items-amount": "1,234.50", "total-items-nights": "0"}  # "x" is refused at its cell
    assert totals(record_html) == {"total-items-amount": "1,234.50", "total-items-nights": "0"}
