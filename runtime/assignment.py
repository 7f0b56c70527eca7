"""Who a human step goes to, once the flow's policies have had their say.

`assign` is pure: it takes the people an assignee names (`Organisation.candidates`) and applies
the flow's policies for the submitter being among them and for nobody fitting, then any delegation
of someone away. What it decided, and why, travels with the result so the record can say it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from builder.flows import Policies
from runtime import notes
from runtime.org import Organisation, Resolution

# (username, moment) -> the delegate and why, when that person is away at that moment
Delegations = Callable[[str, str], Resolution | None]


@dataclass(frozen=True)
class Assignment:
    """The people a step goes to, in order; or, when it goes to nobody, what happens instead:
    `skip` (pass the step by) or `auto_approve` (approve it for nobody), with `why`."""

    people: tuple[Resolution, ...] = ()
    skip: bool = False
    auto_approve: bool = False
    why: str = ""


def assign(org: Organisation, candidates: list[str], submitter: str, policies: Policies, *,
           nobody_fits: Callable[[], str], single: bool, interchangeable: bool = False, at: str = "",
           away: Delegations | None = None) -> Assignment:
    """Apply the flow's policies to `candidates` (everyone the step's assignee names).

    When the candidates are `interchangeable` (a role's holders) and include the submitter, the
    step simply goes to the others; a named person, head or chain of heads that includes the
    submitter follows the `submitter_approver` policy. `nobody_fits` says why nobody fits; it is
    asked only when nobody does, so the common case builds no message."""
    people = [Resolution(c) for c in dict.fromkeys(candidates)]
    others = [p for p in people if p.assignee != submitter]
    if interchangeable and others:
        people = others
    elif len(others) < len(people):
        people = _submitter_among(org, people, submitter, policies.submitter_approver)
        if not people and policies.submitter_approver == "skip":
            return Assignment(skip=True, why=notes.ONLY_APPROVER_SKIPPED)
    if single:
        people = people[:1]
    if not people:
        return _nobody(org, policies.no_assignee, nobody_fits() if not candidates else notes.NOBODY_ELSE)
    if away is not None:  # never to the submitter: nobody approves their own request by delegation
        people = [d if (d := away(p.assignee, at)) and d.assignee != submitter else p for p in people]
    return Assignment(tuple(_distinct(people)))


def _submitter_among(org: Organisation, people: list[Resolution], submitter: str,
                     policy: str) -> list[Resolution]:
    if policy == "self":
        return [Resolution(p.assignee, notes.APPROVES_THEMSELF)
                if p.assignee == submitter else p for p in people]
    if policy == "skip":
        return [p for p in people if p.assignee != submitter]
    above = org.superior(submitter)
    if above is None:
        return [p for p in people if p.assignee != submitter]
    return [Resolution(above, notes.TO_SUPERIOR) if p.assignee == submitter else p for p in people]


def _nobody(org: Organisation, policy: str, why: str) -> Assignment:
    if policy == "skip":
        return Assignment(skip=True, why=notes.SKIPPED.fill(why=why))
    if policy == "auto_approve":
        return Assignment(auto_approve=True, why=notes.AUTO_APPROVED.fill(why=why))
    admin = org.admin()
    if admin is None:
        return Assignment(skip=True, why=notes.NO_ADMIN.fill(why=why))
    return Assignment((Resolution(admin, notes.TO_ADMIN.fill(why=why)),))


def _distinct(people: list[Resolution]) -> list[Resolution]:
    seen: dict[str, Resolution] = {}
    for person in people:
        seen.setdefault(person.assignee, person)
    return list(seen.values())
