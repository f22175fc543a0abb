"""The rules engine: turns observations into alarm changes, and checks time-based rules.

Every function works inside the caller's transaction, so the alarm changes and the marking of
the device message as processed commit together: a crash in between repeats the work instead
of losing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alarms import service
from alarms.kinds import AlarmState, Priority
from alarms.models import Alarm, AlarmProfile, SeniorActivity
from alarms.rules import (
    BED_EVENTS,
    CORRELATED_WITH_EMERGENCY,
    DEFAULT_TIME_RULES,
    EVENT_ALARMS,
    MOTION_EVENTS,
    OUTER_DOOR_EVENTS,
    PENDANT_MODELS,
    Observation,
    TimeRules,
    is_night,
)
from alarms.vitals import DEFAULT_LIMITS, Band, Limits, classify, with_overrides
from devices import service as devices_service
from devices.position import distance_meters
from seniors import service as seniors_service


@dataclass(frozen=True)
class Change:
    """What happened to an alarm: 'raised', 'updated' or 'cleared'."""

    alarm: Alarm
    what: str


def _known_activities(session: AsyncSession) -> dict[int, SeniorActivity]:
    known: dict[int, SeniorActivity] = session.info.setdefault("alarm_activities", {})
    return known


def _known_profiles(session: AsyncSession) -> dict[int, AlarmProfile | None]:
    known: dict[int, AlarmProfile | None] = session.info.setdefault("alarm_profiles", {})
    return known


def _known_open(session: AsyncSession) -> dict[int, dict[str, Alarm]]:
    known: dict[int, dict[str, Alarm]] = session.info.setdefault("alarm_open", {})
    return known


async def _open_alarms(session: AsyncSession, senior_id: int) -> dict[str, Alarm]:
    """The senior's open alarms by kind, remembered for the session and kept current by the
    rules' own raises, so a motion or an SOS need not look again each time."""
    known = _known_open(session)
    if senior_id not in known:
        alarms = await service.open_alarms_for_senior(session, senior_id=senior_id)
        known[senior_id] = {alarm.kind: alarm for alarm in alarms}
    return known[senior_id]


async def _activity(session: AsyncSession, senior_id: int) -> SeniorActivity:
    """The senior's activity row, remembered for the session: a dictionary look-up is far
    cheaper than the session's own (which goes through the async bridge every time)."""
    known = _known_activities(session)
    activity = known.get(senior_id)
    if activity is None:
        activity = await session.get(SeniorActivity, senior_id)
        if activity is None:
            activity = SeniorActivity(senior_id=senior_id, vital_bands={})
            session.add(activity)
        known[senior_id] = activity
    return activity


async def _profile(session: AsyncSession, senior_id: int) -> AlarmProfile | None:
    """The senior's profile, remembered for the session (most seniors have none, and the
    identity map does not remember an absence)."""
    known = _known_profiles(session)
    if senior_id not in known:
        known[senior_id] = await session.get(AlarmProfile, senior_id)
    return known[senior_id]


