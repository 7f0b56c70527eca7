"""What a person is told, as data: a `Notice` per (event, recipient), its kind and group, and the
sentence it reads as in the reader's language."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.i18n import N_, Text

# kind -> the preference group it belongs to (people choose channels per group)
GROUP_OF: dict[str, str] = {
    "assigned": "tasks", "delegated": "tasks", "transferred": "tasks", "signer_added": "tasks",
    "escalated": "tasks",
    "returned": "returns",
    "rejected": "outcomes", "completed": "outcomes", "withdrawn": "outcomes",
    "urged": "urges", "reminded": "urges", "overdue": "urges",
    "copied": "copies",
    "comment": "comments",
}
GROUPS: dict[str, Text] = {
    "tasks": N_("Tasks for me (assigned, passed on, delegated, escalated)"),
    "returns": N_("My requests returned to me"),
    "outcomes": N_("My requests approved, rejected or withdrawn"),
    "urges": N_("Urged or overdue tasks"),
    "copies": N_("Requests I am copied on"),
    "comments": N_("Comments on requests I filed or act on"),
}
TO_DO_GROUPS = frozenset({"tasks", "urges"})  # what asks the reader to act: never an auditor's

SENTENCES: dict[str, Text] = {
    "assigned": N_("%(process)s from %(submitter)s is waiting for you"),
    "delegated": N_("%(process)s from %(submitter)s is waiting for you, standing in for %(for)s"),
    "transferred": N_("%(who)s passed you a task: %(process)s from %(submitter)s"),
    "signer_added": N_("%(who)s asked you to sign first: %(process)s from %(submitter)s"),
    "escalated": N_("A task past its deadline came to you: %(process)s from %(submitter)s"),
    "returned": N_("%(who)s returned your %(process)s to you: %(text)s"),
    "rejected": N_("Your %(process)s was rejected"),
    "completed": N_("Your %(process)s was approved"),
    "withdrawn": N_("%(who)s withdrew %(process)s; your task on it is cancelled"),
    "urged": N_("%(who)s urged you to act on %(process)s from %(submitter)s"),
    "reminded": N_("Reminder: %(process)s from %(submitter)s is still waiting for you"),
    "overdue": N_("Your task on %(process)s from %(submitter)s is past its deadline"),
    "copied": N_("You were copied on %(process)s from %(submitter)s"),
    "comment": N_("%(who)s commented on %(process)s from %(submitter)s: %(text)s"),
}
MAX_TEXT = 140  # a reason or comment quoted in a notice is cut to this many characters


@dataclass(frozen=True)
class Notice:
    """One person told of one event. `id` (`<seq>.<recipient>`) is unique and stable: the same log
    always yields the same notices."""

    seq: int
    kind: str
    recipient: str
    instance: str
    process: str
    actor: str
    at: str
    submitter: str = ""
    task: str = ""
    text: str = ""  # the reason or comment quoted
    on_behalf_of: str = ""

    @property
    def id(self) -> str:
        return f"{self.seq}.{self.recipient}"

    @property
    def group(self) -> str:
        return GROUP_OF[self.kind]

    @property
    def link(self) -> str:
        """Where the notice leads: the task, for what asks the reader to act; else the request."""
        if self.task and self.group in TO_DO_GROUPS:
            return f"/tasks/{self.task}"
        return f"/instances/{self.instance}"

    def sentence(self, name: Any, process_title: Any) -> Text:
        """The notice in words (`Text`: English, `.localized()` in the current language); `name`
        turns a username into a person's name, `process_title` a process key into its title."""
        text = self.text if len(self.text) <= MAX_TEXT else self.text[:MAX_TEXT - 1] + "…"
        return SENTENCES[self.kind].fill(process=process_title(self.process), submitter=name(self.submitter),
                                         who=name(self.actor), text=text, **{"for": name(self.on_behalf_of)})

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "seq": self.seq, "kind": self.kind, "group": self.group, "instance": self.instance,
                "process": self.process, "task": self.task, "actor": self.actor, "created": self.at,
                "submitter": self.submitter, "link": self.link}
