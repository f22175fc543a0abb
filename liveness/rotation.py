"""Re-encrypting biometric rows under the current key: after ANXIN_BIOMETRIC_KEY changes (the
old value in ANXIN_BIOMETRIC_KEY_PREVIOUS), and for rows stored before rows had key ids."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from config.keys import BiometricKey, BiometricKeys
from liveness.exceptions import TemplateKeyError
from liveness.models import AuditFrame, FaceTemplate
from liveness.templates import open_frame, open_template, seal_frame, seal_template

BATCH = 500


@dataclass(frozen=True)
class ResealReport:
    """What a pass did: rows moved to the current key, and rows no configured key opens."""

    key_id: str
    templates: int
    audit_frames: int
    unreadable: int


async def reseal_all(session: AsyncSession, keys: BiometricKeys) -> ResealReport:
    """Move every template and audit frame to the current key; flushes, the caller commits."""
    templates, lost_templates = await _reseal_templates(session, keys)
    frames, lost_frames = await _reseal_frames(session, keys)
    return ResealReport(keys.current.key_id, templates, frames, lost_templates + lost_frames)


def _candidates(keys: BiometricKeys, key_id: str | None) -> list[BiometricKey]:
    """The keys that may open a row: its own, or for a row without an id, either key."""
    if key_id is None:
        return [k for k in (keys.current, keys.previous) if k is not None]
    known = keys.by_id(key_id)
    return [known] if known is not None else []


async def _reseal_templates(session: AsyncSession, keys: BiometricKeys) -> tuple[int, int]:
    moved = lost = last = 0
    while rows := (await session.scalars(
            select(FaceTemplate).where(_not_current(FaceTemplate.key_id, keys),
                                       FaceTemplate.id > last)
            .order_by(FaceTemplate.id).limit(BATCH))).all():
        for row in rows:
            last = row.id
            template = _opened_template(row, keys)
            if template is None:
                lost += 1
                continue
            row.sealed = seal_template(keys.current.templates, template, senior_id=row.senior_id)
            row.key_id = keys.current.key_id
            moved += 1
        await session.flush()
    return moved, lost


async def _reseal_frames(session: AsyncSession, keys: BiometricKeys) -> tuple[int, int]:
    moved = lost = last = 0
    while rows := (await session.scalars(
            select(AuditFrame).where(_not_current(AuditFrame.key_id, keys), AuditFrame.id > last)
            .order_by(AuditFrame.id).limit(BATCH))).all():
        for row in rows:
            last = row.id
            jpeg = _opened_frame(row, keys)
            if jpeg is None:
                lost += 1
                continue
            row.sealed = seal_frame(keys.current.audit_frames, jpeg, decision_id=row.decision_id)
            row.key_id = keys.current.key_id
            moved += 1
        await session.flush()
    return moved, lost


def _not_current(column: InstrumentedAttribute[str | None], keys: BiometricKeys
                 ) -> ColumnElement[bool]:
    return or_(column.is_(None), column != keys.current.key_id)


def _opened_template(row: FaceTemplate, keys: BiometricKeys) -> list[float] | None:
    for key in _candidates(keys, row.key_id):
        try:
            return open_template(key.templates, row.sealed, senior_id=row.senior_id)
        except TemplateKeyError:
            continue
    return None


def _opened_frame(row: AuditFrame, keys: BiometricKeys) -> bytes | None:
    if row.key_id is None:  # a plain JPEG from before frames were sealed
        return row.sealed
    for key in _candidates(keys, row.key_id):
        try:
            return open_frame(key.audit_frames, row.sealed, decision_id=row.decision_id)
        except TemplateKeyError:
            continue
    return None