async def preload(session: AsyncSession, senior_ids: Iterable[int], *,
                  profiles: bool = True) -> None:
    """Load the activity rows, open alarms and (unless told not to) profiles of many seniors,
    one query each for those the session does not know yet."""
    wanted = sorted(set(senior_ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        await _load_activities(session, chunk)
        await _load_open_alarms(session, chunk)
        if profiles:
            await _load_profiles(session, chunk)


async def _load_activities(session: AsyncSession, senior_ids: list[int]) -> None:
    known = _known_activities(session)
    missing = [senior_id for senior_id in senior_ids if senior_id not in known]
    if missing:
        for activity in (await session.execute(select(SeniorActivity).where(
                SeniorActivity.senior_id.in_(missing)))).scalars():
            known[activity.senior_id] = activity


async def _load_open_alarms(session: AsyncSession, senior_ids: list[int]) -> None:
    known = _known_open(session)
    missing = [senior_id for senior_id in senior_ids if senior_id not in known]
    if missing:
        for senior_id in missing:
            known[senior_id] = {}
        for alarm in (await session.execute(select(Alarm).where(
                Alarm.senior_id.in_(missing), Alarm.state != AlarmState.RESOLVED))).scalars():
            known[alarm.senior_id].setdefault(alarm.kind, alarm)


async def _load_profiles(session: AsyncSession, senior_ids: list[int]) -> None:
    known = _known_profiles(session)
    missing = [senior_id for senior_id in senior_ids if senior_id not in known]
    if missing:
        found = {profile.senior_id: profile for profile in (await session.execute(
            select(AlarmProfile).where(AlarmProfile.senior_id.in_(missing)))).scalars()}
        for senior_id in missing:
            known[senior_id] = found.get(senior_id)


async def apply_all(session: AsyncSession, observations: Iterable[Observation], *,
                    zone: ZoneInfo, rules: TimeRules = DEFAULT_TIME_RULES) -> list[Change]:
    """Every alarm change a batch of observations causes, applied oldest first."""
    ordered = sorted(observations, key=lambda obs: obs.at)
    # Events need no profile; readings (limits, geofence) do.
    await preload(session, {obs.senior_id for obs in ordered},
                  profiles=any(obs.readings or obs.location for obs in ordered))
    changes: list[Change] = []
    for observation in ordered:
        changes += await apply(session, observation, zone=zone, rules=rules)
    return changes


async def _raise(session: AsyncSession, obs: Observation, kind: str,
                 details: dict[str, object], priority: int | None = None) -> Change:
    open_alarms = await _open_alarms(session, obs.senior_id)
    result = await service.raise_alarm(
        session, senior_id=obs.senior_id, kind=kind, at=obs.at, details=details,
        priority=priority, device_id=obs.device_id, known_open=open_alarms.get(kind),
    )
    open_alarms[kind] = result.alarm
    return Change(result.alarm, "raised" if result.created else "updated")


async def _clear(session: AsyncSession, obs: Observation, kind: str) -> list[Change]:
    """The condition behind the senior's open alarm of this kind is gone (if one is open)."""
    alarm = (await _open_alarms(session, obs.senior_id)).get(kind)
    if alarm is None or not alarm.condition_active:
        return []
    cleared = await service.clear_condition(session, senior_id=obs.senior_id, kind=kind,
                                            at=obs.at)
    return [Change(cleared, "cleared")] if cleared else []


async def apply(session: AsyncSession, obs: Observation, *, zone: ZoneInfo,
                rules: TimeRules = DEFAULT_TIME_RULES) -> list[Change]:
    """Every alarm change one observation causes."""
    activity = await _activity(session, obs.senior_id)
    changes: list[Change] = []
    if obs.event is not None:
        changes += await _event_rules(session, obs, activity, zone, rules)
    if obs.readings:
        changes += await _reading_rules(session, obs, activity, rules)
    if obs.location is not None:
        changes += await _geofence_rule(session, obs)
    return changes


async def _event_rules(session: AsyncSession, obs: Observation, activity: SeniorActivity,
                       zone: ZoneInfo, rules: TimeRules) -> list[Change]:
    event = obs.event or ""
    changes: list[Change] = []
    night_door = (event in OUTER_DOOR_EVENTS and activity.in_bed is False
                  and is_night(obs.at.astimezone(zone), rules))
    if event in MOTION_EVENTS:
        activity.last_motion_at = max(filter(None, (activity.last_motion_at, obs.at)))
        changes += await _clear(session, obs, "inactivity")
    if event in BED_EVENTS:
        activity.in_bed = BED_EVENTS[event]
        activity.bed_changed_at = obs.at
    if night_door:
        changes.append(await _raise(session, obs, "night_wandering",
                                    {"event": event, "bed": "empty"}))
    kind = EVENT_ALARMS.get(event)
    if kind is not None:
        details: dict[str, object] = {"event": event}
        if obs.event_id:
            details["event_id"] = obs.event_id
        if obs.location is not None:
            details["latitude"], details["longitude"] = obs.location
        changes.append(await _raise(session, obs, kind, details))
        if kind in ("sos", "fall"):
            changes += await _correlate_emergency(session, obs, kind)
        if kind == "fall":
            activity.last_fall_at = obs.at
    return changes


async def _correlate_emergency(session: AsyncSession, obs: Observation,
                               kind: str) -> list[Change]:
    """An SOS or a fall confirms whatever else is open for the senior: it becomes P1."""
    changes = []
    open_alarms = (await _open_alarms(session, obs.senior_id)).values()
    for alarm in sorted(open_alarms, key=lambda alarm: (alarm.priority, alarm.first_at)):
        if alarm.kind in CORRELATED_WITH_EMERGENCY and alarm.priority > Priority.LIFE_THREATENING:
            raised = await service.escalate_priority(
                session, alarm_id=alarm.id, priority=Priority.LIFE_THREATENING, at=obs.at,
                reason=f"{kind} while {alarm.kind} open",
            )
            changes.append(Change(raised, "updated"))
    return changes


async def _reading_rules(session: AsyncSession, obs: Observation, activity: SeniorActivity,
                         rules: TimeRules) -> list[Change]:
    profile = await _profile(session, obs.senior_id)
    overrides = profile.vital_overrides if profile else {}
    changes: list[Change] = []
    for metric, value in obs.readings.items():
        if metric in DEFAULT_LIMITS:
            limits = with_overrides(DEFAULT_LIMITS[metric], overrides.get(metric, {}))
            changes += await _vital(session, obs, activity, metric, value, limits)
        elif metric == "battery":
            changes += await _battery(session, obs, value, rules)
        elif metric == "room_temperature":
            changes += await _room_temperature(session, obs, value, rules)
    return changes


async def _room_temperature(session: AsyncSession, obs: Observation, value: float,
                            rules: TimeRules) -> list[Change]:
    """A room colder than 10 °C or hotter than 35 °C is urgent for an old person living there."""
    if value < rules.room_too_cold or value > rules.room_too_hot:
        return [await _raise(session, obs, "room_temperature", {"room_temperature": value})]
    if rules.room_clear_low < value < rules.room_clear_high:
        return await _clear(session, obs, "room_temperature")
    return []


async def _vital(session: AsyncSession, obs: Observation, activity: SeniorActivity,
                 metric: str, value: float, limits: Limits) -> list[Change]:
    band_before, streak = activity.vital_bands.get(metric, [Band.NORMAL, 0])
    verdict = classify(value, limits, Band(band_before), streak)
    if verdict.fault is not None:
        return [await _raise(session, obs, "sensor_fault",
                             {"metric": metric, "value": value, "reason": verdict.fault})]
    state = [int(verdict.band), verdict.clear_streak]
    if activity.vital_bands.get(metric) != state:  # most readings change nothing: no write
        activity.vital_bands = {**activity.vital_bands, metric: state}
    if verdict.band == Band.NORMAL:
        if band_before == Band.NORMAL:
            return []
        return await _clear(session, obs, metric)
    if verdict.band == band_before and verdict.clear_streak:
        return []  # still out of range, already alarmed, on its way back
    priority = Priority.LIFE_THREATENING if verdict.band == Band.CRITICAL else None
    return [await _raise(session, obs, metric,
                         {metric: value, "band": verdict.band.name.lower(), "unit": limits.unit},
                         priority=priority)]


async def _battery(session: AsyncSession, obs: Observation, value: float,
                   rules: TimeRules) -> list[Change]:
    if value < rules.low_battery_percent:
        return [await _raise(session, obs, "low_battery", {"battery": value})]
    if value >= rules.battery_clears_percent:
        return await _clear(session, obs, "low_battery")
    return []


async def _geofence_rule(session: AsyncSession, obs: Observation) -> list[Change]:
    """A wearable beyond the senior's geofence (only for seniors who have one set)."""
    profile = await _profile(session, obs.senior_id)
    if profile is None or not profile.geofence_meters or obs.location is None:
        return []
    senior = await seniors_service.get_senior(session, obs.senior_id)
    if senior.latitude is None or senior.longitude is None:
        return []
    away = distance_meters((senior.latitude, senior.longitude), obs.location)
    if away <= profile.geofence_meters:
        return await _clear(session, obs, "geofence_exit")
    return [await _raise(session, obs, "geofence_exit",
                         {"meters_from_home": round(away), "location": list(obs.location)})]


async def check_time_rules(session: AsyncSession, *, now: datetime, zone: ZoneInfo,
                           rules: TimeRules = DEFAULT_TIME_RULES) -> list[Change]:
    """Inactivity past the senior's window, and a fall followed by stillness."""
    changes: list[Change] = []
    activities = (await session.execute(select(SeniorActivity))).scalars().all()
    for activity in activities:
        changes += await _inactivity(session, activity, now=now, zone=zone, rules=rules)
        changes += await _fall_then_still(session, activity, now=now, rules=rules)
    changes += await _device_supervision(session, now=now)
    changes += await _unused_pendants(session, now=now, rules=rules)
    await session.flush()
    return changes


async def _unused_pendants(session: AsyncSession, *, now: datetime,
                           rules: TimeRules) -> list[Change]:
    """A pendant with no event for ``pendant_unused`` (since it was fitted) raises a P4."""
    rows = await devices_service.pendants_in_use(session, models=PENDANT_MODELS)
    changes: list[Change] = []
    for device_id, senior_id, fitted, last in rows:
        if senior_id is None:  # never: only fitted pendants are read (this tells mypy)
            continue
        idle_since = max(filter(None, (fitted, _aware(last))))
        open_alarm = await _open(session, senior_id, "pendant_unused")
        if now - idle_since >= rules.pendant_unused and open_alarm is None:
            result = await service.raise_alarm(
                session, senior_id=senior_id, kind="pendant_unused", at=now,
                device_id=device_id, details={"device": device_id,
                                              "idle_days": (now - idle_since).days})
            changes.append(Change(result.alarm, "raised"))
        elif now - idle_since < rules.pendant_unused and open_alarm is not None:
            cleared = await service.clear_condition(session, senior_id=senior_id,
                                                    kind="pendant_unused", at=now)
            changes += [Change(cleared, "cleared")] if cleared else []
    return changes


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates come back from SQLite as naive UTC; make them comparable."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


async def _device_supervision(session: AsyncSession, *, now: datetime) -> list[Change]:
    """A senior's device silent past its heartbeat and grace raises one P4 per senior."""
    offline = await devices_service.offline_by_senior(session, now=now)
    changes: list[Change] = []
    for senior_id, silent in offline.items():
        if silent and not await _is_open(session, senior_id, "device_offline"):
            result = await service.raise_alarm(
                session, senior_id=senior_id, kind="device_offline", at=now,
                details={"devices": sorted(silent)}, device_id=silent[0])
            changes.append(Change(result.alarm, "raised" if result.created else "updated"))
        elif not silent:
            cleared = await service.clear_condition(session, senior_id=senior_id,
                                                    kind="device_offline", at=now)
            changes += [Change(cleared, "cleared")] if cleared else []
    return changes


def _day_start(now: datetime, zone: ZoneInfo, rules: TimeRules) -> datetime:
    local = now.astimezone(zone)
    start = local.replace(hour=rules.night_ends.hour, minute=rules.night_ends.minute, second=0,
                          microsecond=0)
    return start if start <= local else start - timedelta(days=1)


async def _inactivity(session: AsyncSession, activity: SeniorActivity, *, now: datetime,
                      zone: ZoneInfo, rules: TimeRules) -> Sequence[Change]:
    if activity.last_motion_at is None:
        return []
    profile = await _profile(session, activity.senior_id)
    watch_night = bool(profile and profile.watch_inactivity_at_night)
    if is_night(now.astimezone(zone), rules) and not watch_night:
        return []
    window = timedelta(hours=profile.inactivity_hours) if profile and profile.inactivity_hours \
        else rules.inactivity
    # Sleep does not count: without night watching, stillness is counted from the morning.
    since = activity.last_motion_at if watch_night else max(activity.last_motion_at,
                                                             _day_start(now, zone, rules))
    if now - since < window or await _is_open(session, activity.senior_id, "inactivity"):
        return []
    result = await service.raise_alarm(
        session, senior_id=activity.senior_id, kind="inactivity", at=now,
        details={"last_motion_at": activity.last_motion_at.isoformat(),
                 "still_hours": round((now - activity.last_motion_at).total_seconds() / 3600, 1)},
    )
    return [Change(result.alarm, "raised" if result.created else "updated")]


async def _fall_then_still(session: AsyncSession, activity: SeniorActivity, *, now: datetime,
                           rules: TimeRules) -> Sequence[Change]:
    fall_at = activity.last_fall_at
    if fall_at is None or now - fall_at < rules.fall_then_still:
        return []
    moved = activity.last_motion_at is not None and activity.last_motion_at > fall_at
    activity.last_fall_at = None  # judged once
    alarm = await _open(session, activity.senior_id, "fall")
    if moved or alarm is None:
        return []
    alarm.details = {**alarm.details, "confirmed": "no movement for 2 min after the fall"}
    alarm.escalation_level = 0  # re-alert from the start
    return [Change(alarm, "updated")]


async def _open(session: AsyncSession, senior_id: int, kind: str) -> Alarm | None:
    alarms = await service.open_alarms_for_senior(session, senior_id=senior_id)
    return next((alarm for alarm in alarms if alarm.kind == kind), None)


async def _is_open(session: AsyncSession, senior_id: int, kind: str) -> bool:
    return await _open(session, senior_id, kind) is not None
