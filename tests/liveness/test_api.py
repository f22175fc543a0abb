"""The liveness API end to end: consent, sessions, checks, four-eyes, chain, roles, holds."""

from __future__ import annotations

import base64

import httpx
from sqlalchemy import select, update

from accounts import service as accounts_service
from accounts.models import AuditEntry
from accounts.roles import Role
from liveness.models import DecisionRecord, FaceTemplate, LivenessTask
from liveness.photo_frames import photo_frames
from liveness.runtime import liveness_of
from liveness.templates import photo_digest, seal_template
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import TEST_PASSWORD, LoginAs
from tests.seniors.test_api import senior_body


async def new_senior(client: httpx.AsyncClient, headers: dict[str, str], *,
                     consent: bool = True) -> int:
    created = await client.post("/api/v1/seniors", json=senior_body(), headers=headers)
    assert created.status_code == 201, created.text
    senior_id: int = created.json()["id"]
    if consent:
        answer = await client.post(f"/api/v1/seniors/{senior_id}/consents", headers=headers,
                                   json={"purpose": "biometric", "granted": True,
                                         "method": "signed_form"})
        assert answer.status_code in (200, 201), answer.text
    return senior_id


async def enrol_directly(runtime: Runtime, senior_id: int, template: list[float]) -> None:
    key = liveness_of(runtime).keys.current
    async with runtime.sessions() as session:
        session.add(FaceTemplate(
            senior_id=senior_id, photo_sha256=photo_digest(b"x"), enrolled_by="test",
            enrolled_at=runtime.clock.now(), key_id=key.key_id,
            sealed=seal_template(key.templates, template, senior_id=senior_id)))
        await session.commit()


