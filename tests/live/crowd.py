"""Many clients posting at one moment, each on its own connection (the live race tests)."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int  # 0: no HTTP answer at all (the body says why)
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def post_at_once(posts: list[tuple[str, str, dict[str, Any]]], *, wait: float = 120) -> list[Answer]:
    """POST each (base URL, path, JSON body) from its own thread, released by one barrier.

    Each client connects first and then waits for the others, so the requests reach the
    server together; the answers come back in the order of `posts`.
    """
    barrier = threading.Barrier(len(posts))
    answers = [Answer(0, "no answer")] * len(posts)

    def client(i: int) -> None:
        base, path, payload = posts[i]
        url = urlsplit(base)
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
        try:
            conn.connect()
            barrier.wait(timeout=30)
            conn.request("POST", path, json.dumps(payload), {"Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
            try:
                answers[i] = Answer(response.status, json.loads(raw), headers)
            except ValueError:
                answers[i] = Answer(response.status, raw[:500], headers)
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertions
            answers[i] = Answer(0, repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=wait)
    assert not any(thread.is_alive() for thread in threads), f"clients still waiting after {wait} s"
    return answers
