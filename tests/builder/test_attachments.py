"""Attachment values: shape, count, size and extension limits, with messages naming the file."""
from __future__ import annotations

import pytest

from builder.attachments import clean_attachments, extension
from builder.formdata import clean_submission, form_values_from_pairs
from builder.forms import Field, Form

FIELD = Field(key="invoices", type="attachment", accept=("pdf", "jpg"), max_files=2, max_size=1024)
SHA = "a" * 64


def upload(name: str = "invoice.pdf", size: int = 100, id: str = "u1") -> dict:
    return {"id": id, "name": name, "size": size, "sha256": SHA, "type": "application/pdf"}


def test_good_files_are_kept_in_order_and_repeats_dropped():
    files = [upload("a.pdf", id="u1"), upload("b.JPG", id="u2"), upload("a.pdf", id="u1")]
    assert clean_attachments(FIELD, files) == files[:2]


@pytest.mark.parametrize("value, message", [
    ([upload("big.pdf", size=2048)], '"big.pdf" is larger than 1 KB'),
    ([upload("virus.exe")], '"virus.exe" is not one of the accepted types: pdf, jpg'),
    ([upload("noext")], '"noext" is not one of the accepted types'),
    ([upload(id="u1"), upload(id="u2"), upload(id="u3")], "at most 2 files"),
    ("u1", "must be a list of uploaded files"),
    (["u1"], "file 1 is not an uploaded file"),
    ([{**upload("x.pdf"), "sha256": "nope"}], '"x.pdf" has no valid SHA-256'),
    ([{**upload("x.pdf"), "size": -1}], '"x.pdf" has no valid size'),
    ([{**upload("x.pdf"), "path": "/etc/passwd"}], '"x.pdf" has unknown path'),
    ([{"id": "u1", "name": "y.pdf"}], '"y.pdf" lacks size, sha256, type'),
])
def test_bad_files_are_refused_naming_the_file(value, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        clean_attachments(FIELD, value)


def test_without_limits_any_file_is_accepted():
    assert clean_attachments(Field(key="f", type="attachment"), [upload("x.exe", size=10**9)])


@pytest.mark.parametrize("name, ext", [("a.PDF", "pdf"), ("archive.tar.gz", "gz"), ("noext", ""),
                                       (".bashrc", ""), ("dir.d/file", "")])
def test_extension(name, ext):
    assert extension(name) == ext


FORM = Form.from_dict({"key": "f", "version": 1, "title": "F", "fields": [
    {"key": "invoices", "type": "attachment", "required": True, "max_files": 2, "accept": ["pdf"]},
    {"key": "note", "type": "text"}]})


def test_form_pairs_keep_every_attachment_id():
    raw = form_values_from_pairs(FORM, [("invoices", "u1"), ("note", "a"), ("invoices", "u2"),
                                        ("invoices", "")])
    assert raw == {"invoices": ["u1", "u2"], "note": "a"}


def test_cleaning_checks_attachments_with_their_path():
    data, errors = clean_submission(FORM, {"invoices": [upload("a.pdf")]})
    assert (data, errors) == ({"invoices": [upload("a.pdf")]}, {})
    _, errors = clean_submission(FORM, {"invoices": [upload("a.doc")]})
    assert errors == {"invoices": '"a.doc" is not one of the accepted types: pdf'}
    _, errors = clean_submission(FORM, {"invoices": []})
    assert errors == {"invoices": "required"}