async def second_staff(runtime: Runtime, client: httpx.AsyncClient) -> dict[str, str]:
    async with runtime.sessions() as session:
        await accounts_service.create_user(session, username="second_subsidy",
                                           display_name="Second", role=Role.SUBSIDY_STAFF,
                                           password=TEST_PASSWORD, now=runtime.clock.now())
        await session.commit()
    answer = await client.post("/api/v1/auth/login", json={"username": "second_subsidy",
                                                           "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def frames_body(nonce: str, photo: bytes, seconds: float = 2.0) -> dict[str, object]:
    frames = photo_frames(photo, seconds=seconds, fps=6, size=(480, 360))
    return {"nonce": nonce, "frames": [
        {"t": f.t, "jpeg": base64.b64encode(f.jpeg).decode()} for f in frames]}


async def test_no_biometric_consent_offers_a_home_visit(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """Without biometric consent no session starts, and a home-visit task is opened."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers, consent=False)
    answer = await client.post("/api/v1/liveness/sessions", json={"senior_id": senior_id},
                               headers=headers)
    assert answer.status_code == 409
    assert "home visit" in answer.json()["detail"]
    async with runtime.sessions() as session:
        task = await session.scalar(select(LivenessTask))
    assert task is not None and task.kind == "home_visit" and task.senior_id == senior_id
    holds = await client.get("/api/v1/liveness/holds.csv", headers=headers)
    assert len(holds.text.strip().splitlines()) == 1  # in hand: no hold before the visit
    done = await client.post(f"/api/v1/liveness/tasks/{task.id}/done", headers=headers)
    assert done.status_code == 200
    holds = await client.get("/api/v1/liveness/holds.csv", headers=headers)
    assert len(holds.text.strip().splitlines()) == 2  # visited, still not certified: held


async def test_enrolment_refuses_a_photo_of_two_people(
        client: httpx.AsyncClient, login_as: LoginAs, photos: dict[str, bytes]) -> None:
    """Uploading two_people.jpg is refused with the reason; one good photo is enrolled."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers)
    url = f"/api/v1/liveness/seniors/{senior_id}/enrolment"
    refused = await client.post(url, headers=headers, files=[
        ("photos", ("a.jpg", photos["obama"], "image/jpeg")),
        ("photos", ("b.jpg", photos["two_people"], "image/jpeg"))])
    assert refused.status_code == 422
    assert "photo 2" in refused.json()["detail"] and "more_than_one_face" in refused.json()[
        "detail"]
    enrolled = await client.post(url, headers=headers,
                                 files=[("photos", ("a.jpg", photos["obama"], "image/jpeg"))])
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["photo_sha256"] == [photo_digest(photos["obama"])]


async def test_a_still_photo_fails_and_the_session_cannot_be_replayed(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        photos: dict[str, bytes], templates: dict[str, list[float]]) -> None:
    """A photo held to the camera fails (still image) with a task; the same nonce is refused."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers)
    await enrol_directly(runtime, senior_id, templates["obama"])
    started = await client.post("/api/v1/liveness/sessions",
                                json={"senior_id": senior_id, "channel": "kiosk"},
                                headers=headers)
    assert started.status_code == 201, started.text
    session = started.json()
    assert 2 <= len(session["steps"]) <= 3
    body = frames_body(session["nonce"], photos["obama2"])
    decided = await client.post(f"/api/v1/liveness/sessions/{session['id']}/frames",
                                json=body, headers=headers)
    assert decided.status_code == 200, decided.text
    decision = decided.json()
    assert decision["outcome"] == "fail" and "still_image" in decision["reasons"]
    assert decision["versions"]["face-recognition"] == "1.3.0"
    assert decision["thresholds"]["accept"] == 0.45
    replay = await client.post(f"/api/v1/liveness/sessions/{session['id']}/frames",
                               json=body, headers=headers)
    assert replay.status_code == 409 and "already been used" in replay.json()["detail"]
    async with runtime.sessions() as db:
        task = await db.scalar(select(LivenessTask).where(LivenessTask.senior_id == senior_id))
        audited = await db.scalar(select(AuditEntry).where(AuditEntry.action == "liveness.check"))
    assert task is not None and task.decision_id == decision["id"]
    assert audited is not None and audited.subject_id == str(senior_id)


async def test_an_expired_session_is_refused(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, clock: ManualClock,
        templates: dict[str, list[float]], photos: dict[str, bytes]) -> None:
    """Frames arriving after three minutes are refused without analysis."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers)
    await enrol_directly(runtime, senior_id, templates["obama"])
    session = (await client.post("/api/v1/liveness/sessions", json={"senior_id": senior_id},
                                 headers=headers)).json()
    clock.advance(181)
    answer = await client.post(f"/api/v1/liveness/sessions/{session['id']}/frames",
                               json=frames_body(session["nonce"], photos["obama"], 1.0),
                               headers=headers)
    assert answer.status_code == 409 and "expired" in answer.json()["detail"]
    wrong = await client.post("/api/v1/liveness/sessions", json={"senior_id": senior_id},
                              headers=headers)
    bad_nonce = await client.post(f"/api/v1/liveness/sessions/{wrong.json()['id']}/frames",
                                  json=frames_body("not-the-nonce", photos["obama"], 1.0),
                                  headers=headers)
    assert bad_nonce.status_code == 409 and "nonce" in bad_nonce.json()["detail"]


async def record_check(runtime: Runtime, senior_id: int, outcome: str) -> int:
    from liveness import service

    async with runtime.sessions() as session:
        record = await service.append_decision(session, DecisionRecord(
            kind="check", senior_id=senior_id, session_id=None, overrides_id=None,
            outcome=outcome, reasons=["identity_uncertain"], scores={"distance_worst": 0.5},
            thresholds={"accept": 0.45}, versions={}, channel="kiosk",
            category="old_age_allowance", staff="test", approved_by=None, note="",
            decided_at=runtime.clock.now()))
        await session.commit()
        return record.id


async def test_override_needs_a_second_staff_member(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """A review by one staff member is approved only by another; then the senior is certified."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    other = await second_staff(runtime, client)
    senior_id = await new_senior(client, headers)
    decision_id = await record_check(runtime, senior_id, "review")
    review = await client.post(f"/api/v1/liveness/decisions/{decision_id}/reviews",
                               json={"outcome": "pass", "reason": "seen in person at the centre"},
                               headers=headers)
    assert review.status_code == 201, review.text
    url = f"/api/v1/liveness/reviews/{review.json()['id']}/approve"
    same = await client.post(url, headers=headers)
    assert same.status_code == 409 and "four-eyes" in same.json()["detail"]
    approved = await client.post(url, headers=other)
    assert approved.status_code == 200, approved.text
    assert approved.json()["outcome"] == "pass"
    assert approved.json()["approved_by"] == "second_subsidy"
    assert approved.json()["overrides_id"] == decision_id
    roster = (await client.get("/api/v1/liveness/roster", headers=headers)).json()
    assert [row["standing"] for row in roster if row["senior_id"] == senior_id] == ["certified"]


async def test_tampering_with_a_decision_breaks_the_chain(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """Changing a stored outcome is detected at that record."""
    staff = await login_as(Role.SUBSIDY_STAFF)
    supervisor = await login_as(Role.SUPERVISOR)
    senior_id = await new_senior(client, staff)
    first = await record_check(runtime, senior_id, "fail")
    await record_check(runtime, senior_id, "fail")
    intact = await client.get("/api/v1/liveness/chain", headers=supervisor)
    assert intact.json() == {"intact": True, "first_broken_id": None}
    async with runtime.sessions() as session:
        await session.execute(update(DecisionRecord).where(DecisionRecord.id == first)
                              .values(outcome="pass"))
        await session.commit()
    broken = await client.get("/api/v1/liveness/chain", headers=supervisor)
    assert broken.json() == {"intact": False, "first_broken_id": first}


async def test_failures_are_rate_limited(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, clock: ManualClock,
        templates: dict[str, list[float]]) -> None:
    """Five failures within three minutes lock new sessions until the cool-off ends."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers)
    await enrol_directly(runtime, senior_id, templates["obama"])
    for _ in range(5):
        await record_check(runtime, senior_id, "fail")
        clock.advance(20)
    locked = await client.post("/api/v1/liveness/sessions", json={"senior_id": senior_id},
                               headers=headers)
    assert locked.status_code == 429
    clock.advance(16 * 60)
    again = await client.post("/api/v1/liveness/sessions", json={"senior_id": senior_id},
                              headers=headers)
    assert again.status_code == 201


async def test_roles_and_the_payment_hold_list(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, clock: ManualClock
) -> None:
    """Operators may not use liveness; an overdue senior is held, then certified with back-pay."""
    operator = await login_as(Role.OPERATOR)
    staff = await login_as(Role.SUBSIDY_STAFF)
    assert (await client.get("/api/v1/liveness/roster", headers=operator)).status_code == 403
    assert (await client.get("/api/v1/liveness/chain", headers=staff)).status_code == 403
    link = await client.post("/api/v1/liveness/links", json={"senior_id": 1}, headers=operator)
    assert link.status_code == 403
    senior_id = await new_senior(client, staff)
    holds = await client.get("/api/v1/liveness/holds.csv", headers=staff)
    assert holds.status_code == 200
    lines = holds.text.strip().splitlines()
    assert lines[0].startswith("senior_id,name,category")
    assert len(lines) == 2 and lines[1].startswith(f"{senior_id},王秀英,old_age_allowance")
    decision_id = await record_check(runtime, senior_id, "review")
    other = await second_staff(runtime, client)
    review = await client.post(f"/api/v1/liveness/decisions/{decision_id}/reviews",
                               json={"outcome": "pass", "reason": "home visit confirmed"},
                               headers=staff)
    await client.post(f"/api/v1/liveness/reviews/{review.json()['id']}/approve", headers=other)
    roster = await client.get("/api/v1/liveness/roster.csv", headers=staff)
    row = roster.text.strip().splitlines()[1].split(",")
    assert row[4] == "certified" and row[7] == "1"  # back-pay due after the hold


async def test_audit_frames_are_purged_and_reminders_sent_once(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, clock: ManualClock
) -> None:
    """Audit frames go after the retention period; a reminder goes once per due date."""
    from datetime import timedelta

    from liveness import roster, service
    from liveness.models import AuditFrame, Certification
    from liveness.reminders import LoggingReminderSender

    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers)
    decision_id = await record_check(runtime, senior_id, "fail")
    sender = LoggingReminderSender()
    async with runtime.sessions() as session:
        session.add(AuditFrame(decision_id=decision_id, sealed=b"jpeg",
                               purge_after=clock.now() + timedelta(days=30)))
        session.add(Certification(senior_id=senior_id, category="old_age_allowance",
                                  certified_until=clock.now().date() + timedelta(days=20),
                                  back_pay_due=False))
        await session.commit()
        assert await service.purge_audit_frames(session, now=clock.now()) == 0
        clock.advance(timedelta(days=7).total_seconds())
        today = clock.now().date()
        assert await roster.send_reminders(session, sender=sender, today=today,
                                            days_before=14) == 1
        assert await roster.send_reminders(session, sender=sender, today=today,
                                            days_before=14) == 0
        clock.advance(timedelta(days=24).total_seconds())
        assert await service.purge_audit_frames(session, now=clock.now()) == 1
    assert sender.sent[0].phones == ["+8613804710001", "+864716543210"]
    assert "生存认证" in sender.sent[0].message


async def test_a_tilted_photo_on_camera_is_caught_by_texture_depth(
        runtime: Runtime, photos: dict[str, bytes], templates: dict[str, list[float]]) -> None:
    """Frames of a photo turned like a door: its texture moves as one plane, so flat_face."""
    from liveness.actions import Action, script_for
    from liveness.analysis import analyse
    from liveness.photo_frames import Presentation

    script = script_for([Action.TURN_LEFT])
    frames = photo_frames(photos["obama2"], seconds=script[-1].ends_at, fps=5,
                          how=Presentation(tilt_degrees=35))
    liveness = liveness_of(runtime)
    result = await analyse(liveness.pool, frames=frames, script=script,
                           templates=[templates["obama"]], thresholds=liveness.thresholds,
                           workers=2, width=320)
    assert result.verdict.outcome == "fail"
    assert "flat_face" in result.verdict.reasons
    assert result.verdict.scores["turn_left_planarity"] >= 0.85
