"""HTTP routes: provision and list devices, and see the dead letters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from accounts import service as accounts_service
from accounts.audiences import audience
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import ALL_ROLES, Role
from devices import events, service
from devices.exceptions import (
    CommandError,
    CommandNotAllowedError,
    DeviceEditError,
    DeviceIdTakenError,
    DeviceNotFoundError,
    PhoneNumberTakenError,
    ReservedDeviceIdError,
    UnknownDeviceModelError,
)
from devices.lifespan import devices_of
from devices.schemas import (
    CommandOut,
    CommandRequest,
    DeadLetterOut,
    DeviceCreate,
    DeviceOut,
    DeviceUpdate,
    PositionOut,
    ProvisionedDevice,
)
from devices.topics import Channel, topic_for
from devices.watch import flows as watch_flows
from runtime.context import Runtime
from runtime.deps import RuntimeDep, SessionDep
from seniors import service as seniors_service
from seniors.exceptions import SeniorNotFoundError
from storage.bounds import Limit, Offset, RowId

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])
Reader = Annotated[StaffUser, Depends(require_roles(ALL_ROLES))]
Provisioner = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR}))]
# Each watch command names its own roles (devices/watch/commands.py); these may send any.
Commander = Annotated[StaffUser, Depends(require_roles({Role.OPERATOR, Role.SUPERVISOR}))]


@router.post("", response_model=ProvisionedDevice, status_code=status.HTTP_201_CREATED)
async def provision(body: DeviceCreate, user: Provisioner, runtime: RuntimeDep,
                    session: SessionDep) -> ProvisionedDevice:
    """Register a device; the answer holds its MQTT password, shown this once only."""
    now = runtime.clock.now()
    try:
        device, password = await service.provision_device(
            session, model_id=body.model, senior_id=body.senior_id, location=body.location,
            device_id=body.id, now=now)
    except (UnknownDeviceModelError, ReservedDeviceIdError) as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except DeviceIdTakenError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    await accounts_service.record_audit(
        session, actor=user.username, action="device.provision", subject_type="senior",
        subject_id=None if body.senior_id is None else str(body.senior_id), now=now,
        detail={"device_id": device.id, "model": device.model})
    await session.commit()
    await devices_of(runtime).refresh_credentials(runtime)
    runtime.bus.publish(events.DEVICE_PROVISIONED, {"id": device.id, "model": device.model,
                                                    "senior_id": device.senior_id},
                        roles=audience(events.DEVICE_PROVISIONED), area=device.area_code)
    return ProvisionedDevice(
        device=service.device_out(device, now), mqtt_username=device.id, mqtt_password=password,
        topics={c.value: topic_for(device.id, c) for c in Channel})


@router.get("", response_model=list[DeviceOut])
async def list_devices(user: Reader, runtime: RuntimeDep, session: SessionDep,
                       senior_id: RowId | None = None,
                       limit: Limit = 500,
                       offset: Offset = 0) -> list[DeviceOut]:
    """Devices with online/offline (from last seen, heartbeat and grace) and battery."""
    now = runtime.clock.now()
    devices = await service.list_devices(session, senior_id=senior_id, limit=limit,
                                         offset=offset)
    names = await seniors_service.names_of(
        session, (d.senior_id for d in devices if d.senior_id is not None))
    return [service.device_out(device, now).model_copy(
        update={"senior_name": names.get(device.senior_id or 0, "")}) for device in devices]


@router.get("/dead-letters", response_model=list[DeadLetterOut])
async def dead_letters(user: Provisioner, session: SessionDep,
                       limit: Limit = 100) -> list[DeadLetterOut]:
    """Messages the ingest could not use, newest first, with the reason."""
    return await service.list_dead_letters(session, limit=limit)


@router.post("/{device_id}/retire", response_model=DeviceOut)
async def retire(device_id: str, user: Provisioner, runtime: RuntimeDep,
                 session: SessionDep) -> DeviceOut:
    """Retire a device: the broker closes its live connection and refuses its credentials
    from now on."""
    try:
        device = await service.retire_device(session, device_id=device_id)
    except DeviceNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    await accounts_service.record_audit(
        session, actor=user.username, action="device.retire", subject_type="senior",
        subject_id=None if device.senior_id is None else str(device.senior_id),
        now=runtime.clock.now(), detail={"device_id": device.id})
    await session.commit()
    await _registry_changed(runtime, device.id)
    return service.device_out(device, runtime.clock.now())


@router.patch("/{device_id}", response_model=DeviceOut)
async def edit(device_id: str, body: DeviceUpdate, user: Provisioner, runtime: RuntimeDep,
               session: SessionDep) -> DeviceOut:
    """Change a device: its senior, location label, heartbeat and grace, state (retire or
    reactivate) or SIM phone number. Nothing changes when any field is refused."""
    try:
        device, changed = await service.update_device(session, device_id=device_id,
                                                      changes=body)
    except DeviceNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except DeviceEditError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    except PhoneNumberTakenError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    now = runtime.clock.now()
    if changed:
        previous = changed["senior_id"][0] if "senior_id" in changed else None
        audited = sorted({s for s in (previous, device.senior_id) if s is not None})
        for senior_id in audited or [None]:
            # Both the senior who had the device and the one who gets it see the change.
            await accounts_service.record_audit(
                session, actor=user.username, action="device.update", subject_type="senior",
                subject_id=None if senior_id is None else str(senior_id), now=now,
                detail={"device_id": device.id, "changed": changed})
        await session.commit()
        await _registry_changed(runtime, device.id)
    return service.device_out(device, now)


@router.post("/{device_id}/credentials", response_model=ProvisionedDevice)
async def new_credentials(device_id: str, user: Provisioner, runtime: RuntimeDep,
                          session: SessionDep) -> ProvisionedDevice:
    """Give a device a new MQTT password (the old one stops working, and a connection made
    with it is closed at once); shown this once only."""
    try:
        device, password = await service.rotate_credentials(session, device_id=device_id)
    except DeviceNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except DeviceEditError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    now = runtime.clock.now()
    await accounts_service.record_audit(
        session, actor=user.username, action="device.credentials", subject_type="senior",
        subject_id=None if device.senior_id is None else str(device.senior_id), now=now,
        detail={"device_id": device.id})
    await session.commit()
    await _registry_changed(runtime, device.id)
    return ProvisionedDevice(
        device=service.device_out(device, now), mqtt_username=device.id, mqtt_password=password,
        topics={c.value: topic_for(device.id, c) for c in Channel})


async def _registry_changed(runtime: Runtime, device_id: str) -> None:
    """After a committed change: the broker's credentials, and the in-app ingest's cache."""
    devices = devices_of(runtime)
    await devices.refresh_credentials(runtime)
    if devices.ingest is not None:
        devices.ingest.forget(device_id)
    if devices.watches is not None:
        devices.watches.registry.forget(device_id)


@router.post("/{device_id}/commands", response_model=CommandOut)
async def send_command(device_id: str, body: CommandRequest, user: Commander,
                       runtime: RuntimeDep, session: SessionDep) -> CommandOut:
    """Send a command to a connected watch (operators: locate, message, find; supervisors
    also settings) and record it with the watch's answer; ``outcome`` says whether it
    answered, did not, or was not connected."""
    try:
        return await watch_flows.send_command(runtime, session, user=user, device_id=device_id,
                                              request=body)
    except DeviceNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except CommandNotAllowedError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error
    except (CommandError, DeviceEditError) as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error


@router.get("/{device_id}/commands", response_model=list[CommandOut])
async def list_commands(device_id: str, user: Commander,
                        session: SessionDep) -> list[CommandOut]:
    """The watch's last 20 commands, newest first, with their answers."""
    return await watch_flows.recent_commands(session, device_id=device_id)


@router.get("/{device_id}/position", response_model=PositionOut)
async def position(device_id: str, user: Commander, runtime: RuntimeDep,
                   session: SessionDep) -> PositionOut:
    """The device's last position, its age, its distance from the senior's home, and a link
    in the deployment's format (ANXIN_WATCH_MAP_LINK)."""
    try:
        found = await watch_flows.position_of(runtime, session, device_id=device_id)
    except DeviceNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"device {device_id!r} has not reported a position")
    return found
