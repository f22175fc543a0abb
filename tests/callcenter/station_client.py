"""A border station's browser, reduced to its live feed: run inside a network namespace by
tests/callcenter/test_station_link.py. It prints every message as one JSON line, says
``{"type": "lost"}`` when the link lapses, and reconnects with the last event number it saw
(``?since=&epoch=``) until the platform answers again, as the dashboard's live.js does.

    python tests/callcenter/station_client.py ws://10.231.7.1:8123/api/v1/live TOKEN
"""

from __future__ import annotations

import asyncio
import json
import sys

import websockets

PING_SECONDS = 0.5  # notices a dead link quickly (the platform pings too)
RETRY_SECONDS = 0.2


def emit(message: dict[str, object]) -> None:
    print(json.dumps(message, ensure_ascii=False), flush=True)


async def follow(url: str, token: str) -> None:
    seq, epoch = 0, ""
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        resume = f"?since={seq}&epoch={epoch}" if epoch else ""
        try:
            async with websockets.connect(url + resume, additional_headers=headers,
                                          ping_interval=PING_SECONDS,
                                          ping_timeout=PING_SECONDS, open_timeout=2) as feed:
                async for raw in feed:
                    message = json.loads(raw)
                    epoch = str(message.get("epoch", epoch))
                    seq = max(seq, int(message.get("seq", 0)))
                    emit(message)
        except (OSError, TimeoutError, websockets.ConnectionClosed):
            pass
        emit({"type": "lost", "seq": seq})
        await asyncio.sleep(RETRY_SECONDS)


if __name__ == "__main__":
    asyncio.run(follow(sys.argv[1], sys.argv[2]))
