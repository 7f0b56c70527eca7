"""Published definitions sealed into the record, so the store's copy cannot be changed unnoticed.

The event log is keyed (`runtime.store.chain`), but the definitions requests run on (flows, forms,
rulesets) live in the document store: a flow edited there, a step removed, would route requests
as the record never said. So every publishing appends a `publish` event naming the definition
(kind, key, version) and the SHA-256 of the document as stored (`seal`), and the record holds
each definition's content from then on:
- at start-up the server refuses a store whose definitions differ from their seals, or hold one
  the record never published (`problems`);
- `formflow audit verify` reports the same, naming the definition;
- a data directory from before seals (a log without any `publish` event) has its definitions
  sealed at its first start (`adopted`: the record says they were taken as found).

The organisation (who holds which role, admin included) is recorded the same way, but it has no
publishing of its own (the demo loads it, an operator edits it): each start that finds it changed
since the last record appends an `org` event with its SHA-256 and everyone's roles
(`org_event`), so the record says when roles changed and how (`role_changes`), and `audit verify`
refuses an organisation changed since the server last started.

`publish` and `org` events belong to no request: their `instance` is "".
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from runtime import events
from runtime.steps import SYSTEM

KINDS = ("ruleset", "form", "flow")
Sealed = Mapping[tuple[str, str, int], str]  # (kind, key, version) → digest


def seal(doc: Mapping[str, Any]) -> str:
    """The SHA-256 of a definition as stored (keys sorted, compact)."""
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


def publish_event(kind: str, doc: Mapping[str, Any], at: str, *, adopted: bool = False) -> events.Event:
    """The record of one definition published (or, `adopted`, found stored before seals)."""
    return events.new("publish", "", at, SYSTEM, kind=kind, key=doc["key"], version=doc["version"], digest=seal(doc),
                      **({"adopted": True} if adopted else {}))


def stored_definitions(versions_of: Any, keys_of: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every stored definition, every version: `keys_of(kind)` lists keys, `versions_of(kind, key)` docs."""
    for kind in KINDS:
        for key in keys_of(kind):
            for doc in versions_of(kind, key):
                yield kind, doc


def problems(stored: Iterable[tuple[str, Mapping[str, Any]]], sealed: Sealed) -> list[str]:
    """What the store holds that the record does not bear out: a definition that differs from its
    seal, one never published through formflow, one the record published that is gone."""
    out, seen = [], set()
    for kind, doc in stored:
        name = (kind, doc.get("key"), doc.get("version"))
        seen.add(name)
        if name not in sealed:
            out.append(f"{kind} {name[1]} version {name[2]} is stored but the record never published it "
                       "(put there outside formflow)")
        elif sealed[name] != seal(doc):
            out.append(f"{kind} {name[1]} version {name[2]} differs from what the record sealed when it was "
                       "published (altered in the store)")
    out += [f"{kind} {key} version {version} was published but is missing from the store"
            for kind, key, version in sorted(set(sealed) - seen)]
    return out


def roles_of(org: Mapping[str, Any]) -> dict[str, list[str]]:
    return {str(u.get("username")): sorted(map(str, u.get("roles") or ())) for u in org.get("users") or ()}


def org_event(org: Mapping[str, Any], at: str, *, adopted: bool = False) -> events.Event:
    """The organisation as found now: its SHA-256, and who holds which roles."""
    return events.new("org", "", at, SYSTEM, digest=seal(org), roles=roles_of(org),
                      **({"adopted": True} if adopted else {}))


def role_changes(before: Mapping[str, list[str]], after: Mapping[str, list[str]]) -> list[str]:
    """Between two records of the organisation, in words an auditor reads: "zhang.wei: + admin"."""
    out = []
    for username in sorted(set(before) | set(after)):
        old, new = set(before.get(username, ())), set(after.get(username, ()))
        if username not in before:
            out.append(f"{username}: added" + (f" ({', '.join(sorted(new))})" if new else ""))
        elif username not in after:
            out.append(f"{username}: removed")
        elif old != new:
            out.append(f"{username}: " + ", ".join([*(f"+ {r}" for r in sorted(new - old)),
                                                    *(f"- {r}" for r in sorted(old - new))]))
    return out
