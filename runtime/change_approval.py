"""Governed change (000 §五, 002 修订记录): a process whose properties ask for it
(`meta.change_approval`) is not published by its designer alone. Publishing files a request of the
demo's `process-change` process — what changes, why, from when — for the process owner to approve
like any other request; once it is approved the version is published, with who approved it in the
change log. Refused or withdrawn, nothing is published and the draft stays.

The frozen version waits in a setting, keyed by the request's id, so a restart loses nothing; the
request's end is noticed as it is committed (`Workflow.on_commit`), under the workflow's lock.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.authoring import publish_recorded
from runtime.errors import Conflict, DefinitionError, Problem
from runtime.i18n import N_
from runtime.org import User
from runtime.service import Workflow
from runtime.state import InstanceStatus

PROCESS = "process-change"  # the demo process that carries a change to its owner
SETTING = "flow_change_requests"  # request id → the version waiting for its approval


@dataclass(frozen=True)
class Publication:
    """What a publish did: the version it published, or the request that waits for the owner
    (`pending`, with the `approver` it went to)."""

    version: int = 0
    pending: str = ""
    approver: str = ""

    def to_dict(self, key: str) -> dict[str, Any]:
        if self.pending:
            return {"key": key, "pending": self.pending, "approver": self.approver}
        return {"key": key, "version": self.version}


class ChangeApprovals:
    """Change requests waiting for process owners, and their settling once decided."""

    def __init__(self, workflow: Workflow, kind: str = "flow") -> None:
        self.workflow = workflow
        self.kind = kind
        workflow.on_commit.append(self._settle)

    def needed(self, key: str) -> bool:
        """Whether the published process asks for its changes to be approved (a first version needs no one)."""
        versions = self.workflow.repo.definition_versions(self.kind, key)
        return bool(versions) and bool(versions[-1].get("meta", {}).get("change_approval"))

    def waiting(self, key: str) -> str:
        """The id of the change request of `key` waiting for approval, "" when none."""
        return next((request for request, change in self._requests().items() if change["key"] == key), "")

    def ask(self, user: User, key: str, doc: dict[str, Any], note: str, effective: str,
            diff: list[dict[str, Any]], words: list[str]) -> Publication:
        """File the change request for the owner of `key`; the version waits until it is approved."""
        if request := self.waiting(key):
            raise Conflict(N_("a change of this process already waits for approval (request %(id)s)", id=request))
        latest = self.workflow.repo.definition_versions(self.kind, key)[-1]
        approver = self._owner(latest.get("meta", {}).get("owner", ""))
        data = {"process": key, "version": doc["version"], "owner": approver, "note": note,
                "changes": "\n".join(words)[:5000], **({"effective": effective} if effective else {})}
        instance = self.workflow.start(user, PROCESS, data)
        requests = self._requests()
        requests[instance.id] = {"key": key, "doc": doc, "note": note, "effective": effective, "by": user.username,
                                 "diff": diff}
        self.workflow.repo.put_setting(SETTING, requests)
        return Publication(pending=instance.id, approver=approver)

    def _owner(self, owner: str) -> str:
        org = self.workflow.org
        if owner in org.users:
            return owner
        holders = org.holders(owner) if owner else []
        if not holders:
            raise DefinitionError([Problem("meta.owner", N_(
                "the process asks for approved changes, but its owner names nobody who could approve them"))])
        return holders[0]

    def _requests(self) -> dict[str, dict[str, Any]]:
        return dict(self.workflow.repo.get_setting(SETTING, {}))

    def _settle(self, events: list[dict[str, Any]]) -> None:
        """Publish the versions whose change requests were just approved; forget refused ones.
        Runs inside the workflow's commit, under its lock."""
        ended = [e for e in events if e["action"] == "finish"]
        if not ended:
            return
        requests = self._requests()
        decided = [e for e in ended if e["instance"] in requests]
        for finish in decided:
            change = requests.pop(finish["instance"])
            if finish["status"] != str(InstanceStatus.COMPLETED):
                continue
            instance = self.workflow.state.instances[finish["instance"]]
            approvers = [e["actor"] for e in instance.events if e["action"] == "approve"]
            by = self.workflow.org.user(change["by"])
            publish_recorded(self.workflow, self.kind, change["doc"], by, change["note"], effective=change["effective"],
                             diff=change["diff"], approved_by=approvers[-1] if approvers else "",
                             request=finish["instance"])
            stored = self.workflow.repo.get_draft(self.kind, change["key"])
            if stored is not None and stored.get(self.kind) == change["doc"]:
                self.workflow.repo.delete_draft(self.kind, change["key"])
        if decided:
            self.workflow.repo.put_setting(SETTING, requests)
