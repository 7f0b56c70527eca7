"""The organisation: users, departments with heads, roles — and who a step's task goes to.

Loaded from a JSON document (`demo/org.json` for the demo). Resolution is pure: it takes an
`Assignee` from a flow definition and the submitter, and names the user who must act.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.flows import Assignee
from builder.text import Label, localize
from runtime import notes
from runtime.errors import DefinitionError, NotFound, Problem
from runtime.i18n import N_


@dataclass(frozen=True)
class User:
    username: str
    name: Label
    department: str
    roles: tuple[str, ...] = ()
    password_hash: str = ""
    email: str = ""  # where notifications are mailed; none: no email (older organisation files)
    locale: str = ""  # the language the person is written to in, unless they choose one (zh_CN, en)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def reads_only(self) -> bool:
        """An auditor's account (not also an admin's) reads every record and acts on nothing: it
        files no request, so it has none to act on either."""
        return self.has_role("auditor") and not self.has_role("admin")


@dataclass(frozen=True)
class Department:
    key: str
    name: Label
    head: str
    parent: str = ""


@dataclass(frozen=True)
class Resolution:
    """Who gets a task, and why it is not the obvious person when it is not."""

    assignee: str
    note: str = ""
    on_behalf_of: str = ""  # the person away whom the assignee stands in for (delegation)


class Organisation:
    """Read-only view of one organisation document, with the look-ups the engine needs."""

    def __init__(self, doc: dict[str, Any]) -> None:
        problems = validate_org(doc)
        if problems:
            raise DefinitionError(problems)
        self.doc = doc
        self.roles: dict[str, Label] = {r["key"]: r.get("name", r["key"]) for r in doc["roles"]}
        self.departments = {
            d["key"]: Department(d["key"], d.get("name", d["key"]), d["head"], d.get("parent", ""))
            for d in doc["departments"]
        }
        self.users = {
            u["username"]: User(u["username"], u.get("name", u["username"]), u["department"],
                                tuple(u.get("roles", ())), u.get("password_hash", ""),
                                str(u.get("email", "")), str(u.get("locale", "")))
            for u in doc["users"]
        }
        self._holders: dict[str, list[str]] = {}
        for u in sorted(self.users.values(), key=lambda u: u.username):
            for role in u.roles:
                self._holders.setdefault(role, []).append(u.username)

    def user(self, username: str) -> User:
        try:
            return self.users[username]
        except KeyError:
            raise NotFound(N_('no user "%(who)s"', who=username)) from None


    def name_of(self, username: str, locale: str) -> str:
        """A username as the person's name in `locale` (the username itself if unknown)."""
        user = self.users.get(username)
        return localize(user.name, locale) if user else username

    def holders(self, role: str) -> list[str]:
        """Everyone with the role, by username (so the choice among them is stable)."""
        return list(self._holders.get(role, ()))

    def superior(self, username: str) -> str | None:
        """The head above this person: their department's head, or the parent's if they are it."""
        dept = self.departments[self.user(username).department]
        seen = {dept.key}
        while dept.head == username:
            if not dept.parent or dept.parent in seen:
                return None
            dept = self.departments[dept.parent]
            seen.add(dept.key)
        return dept.head

    def head_levels_up(self, username: str, levels: int) -> str | None:
        person: str | None = username
        for _ in range(levels):
            person = self.superior(person) if person else None
        return person

    def heads_up_to(self, username: str, levels: int) -> list[str]:
        """The chain of heads above this person, nearest first, at most `levels` long (连续多级主管)."""
        chain: list[str] = []
        person: str | None = username
        for _ in range(levels):
            person = self.superior(person) if person else None
            if person is None:
                break
            if person not in chain:
                chain.append(person)
        return chain

    def candidates(self, assignee: Assignee, submitter: str, data: dict[str, Any]) -> list[str]:
        """Everyone an assignee names for this submitter and form data, in a stable order;
        empty when nobody fits. Policies (the submitter among them, nobody found) are applied
        by `runtime.assignment.assign`, and the engine records what they decided."""
        if assignee.kind == "user":
            return [assignee.user] if assignee.user in self.users else []
        if assignee.kind == "role":
            return self.holders(assignee.role)
        if assignee.kind == "dept_head":
            head = self.head_levels_up(submitter, assignee.levels)
            return [head] if head else []
        if assignee.kind == "dept_heads":
            return self.heads_up_to(submitter, assignee.levels)
        if assignee.kind == "field":  # a user or department field; with `multiple`, each one chosen
            chosen = data.get(assignee.field)
            people = [c if c in self.users else self.departments[c].head
                      for c in (chosen if isinstance(chosen, list) else [chosen])
                      if isinstance(c, str) and (c in self.users or c in self.departments)]
            return list(dict.fromkeys(people))
        return []

    def admin(self) -> str | None:
        """The process admin that work nobody else fits is routed to."""
        admins = self.holders("admin")
        return admins[0] if admins else None


def describe(assignee: Assignee) -> str:
    """The assignee in words, for the record."""
    if assignee.kind == "role":
        return notes.ROLE.fill(role=assignee.role)
    if assignee.kind == "user":
        return notes.USER.fill(user=assignee.user)
    if assignee.kind == "dept_heads":
        return notes.HEADS_UP_TO.fill(levels=assignee.levels)
    if assignee.kind == "field":
        return notes.FIELD.fill(field=assignee.field)
    if assignee.kind == "chosen":
        return notes.CHOSEN.fill()
    return notes.HEAD_LEVELS_UP.fill(levels=assignee.levels)


def validate_org(doc: Any) -> list[Problem]:
    """Every problem in an organisation document, with its JSON path."""
    if not isinstance(doc, dict):
        return [Problem("", N_("the organisation must be a JSON object"))]
    problems: list[Problem] = []
    for section in ("roles", "departments", "users"):
        if not isinstance(doc.get(section), list):
            problems.append(Problem(section, N_("must be a list")))
    if problems:
        return problems
    roles = {r.get("key") for r in doc["roles"] if isinstance(r, dict)}
    depts = {d.get("key") for d in doc["departments"] if isinstance(d, dict)}
    users = {u.get("username") for u in doc["users"] if isinstance(u, dict)}
    for i, d in enumerate(doc["departments"]):
        if d.get("head") not in users:
            problems.append(Problem(f"departments[{i}].head", N_('unknown user "%(value)s"',
                                                                 value=d.get("head"))))
        if d.get("parent") and d["parent"] not in depts:
            problems.append(Problem(f"departments[{i}].parent", N_('unknown department "%(parent)s"',
                                                                   parent=d["parent"])))
    for i, u in enumerate(doc["users"]):
        if u.get("department") not in depts:
            problems.append(Problem(f"users[{i}].department", N_('unknown department "%(value)s"',
                                                                 value=u.get("department"))))
        for j, role in enumerate(u.get("roles", [])):
            if role not in roles:
                problems.append(Problem(f"users[{i}].roles[{j}]", N_('unknown role "%(role)s"', role=role)))
    return problems
