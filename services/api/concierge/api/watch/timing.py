"""When a message about a slot may go to a person: after their cooldown for the
target, and outside their quiet hours (in their time zone). Held messages wait; they
are never dropped for timing, only when their slot goes or the person taps Seen."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from concierge.domain.watch.models import Watch, WatchPreferences


def in_quiet_hours(moment: datetime, start: time, end: time) -> bool:
    """Whether ``moment``'s wall time (already local) lies in [start, end); a window
    may wrap midnight (22:00–07:00)."""
    now = moment.time().replace(tzinfo=None)
    if start < end:
        return start <= now < end
    return now >= start or now < end


def after_quiet_hours(moment: datetime, preferences: WatchPreferences | None) -> datetime:
    """``moment``, or the end of the quiet hours it falls in (the person's zone)."""
    if preferences is None or preferences.quiet_from is None or preferences.quiet_to is None:
        return moment
    zone = ZoneInfo(preferences.timezone)
    local = moment.astimezone(zone)
    if not in_quiet_hours(local, preferences.quiet_from, preferences.quiet_to):
        return moment
    end = datetime.combine(local.date(), preferences.quiet_to, zone)
    if end <= local:  # the window wrapped midnight: it ends tomorrow
        end = datetime.combine(local.date() + timedelta(days=1), preferences.quiet_to, zone)
    return end.astimezone(moment.tzinfo)


def due_at(now: datetime, watch: Watch, preferences: WatchPreferences | None) -> datetime:
    """When a message about this watch's target may go: after the cooldown since the
    last one, then out of quiet hours."""
    due = now
    if preferences is not None and preferences.cooldown_s and watch.last_told_at is not None:
        due = max(due, watch.last_told_at + timedelta(seconds=preferences.cooldown_s))
    return after_quiet_hours(due, preferences)
