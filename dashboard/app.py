"""The application factory and the one lifespan that owns every resource."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import delete

from accounts import audit_names
from accounts import service as accounts_service
from accounts.models import StaffSession
from accounts.router import router as accounts_router
from accounts.runtime import ACCOUNTS
from alarms import feed as alarm_feed
from alarms import flows as alarm_flows
from alarms import service as alarms_service
from alarms.health import router as health_router
from alarms.router import router as alarms_router
from alerts import flows as alert_flows
from alerts.router import router as alerts_router
from backups.flows import backup_loop
from backups.router import router as drills_router
from callcenter import flows as callcenter_flows
from callcenter import router as callcenter_router
from callcenter import simulator_router, twilio_router
from callcenter.knowledge.router import router as knowledge_router
from callcenter.kpis.router import router as kpis_router
from callcenter.lifespan import CALLCENTER
from callcenter.planning.router import router as staffing_router
from callcenter.recordings import flows as recording_flows
from callcenter.recordings import router as recordings_router
from callcenter.routing import flows as routing_flows
from callcenter.routing.lifespan import ROUTING
from callcenter.routing.router import router as routing_router
from cluster.event_log import StoredEventLog
from cluster.jobs import once_per_cluster, prune_event_log
from cluster.leases import Leases, instance_name
from config.settings import Settings, prepare_data_dir, prepare_secrets
from dashboard import (
    api_docs,
    demo,
    errors,
    health,
    live,
    metrics,
    navigation,
    openapi_doc,
    pages,
    scoping,
)
from dashboard.body_limit import BodyLimit, LimitRequestBodies
from dashboard.security_headers import SecurityHeaders
from devices import service as devices_service
from devices.lifespan import (
    DEVICES,
    purge_dead_letters,
    run_demo_fleet,
    run_ingest,
    run_watch_gateway,
)
from devices.router import router as devices_router
from dispatch import flows as dispatch_flows
from dispatch import responders as dispatch_responders
from dispatch import schedules as dispatch_schedules
from dispatch.provider_page import router as provider_page_router
from dispatch.router import router as dispatch_router
from incidents.router import router as incidents_router
from liveness.loops import liveness_housekeeping
from liveness.router import pages as liveness_pages
from liveness.router import router as liveness_router
from liveness.runtime import LIVENESS
from liveness.schemas import ENROLMENT_BODY_LIMIT, FRAMES_BODY_LIMIT
from messaging import flows as messaging_flows
from messaging import router as messaging_router
from messaging.lifespan import MESSAGING
from reports.router import router as reports_router
from retention.flows import retention_loop
from runtime import heap
from runtime.bus import EventBus
from runtime.clock import Clock, SystemClock
from runtime.context import Runtime
from runtime.parts import Part, open_parts
from seniors import areas as seniors_areas
from seniors import service as seniors_service
from seniors.router import router as seniors_router
from storage.engine import create_sessionmaker, settings_engine
from storage.migrate import upgrade

log = logging.getLogger(__name__)
BackgroundTask = Callable[[Runtime], Awaitable[None]]

ROUTERS = [
    twilio_router.router,  # first: FastAPI tries routers in order, and webhooks must be quick
    health.router,
    metrics.router,
    accounts_router,
    seniors_router,
    alarms_router,
    alerts_router,
    health_router,
    staffing_router,
    knowledge_router,
    kpis_router,
    routing_router,
    callcenter_router.router,
    simulator_router.router,
    live.router,
    navigation.router,
    pages.router,
    devices_router,
    dispatch_router,
    provider_page_router,
    liveness_router,
    liveness_pages,
    incidents_router,
    messaging_router.router,
    messaging_router.receipts,
    messaging_router.pages,
    recordings_router.router,
    drills_router,
    reports_router,
]


async def purge_expired_sessions(runtime: Runtime) -> None:
    """Every hour, forget log-in sessions that have expired and day-old log-in failures."""
    while True:
        async with runtime.sessions() as session:
            now = runtime.clock.now()
            await session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
            await accounts_service.forget_old_failures(session, before=now - timedelta(days=1))
            await session.commit()
        await runtime.clock.sleep(timedelta(hours=1).total_seconds())


# Each domain that needs a loop adds it here; the lifespan runs them in one task group. A loop
# that must run on one instance of the cluster at a time is wrapped in once_per_cluster.
BACKGROUND_TASKS: list[BackgroundTask] = [
    run_ingest,  # every instance: the broker shares the subscription among them
    run_watch_gateway,  # every instance: watches connect to whichever a balancer picks
    *map(once_per_cluster, [
        purge_expired_sessions,
        run_demo_fleet,
        purge_dead_letters,
        alarm_flows.escalation_loop,
        alarm_flows.time_rules_loop,
        alarm_feed.feed_loop,
        routing_flows.routing_loop,
        alert_flows.watch_health,
        callcenter_flows.sweep_forever,
        callcenter_flows.follow_alarms,
        dispatch_flows.run_dispatch_timers,
        dispatch_responders.responder_loop,
        dispatch_responders.tell_family_loop,
        dispatch_schedules.run_schedules,
        liveness_housekeeping,
        messaging_flows.retry_loop,
        recording_flows.recording_loop,
        retention_loop,
        backup_loop,
        prune_event_log,
    ]),
]
# Only uploads may be larger than the default body limit (1 MiB).
BODY_LIMITS = [
    BodyLimit(r"/api/v1/liveness/sessions/[^/]+/frames", FRAMES_BODY_LIMIT),
    BodyLimit(r"/liveness/capture/[^/]+/sessions/[^/]+/frames", FRAMES_BODY_LIMIT),
    BodyLimit(r"/api/v1/liveness/seniors/[^/]+/enrolment", ENROLMENT_BODY_LIMIT),
]
# Each domain's resources (broker client, phone network, process pool) as a part that names
# the parts it needs: opened top to bottom after the database, closed bottom to top. The order
# is checked at start-up, not sorted (runtime/parts.py says why).
LIFESPAN_PARTS: list[Part[Any]] = [ACCOUNTS, DEVICES, ROUTING, CALLCENTER,
                                   MESSAGING, dispatch_flows.DISPATCH, LIVENESS]


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the application; nothing is opened until the lifespan starts."""
    settings = prepare_secrets(settings or Settings())
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings, clock) as runtime, \
                open_parts(runtime, LIFESPAN_PARTS):
            app.state.runtime = runtime
            with heap.settled(runtime.settings.settle_heap):
                async with run_background(runtime):
                    yield

    open_docs = settings.demo  # outside demo mode the API document is for signed-in staff
    app = FastAPI(title="Anxin 12349", version="0.1.0", lifespan=lifespan, redoc_url=None,
                  docs_url="/docs" if open_docs else None,
                  openapi_url="/openapi.json" if open_docs else None)
    # The last added runs first: headers on every answer, then measuring, then the body limit.
    app.add_middleware(LimitRequestBodies, routes=BODY_LIMITS)
    app.add_middleware(metrics.MeasureRequests)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(scoping.OneScopePerRequest)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    audit_names.register("senior", seniors_service.names_of)
    seniors_areas.register_move("alarms", alarms_service.move_open_alarms)
    scoping.guard_paths()
    seniors_areas.register_move("devices", devices_service.move_devices)
    if not open_docs:
        app.include_router(api_docs.router)
    openapi_doc.document(app, ROUTERS)
    # Before /static, which would otherwise answer for it. Missing until scripts/setup ran npm.
    app.mount("/static/vendor/uplot", StaticFiles(directory=pages.UPLOT_DIR, check_dir=False),
              name="uplot")
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    return app


