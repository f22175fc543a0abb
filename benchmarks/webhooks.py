"""``anxin bench webhooks``: many simulated Twilio calls through signed webhooks, in process.

The calls start over ``ramp`` seconds and each caller listens ``think`` seconds between
webhooks (a real prompt takes longer), so that all of them are in flight together, as on a
busy line, instead of every request landing in the same millisecond.

Requests go straight into the ASGI app, as a server such as uvicorn hands them over: the
figures are the app's own time, without an HTTP client's work mixed in (an in-process client
shares the one event loop with the app and roughly doubled the cost of a small request).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import typer
from pydantic import SecretStr
from starlette.types import ASGIApp, Message
from twilio.request_validator import RequestValidator

from benchmarks.serving import create_app
from config.settings import Settings
from runtime.clock import SystemClock

BASE = "https://bench.anxin.invalid"
ACCOUNT = "AC" + "0" * 32


def _settings(data_dir: Path, token: str) -> Settings:
    return Settings(data_dir=data_dir, secret_key=SecretStr(secrets.token_urlsafe(40)),
                    biometric_key=SecretStr(secrets.token_urlsafe(40)),
                    telephony="twilio", twilio_account_sid=ACCOUNT,
                    twilio_auth_token=SecretStr(token), twilio_from_number="+15005550006",
                    public_base_url=BASE, log_level="WARNING",
                    mqtt_enabled=False)  # no broker: webhooks only


@dataclass
class WebhookAnswer:
    status: int = 0
    body: bytearray = field(default_factory=bytearray)

    @property
    def text(self) -> str:
        return self.body.decode()


async def post_form(app: ASGIApp, path: str, form: dict[str, str],
                    headers: dict[str, str]) -> WebhookAnswer:
    """One form POST handed to the ASGI app as a server would; the status and body."""
    body = urlencode(form).encode()
    route, _, query = path.partition("?")
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "https", "path": route, "raw_path": route.encode(), "root_path": "",
        "query_string": query.encode(), "client": ("127.0.0.1", 40000),
        "server": ("bench.anxin.invalid", 443),
        "headers": [(b"host", b"bench.anxin.invalid"),
                    (b"content-type", b"application/x-www-form-urlencoded"),
                    (b"content-length", str(len(body)).encode()),
                    *((name.lower().encode(), value.encode()) for name, value in headers.items())],
    }
    answer = WebhookAnswer()
    finished = asyncio.Event()
    sent_body = False

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")
            if not message.get("more_body", False):
                finished.set()

    await app(scope, receive, send)
    finished.set()
    return answer


async def _one_call(app: ASGIApp, validator: RequestValidator, number: int,
                    timings: list[float], *, start: float = 0.0, think: float = 0.0) -> None:
    """Incoming, one key press, then the status callback: three signed webhooks."""
    await asyncio.sleep(start)
    sid = f"CA{number:032d}"
    incoming = {"CallSid": sid, "From": f"+86137{number:08d}", "To": "+15005550006",
                "CallStatus": "ringing"}
    response = await _signed_post(app, validator, "/telephony/twilio/incoming", incoming,
                                  timings)
    call_id = response.text.split("call_id=")[1].split('"')[0]
    await asyncio.sleep(think)
    await _signed_post(app, validator, f"/telephony/twilio/gather?call_id={call_id}",
                       {"CallSid": sid, "Digits": "2"}, timings)
    await asyncio.sleep(think)
    await _signed_post(app, validator, "/telephony/twilio/status",
                       {"CallSid": sid, "CallStatus": "completed"}, timings)


async def _signed_post(app: ASGIApp, validator: RequestValidator, path: str,
                       form: dict[str, str], timings: list[float]) -> WebhookAnswer:
    headers = {"X-Twilio-Signature": validator.compute_signature(BASE + path, form)}
    started = time.perf_counter()
    response = await post_form(app, path, form, headers)
    timings.append(time.perf_counter() - started)
    if response.status >= 400:
        raise RuntimeError(f"{path} answered {response.status}: {response.text}")
    return response


async def run(calls: int = 200, *, ramp: float = 2.0, think: float = 2.0) -> dict[str, Any]:
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(_settings(Path(scratch), token), clock=SystemClock())
        validator = RequestValidator(token)
        timings: list[float] = []
        async with app.router.lifespan_context(app):
            cpu_started = time.process_time()
            started = time.perf_counter()
            await asyncio.gather(*(
                _one_call(app, validator, n, timings, start=ramp * n / calls, think=think)
                for n in range(calls)))
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
    ordered = sorted(timings)
    return {
        "bench": "webhooks", "calls": calls, "requests": len(timings),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000, 1),
        "calls_per_s": round(calls / elapsed, 1),
        "requests_per_s": round(len(timings) / elapsed, 1), "ramp_s": ramp, "think_s": think,
        # The whole process's CPU (background loops too) over the run, per webhook.
        "cpu_ms_per_webhook": round(cpu * 1000 / len(timings), 2),
        "target_p99_ms": 50,
    }


def command(
    calls: Annotated[int, typer.Option(min=1, help="concurrent simulated calls")] = 200,
    ramp: Annotated[float, typer.Option(min=0, help="seconds over which calls start")] = 2.0,
    think: Annotated[float, typer.Option(min=0, help="caller's seconds between webhooks")] = 2.0,
) -> None:
    """Concurrent simulated calls through signed Twilio webhooks (in process, no network)."""
    result = asyncio.run(run(calls, ramp=ramp, think=think))
    typer.echo(json.dumps(result, ensure_ascii=False))
