"""An operator's command to a watch: check the role, send it through the gateway, record it
with the watch's answer (the flow owns the transaction)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from accounts.roles import Role
from devices import service
from devices.exceptions import CommandNotAllowedError, DeviceEditError
from devices.lifespan import devices_of
from devices.models import DeviceCommand
from devices.position import distance_meters, last_position
from devices.schemas import CommandOut, CommandRequest, PositionOut
from devices.watch import relay
from devices.watch.commands import COMMANDS
from devices.watch.relay import RelayedCommand, RelayOutcome
from runtime.context import Runtime
from seniors import service as seniors_service

if TYPE_CHECKING:  # the signed-in person a route or the live feed hands in
    from accounts.models import StaffUser

RECENT_COMMANDS = 20


async def send_command(runtime: Runtime, session: AsyncSession, *, user: StaffUser,
                       device_id: str, request: CommandRequest) -> CommandOut:
    """Send one command and record it with its outcome; raises before sending anything when
    the device, the role or the arguments are wrong."""
    device = await service.get_device(session, device_id)
    if device.model not in service.TCP_WATCH_MODELS:
        raise DeviceEditError(f"device {device_id!r} is a {device.model}, not a watch that "
                              "takes commands")
    command = COMMANDS[request.command]
    if Role(user.role) not in command.roles | {Role.ADMIN}:
        raise CommandNotAllowedError(
            f"role {user.role!r} may not send {command.name}; needs one of "
            f"{', '.join(sorted(command.roles | {Role.ADMIN}))}")
    content = command.content(request)  # CommandError names a bad argument
    now = runtime.clock.now()
    record = DeviceCommand(device_id=device_id, command=command.name, content=content,
                           requested_by=user.username, requested_at=now,
                           outcome="not_connected")
    outcome = await _deliver(runtime, device_id=device_id, content=content,
                             answer_type=command.answer_type(content))
    record.outcome = outcome.outcome
    record.answer = outcome.answer
    record.answered_at = runtime.clock.now() if outcome.answer is not None else None
    session.add(record)
    await accounts_service.record_audit(
        session, actor=user.username, action="device.command", subject_type="senior",
        subject_id=None if device.senior_id is None else str(device.senior_id), now=now,
        detail={"device_id": device_id, "command": command.name, "outcome": record.outcome})
    await session.commit()
    return command_out(record)


async def _deliver(runtime: Runtime, *, device_id: str, content: str,
                   answer_type: str) -> RelayOutcome:
    """Through this process's gateway when it holds the watch, otherwise through the broker
    to whichever gateway does (another instance, or a standalone watch-gateway)."""
    if not runtime.settings.mqtt_enabled:
        return RelayOutcome("not_connected")
    devices = devices_of(runtime)
    within = runtime.settings.watch_ack_timeout_seconds
    gateway = devices.watches
    if gateway is not None and device_id in gateway.connections:
        answer = await gateway.command(device_id, content, answer=answer_type, within=within)
        return RelayOutcome("answered", answer) if answer is not None else RelayOutcome("no_answer")
    return await relay.request(devices.address, RelayedCommand(
        request_id=secrets.token_hex(8), device_id=device_id, content=content,
        answer_type=answer_type, within=within))


def command_out(record: DeviceCommand) -> CommandOut:
    return CommandOut.model_validate(record, from_attributes=True)


async def recent_commands(session: AsyncSession, *, device_id: str) -> list[CommandOut]:
    rows = (await session.execute(
        select(DeviceCommand).where(DeviceCommand.device_id == device_id)
        .order_by(DeviceCommand.id.desc()).limit(RECENT_COMMANDS))).scalars().all()
    return [command_out(row) for row in rows]


async def position_of(runtime: Runtime, session: AsyncSession, *,
                      device_id: str) -> PositionOut | None:
    """The device's last position with its age, its distance from the senior's home and a
    link in the deployment's format (ANXIN_WATCH_MAP_LINK); None before any position."""
    device = await service.get_device(session, device_id)
    last = await last_position(session, device_id=device_id)
    if last is None:
        return None
    meters = None
    if device.senior_id is not None:
        senior = await seniors_service.get_senior(session, device.senior_id)
        if senior.latitude is not None and senior.longitude is not None:
            meters = round(distance_meters((senior.latitude, senior.longitude),
                                           (last.latitude, last.longitude)))
    template = runtime.settings.watch_map_link
    return PositionOut(
        device_id=device_id, latitude=last.latitude, longitude=last.longitude,
        measured_at=last.measured_at,
        age_seconds=(runtime.clock.now() - last.measured_at).total_seconds(),
        meters_from_home=meters,
        link=template.format(lat=last.latitude, lon=last.longitude) if template else None)
