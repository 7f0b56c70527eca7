"""An `export_rows.Export` as the bytes of a file: CSV (UTF-8 with a BOM, so Excel opens Chinese
correctly; quoting by the csv module) or an Excel workbook (openpyxl: the requests on the first
sheet, a sheet per line-items table).

Either may be opened in a spreadsheet, which runs a cell beginning with = + - @ (or a tab or
CR) as a formula: CSV injection. Every text cell, header included, that begins so is written
with a leading apostrophe, the defence OWASP recommends; numbers are ours and written as numbers.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from builder.text import localize
from runtime import i18n
from runtime.web.export_rows import Cell, Export

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")
MONEY_FORMAT = "#,##0.00"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def defused(text: str) -> str:
    """Text a spreadsheet will show, never run: a would-be formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (Decimal, int, float)):
        return str(value)
    return defused(value)


def to_csv(data: Export) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([defused(c.label) for c in data.columns])
    writer.writerows([_csv_cell(v) for v in row] for row in data.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(label: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (≤ 31 characters, none of []:*?/\\), unique in the workbook."""
    base = _SHEET_UNSAFE.sub(" ", label).strip("' ")[:28] or "Sheet"
    title, n = base, 2
    while title.casefold() in taken:
        title, n = f"{base[:26]} {n}", n + 1
    taken.add(title.casefold())
    return title


def _xlsx_text(text: str) -> str:
    """Text as a cell holds it: defused, without the control characters XML cannot carry."""
    return ILLEGAL_CHARACTERS_RE.sub("", defused(text))


def _write(sheet: object, header: list[str], rows: list[list[Cell]]) -> None:
    sheet.append([_xlsx_text(h) for h in header])  # type: ignore[attr-defined]
    for row in rows:
        sheet.append([_xlsx_text(v) if isinstance(v, str) else v for v in row])  # type: ignore[attr-defined]
    for cells in sheet.iter_rows(min_row=2):  # type: ignore[attr-defined]
        for c in cells:
            if isinstance(c.value, Decimal):
                c.number_format = MONEY_FORMAT
            elif isinstance(c.value, _dt.datetime):
                c.number_format = TIME_FORMAT
            elif isinstance(c.value, str) and "\n" in c.value:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    for c in sheet[1]:  # type: ignore[index]
        c.font = Font(bold=True)
    sheet.freeze_panes = "A2"  # type: ignore[attr-defined]
    for index, label in enumerate(header, start=1):
        longest = max([len(label), *(len(str(r[index - 1] or "").split("\n")[0]) for r in rows[:200])])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(10, longest * 1.6 + 2), 60)  # type: ignore[attr-defined]


def to_xlsx(data: Export, title: str) -> bytes:
    """The workbook: `title` (the process) on the first sheet, then a sheet per table field."""
    book = Workbook()
    taken: set[str] = set()
    first = book.active
    assert first is not None
    first.title = _sheet_title(title, taken)
    _write(first, [c.label for c in data.columns], data.rows)
    for column, lines in data.tables:
        assert column.field is not None
        sheet = book.create_sheet(_sheet_title(column.label, taken))
        header = [i18n.gettext("Request no."), i18n.gettext("Line"),
                  *(localize(c.label, i18n.current_locale.get()) or c.key for c in column.field.columns)]
        _write(sheet, header, lines)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
