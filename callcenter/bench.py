"""``anxin bench webhooks``: many simulated Twilio calls through signed webhooks, in process.

The calls start over ``ramp`` seconds and each caller listens ``think`` seconds between
webhooks (a real prompt takes longer), so that all of them are in flight together, as on a
busy line, instead of every request landing in the same millisecond.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from config.settings import Settings
from runtime.clock import SystemClock

BASE = "https://bench.anxin.invalid"
ACCOUNT = "AC" + "0" * 32


def _settings(data_dir: Path, token: str) -> Settings:
    return Settings(data_dir=data_dir, secret_key=SecretStr(secrets.token_urlsafe(40)),
                    telephony="twilio", twilio_account_sid=ACCOUNT,
                    twilio_auth_token=SecretStr(token), twilio_from_number="+15005550006",
                    public_base_url=BASE, log_level="WARNING")


async def _one_call(http: httpx.AsyncClient, validator: RequestValidator, number: int,
                    timings: list[float], *, start: float = 0.0, think: float = 0.0) -> None:
    """Incoming, one key press, then the status callback: three signed webhooks."""
    await asyncio.sleep(start)
    sid = f"CA{number:032d}"
    incoming = {"CallSid": sid, "From": f"+86137{number:08d}", "To": "+15005550006",
                "CallStatus": "ringing"}
    response = await _signed_post(http, validator, "/telephony/twilio/incoming", incoming,
                                  timings)
    call_id = response.text.split("call_id=")[1].split('"')[0]
    await asyncio.sleep(think)
    await _signed_post(http, validator, f"/telephony/twilio/gather?call_id={call_id}",
                       {"CallSid": sid, "Digits": "2"}, timings)
    await asyncio.sleep(think)
    await _signed_post(http, validator, "/telephony/twilio/status",
                       {"CallSid": sid, "CallStatus": "completed"}, timings)


async def _signed_post(http: httpx.AsyncClient, validator: RequestValidator, path: str,
                       form: dict[str, str], timings: list[float]) -> httpx.Response:
    headers = {"X-Twilio-Signature": validator.compute_signature(BASE + path, form)}
    started = time.perf_counter()
    response = await http.post(path, data=form, headers=headers)
    timings.append(time.perf_counter() - started)
    if response.status_code >= 400:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text}")
    return response


async def run(calls: int = 200, *, ramp: float = 2.0, think: float = 2.0) -> dict[str, Any]:
    from dashboard.app import create_app  # the app includes this package; import it late

    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(_settings(Path(scratch), token), clock=SystemClock())
        validator = RequestValidator(token)
        timings: list[float] = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://internal") as http:
                started = time.perf_counter()
                await asyncio.gather(*(
                    _one_call(http, validator, n, timings, start=ramp * n / calls, think=think)
                    for n in range(calls)))
                elapsed = time.perf_counter() - started
    ordered = sorted(timings)
    return {
        "bench": "webhooks", "calls": calls, "requests": len(timings),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
        "calls_per_s": round(calls / elapsed, 1),
        "requests_per_s": round(len(timings) / elapsed, 1), "ramp_s": ramp, "think_s": think,
        "target_p99_ms": 50,
    }
