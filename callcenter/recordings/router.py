"""HTTP for supervisors: a call's recordings, and playback (each one audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from callcenter.recordings import flows
from callcenter.recordings.models import CallRecording
from config.keys import SealError
from runtime.deps import RuntimeDep, SessionDep
from storage.bounds import RowId

router = APIRouter(prefix="/api/v1", tags=["recordings"])
Supervisor = Annotated[StaffUser, Depends(require_roles(frozenset({Role.SUPERVISOR})))]


class RecordingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    call_id: int
    state: str  # recording | stored | purged
    size_bytes: int | None
    started_at: datetime
    stored_at: datetime | None
    expires_at: datetime


@router.get("/calls/{call_id}/recordings")
async def call_recordings(call_id: RowId, user: Supervisor,
                          session: SessionDep) -> list[RecordingOut]:
    rows = (await session.scalars(select(CallRecording).where(
        CallRecording.call_id == call_id).order_by(CallRecording.id))).all()
    return [RecordingOut.model_validate(row) for row in rows]


@router.get("/recordings/{recording_id}/audio", response_class=Response,
            responses={200: {"content": {"audio/wav": {}}},
                       409: {"description": "Not stored yet, deleted after the retention, or "
                                            "it does not open"}})
async def recording_audio(recording_id: RowId, user: Supervisor, runtime: RuntimeDep,
                          session: SessionDep) -> Response:
    """The recording's audio for one listener; every playback is in the audit log."""
    recording = await session.get(CallRecording, recording_id)
    if recording is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recording {recording_id}")
    if recording.state != "stored":
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"recording {recording_id} is {recording.state}, not playable")
    try:
        audio = await flows.play(runtime, session, recording=recording, actor=user.username)
    except (SealError, FileNotFoundError) as error:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"recording {recording_id} cannot be opened") from error
    await session.commit()
    return Response(audio, media_type="audio/wav", headers={"Cache-Control": "no-store"})
