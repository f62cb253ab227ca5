"""Real HTTP servers on 127.0.0.1 for the matcher tests: a scoring service and an LLM.

Each runs ``http.server`` in a daemon thread, answers deterministically, counts
what it receives, and can be told to misbehave (slow answers, 500s, 429 with
Retry-After, malformed JSON) for the next requests.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def resume_score(text: str, years: Any = 0) -> float:
    """The scoring service's model: python mentions and experience."""
    return round(min(1.0, 0.3 * str(text).lower().count("python") + 0.05 * float(years or 0)), 6)


class _Server:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.faults: list[str] = []
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.inflight = 0
        self.max_inflight = 0
        self.delay = 0.0
        self.on_request: Any = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer._handle(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _send(self, handler: Any, status: int, payload: bytes, headers: dict | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
            handler.wfile.write(payload)

    def _handle(self, handler: Any, raw: bytes) -> None:
        with self.lock:
            self.requests += 1
            fault = self.faults.pop(0) if self.faults else None
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            self.headers.append(dict(handler.headers))
        try:
            if self.delay:
                time.sleep(self.delay)
            if fault is not None and fault.isdigit():  # e.g. "500", "401"
                return self._send(handler, int(fault), b'{"error": "boom"}')
            if fault is not None and fault.startswith("429"):
                wait = fault.partition(":")[2] or "1"
                return self._send(handler, 429, b"{}", {"Retry-After": wait})
            if fault is not None and fault.startswith("slow"):
                time.sleep(float(fault.partition(":")[2] or 1.0))
            if fault == "malformed":
                return self._send(handler, 200, b'{"scores": [0.1, oops')
            body = json.loads(raw)
            with self.lock:
                self.bodies.append(body)
            self._send(handler, 200, json.dumps(self.answer(body)).encode())
        finally:
            with self.lock:
                self.inflight -= 1
            if self.on_request is not None:
                self.on_request(self)

    def answer(self, body: dict) -> dict:
        raise NotImplementedError


class ScoringServer(_Server):
    """``POST /score`` with ``{"job", "candidates"}`` -> ``{"scores": [...]}``."""

    def __init__(self) -> None:
        super().__init__()
        self.scored: Counter = Counter()

    def answer(self, body: dict) -> dict:
        candidates = body["candidates"]
        with self.lock:
            self.scored.update(str(c["id"]) for c in candidates)
        return {
            "model": "toy-1",
            "scores": [
                resume_score(c.get("resume_text", ""), c.get("years_experience"))
                for c in candidates
            ],
        }


_CANDIDATE = re.compile(r"Candidate:\n(.*?)\n\nScore", re.S)
_LISTED = re.compile(r"\[(\d+)\]\n(.*?)(?=\n\n\[\d+\]|\n\nRanking:)", re.S)


class ChatServer(_Server):
    """An OpenAI-compatible ``/v1/chat/completions`` with deterministic answers.

    Score prompts get ``10 + 30 * (python mentions)`` (capped at 100), or an
    unparseable sentence when the resume says GARBAGE. Rank prompts get the
    candidates ordered by python mentions (ties: listing order), or with
    ``position_biased = True`` always the order they were listed in.
    """

    def __init__(self) -> None:
        super().__init__()
        self.position_biased = False
        self.prompts: Counter = Counter()

    def answer(self, body: dict) -> dict:
        prompt = body["messages"][-1]["content"]
        with self.lock:
            self.prompts[prompt] += 1
        listed = _LISTED.findall(prompt)
        if listed:
            order = [int(i) for i, _ in listed]
            if any("GARBAGE" in t for _, t in listed):
                order = []
            elif not self.position_biased:
                order = sorted(order, key=lambda i: -listed[i - 1][1].lower().count("python"))
            text = ", ".join(map(str, order)) if order else "They all look great!"
        else:
            match = _CANDIDATE.search(prompt)
            resume = match.group(1) if match else ""
            if "GARBAGE" in resume:
                text = "I cannot assess this candidate."
            else:
                text = str(min(100, 10 + 30 * resume.lower().count("python")))
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
        }
