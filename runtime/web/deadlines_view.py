"""A task's deadline in words for the inbox: "3 h 20 min left", "overdue by 1 working day 2 h"."""
from __future__ import annotations

from datetime import timedelta

from runtime import i18n
from runtime.deadlines import TimeLeft


def working_time_text(amount: timedelta, workday: timedelta) -> str:
    """Working time in its two largest units, days being the calendar's working day (e.g. 8 h),
    to the nearest minute."""
    minutes = round(amount.total_seconds() / 60)
    per_day = max(int(workday.total_seconds() // 60), 1)
    days, minutes = divmod(minutes, per_day)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(i18n.ngettext("%(num)d working day", "%(num)d working days", days) % {"num": days})
    if hours:
        parts.append(i18n.gettext("%(num)d h") % {"num": hours})
    if minutes and not days:
        parts.append(i18n.gettext("%(num)d min") % {"num": minutes})
    return " ".join(parts[:2])


def time_left_text(standing: TimeLeft, workday: timedelta) -> str:
    """"… left" before the deadline, "overdue by …" after it."""
    amount = working_time_text(standing.amount, workday)
    if standing.overdue:
        return i18n.gettext("overdue by %(time)s") % {"time": amount} if amount else i18n.gettext("overdue")
    return i18n.gettext("%(time)s left") % {"time": amount} if amount else i18n.gettext("due now")
