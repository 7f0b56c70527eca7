"""Deadline arithmetic for tasks: when a task is due, how much working time is left, inbox order.

A step's `deadline` and its escalation rungs' `after` are working time (builder.deadlines); the
business calendar turns them into moments. The engine records a task's `due` on its task event
when it creates the task, so replaying the log never needs the calendar (which the admin may
have edited since); only "how long until" questions, asked now, use today's calendar.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from builder.deadlines import Duration
from runtime.calendar import BusinessCalendar, load_calendar
from runtime import notes
from runtime.clock import from_stamp, to_stamp
from runtime.i18n import N_, Text
from runtime.state import Task

CALENDAR_FILE = "calendar.json"  # in the data directory, where the admin edits it


def plain_calendar(timezone: str = "Asia/Shanghai") -> BusinessCalendar:
    """Monday to Friday, 09:00-12:00 and 13:00-18:00, no holidays: when no calendar file is set."""
    return BusinessCalendar(name="weekdays", timezone=timezone)


def open_calendar(path: Path | None, *, timezone: str = "Asia/Shanghai") -> BusinessCalendar:
    """The calendar in the file at `path` (a DefinitionError names every problem), or the plain
    weekday calendar when there is no file."""
    if path is None or not path.exists():
        return plain_calendar(timezone)
    return load_calendar(path)


LOOK_AHEAD = timedelta(days=90)  # a step's deadline seldom reaches further; warn this long before a year ends


def estimated(calendar: BusinessCalendar, due: datetime) -> bool:
    """Whether a deadline falls in a year the calendar does not know (its holidays unknown)."""
    return not calendar.covers(due.astimezone(calendar.zone).date())


def coverage_warning(calendar: BusinessCalendar, today: date) -> Text | None:
    """For admins, at start-up and on the monitoring page: the years from today to LOOK_AHEAD
    on that the calendar does not know, and what to do about it; None when it knows them all."""
    missing = calendar.missing_years(today, today + LOOK_AHEAD)
    if not missing:
        return None
    known = sorted(calendar.covered_years or ())
    return N_("The business calendar lists official holidays for %(known)s only: deadlines in %(missing)s are "
                "estimated (weekends only). Add %(missing)s's official holiday arrangement to the calendar file.",
                known=", ".join(map(str, known)), missing=", ".join(map(str, missing)))


def moment_after(calendar: BusinessCalendar, start: datetime, duration: Duration) -> datetime:
    """`start` plus `duration` of working time (see BusinessCalendar for what a day means)."""
    if duration.unit == "days":
        return calendar.add_working_days(start, duration.amount)
    return calendar.add_working_hours(start, duration.amount)


def due_stamp(calendar: BusinessCalendar, created: str, deadline: Duration | None) -> str:
    """The stamp by which a task created at `created` is due, or "" without a deadline."""
    if deadline is None:
        return ""
    return to_stamp(moment_after(calendar, from_stamp(created), deadline))


@dataclass(frozen=True)
class TimeLeft:
    """How a task stands against its deadline at one moment, in working time."""

    due: str
    overdue: bool
    amount: timedelta  # working time left, or (when overdue) working time past the deadline


def time_left(calendar: BusinessCalendar, task: Task, now: datetime) -> TimeLeft | None:
    """The task's standing at `now`, or None when it has no deadline."""
    if not task.due:
        return None
    due = from_stamp(task.due)
    if now >= due:
        return TimeLeft(task.due, True, calendar.working_time_between(due, now))
    return TimeLeft(task.due, False, calendar.working_time_between(now, due))


def inbox_order(tasks: list[Task], now: datetime) -> list[Task]:
    """Overdue work first, then by due (the nearest first, work without a deadline last), then by
    creation. Stamps share one format, so comparing them as text compares the moments."""
    stamp = to_stamp(now)
    return sorted(tasks, key=lambda t: (not (t.due and t.due <= stamp), not t.due, t.due, t.created))


def duration_words(duration: Duration) -> Text:
    """ "1 working day", "4 working hours": a message, so the record reads in the reader's language."""
    one = duration.amount == 1
    if duration.unit == "days":
        return (notes.WORKING_DAY if one else notes.WORKING_DAYS).fill(amount=duration.amount)
    return (notes.WORKING_HOUR if one else notes.WORKING_HOURS).fill(amount=duration.amount)