@asynccontextmanager
async def open_runtime(settings: Settings, clock: Clock) -> AsyncIterator[Runtime]:
    """Open the database (migrated, and seeded in demo mode), the event bus over the stored
    event log, and this instance's side of the cluster's leases."""
    prepare_data_dir(settings.data_dir)
    engine = settings_engine(settings)
    try:
        await upgrade(engine)
        sessions = create_sessionmaker(engine)
        name = instance_name()
        bus = EventBus(clock=clock, buffer_size=settings.live_buffer_size,
                       log=StoredEventLog(engine, sessions, origin=name))
        runtime = Runtime(settings=settings, clock=clock, engine=engine, sessions=sessions,
                          bus=bus, leases=Leases(sessions, holder=name,
                                                 term_seconds=settings.cluster_lease_seconds))
        async with bus.running():
            if settings.demo:
                await demo.seed(runtime)
            yield runtime
    finally:
        await engine.dispose()


@asynccontextmanager
async def run_background(runtime: Runtime) -> AsyncIterator[None]:
    """Run every background loop in one task group; cancel and await them on the way out."""
    async with asyncio.TaskGroup() as group:
        loops = BACKGROUND_TASKS if runtime.settings.run_background_tasks else []
        tasks = [group.create_task(supervised(task, runtime), name=task.__name__)
                 for task in loops]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()


# A crashed loop starts again after a pause that grows while it keeps crashing: a one-off (the
# victim of a database deadlock, a dropped connection) costs a fifth of a second, where every
# crash used to cost 5 s (an SOS waited that long for a restarted rules feed); one that fails
# on every start is retried every 5 s, not spun. A loop that ran a minute counts as fresh.
RESTART_PAUSES = (0.2, 1.0, 5.0)
RAN_WELL_SECONDS = 60.0


def restart_pause(crashes_in_a_row: int) -> float:
    """Seconds to wait before restarting a loop that crashed that many times running."""
    return RESTART_PAUSES[min(crashes_in_a_row, len(RESTART_PAUSES)) - 1]


async def supervised(task: BackgroundTask, runtime: Runtime) -> None:
    """Keep a loop alive: log a crash loudly and start it again after a pause."""
    crashes = 0
    while True:
        started = time.monotonic()
        try:
            await task(runtime)
            return
        except Exception:
            ran_well = time.monotonic() - started >= RAN_WELL_SECONDS
            crashes = 1 if ran_well else crashes + 1
            pause = restart_pause(crashes)
            log.exception("background task %s crashed; restarting in %.1f s",
                          task.__name__, pause)
            await asyncio.sleep(pause)

