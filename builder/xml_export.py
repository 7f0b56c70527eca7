"""What the BPMN and DMN exports share: safe XML ids, names in Chinese, one way to write a document.

Both documents are built as ElementTree elements (never by gluing strings), so every name and
expression is escaped by the library. Prefixes are registered once, at import, so the files read
`bpmn:userTask` rather than `ns0:userTask`.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from builder.text import Label, localize

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"  # decisionRef, assignee, candidateGroups
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"  # calledDecisionId
FORMFLOW = "urn:formflow:bpmn:1"  # what only formflow knows (the assignee as formflow names it)
PYTHON = "https://www.python.org/"  # the expression language of every condition and entry

for _prefix, _uri in (("bpmn", BPMN), ("bpmndi", BPMNDI), ("dc", DC), ("di", DI), ("dmn", DMN),
                      ("xsi", XSI), ("camunda", CAMUNDA), ("spiffworkflow", SPIFF),
                      ("formflow", FORMFLOW)):
    ET.register_namespace(_prefix, _uri)

_NOT_NCNAME = re.compile(r"[^A-Za-z0-9_.-]")


def ncname(text: str) -> str:
    """`text` as an XML NCName (an id): unsafe characters become `_`, and a name that does not
    start with a letter or `_` gets one in front. formflow's keys and step ids pass unchanged."""
    safe = _NOT_NCNAME.sub("_", text) or "_"
    return safe if safe[0].isalpha() or safe[0] == "_" else "_" + safe


def chinese(label: Label | None, fallback: str = "") -> str:
    """A label's Chinese text, else its English, else `fallback` (a BPMN name is one string)."""
    return localize(label, "zh_CN") or fallback


def q(namespace: str, tag: str) -> str:
    """A qualified tag; with no namespace, the plain tag (of a document's default namespace)."""
    return f"{{{namespace}}}{tag}" if namespace else tag


def sub(parent: ET.Element, namespace: str, tag: str, text: str | None = None,
        **attributes: str) -> ET.Element:
    """A child element; attributes whose value is empty are left out."""
    element = ET.SubElement(parent, q(namespace, tag), {k: v for k, v in attributes.items() if v})
    if text is not None:
        element.text = text
    return element


def document(root: ET.Element) -> str:
    """The element as a UTF-8 XML document, indented for people who read it."""
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode").join(
        ('<?xml version="1.0" encoding="UTF-8"?>\n', "\n"))
