"""A local stand-in for Vertex AI's Gemini ``generateContent`` endpoint, for the real SDK.

What moto is to boto3, this is to ``google-genai``: the client, its request building, auth
header, JSON (de)serialisation, ``response.parsed`` schema handling and ``errors.APIError``
mapping are the real SDK's; only the server on ``127.0.0.1`` is ours. The answers come from a
*responder* the caller supplies, so a notebook can script a model that answers correctly,
breaks the schema, obeys instructions injected into a document, or invents values.

What it cannot show: how often a real model does any of that. The error mix is the caller's.

The path format is the SDK's (``google/genai/_api_client.py``, ``_build_request``): with
``vertexai=True``, a project and a location, a request goes to
``{base_url}/v1beta1/projects/{project}/locations/{location}/publishers/google/models/
{model}:generateContent`` with ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

PROJECT, LOCATION = "demo-project", "europe-west4"
_HOST = "127.0.0.1"  # loopback only: nothing outside this machine can reach the fake
_PATH = re.compile(
    r"^/(?P<version>v1(?:beta1?)?)/"
    r"(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"(?:publishers/google/)?models/(?P<model>[^/:]+):generateContent$"
)
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True)
class GenerateRequest:
    """One ``generateContent`` call as the fake received it."""

    path: str
    model: str
    project: str | None
    texts: tuple[str, ...]  # every text part of every content, in order
    generation_config: dict[str, Any]
    authorization: str | None


@dataclass(frozen=True)
class Reply:
    """What the fake model answers: a text candidate, or an HTTP error."""

    text: str | None = None
    status: int = 200
    finish_reason: str = "STOP"

    @classmethod
    def json(cls, payload: Any) -> Reply:
        return cls(text=json.dumps(payload))

    @classmethod
    def error(cls, status: int, message: str) -> Reply:
        return cls(status=status, text=message)


Responder = Callable[[GenerateRequest], Reply]


def _error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": _STATUS_NAMES.get(status, "")}}


def _answer_body(reply: Reply, model: str) -> dict[str, Any]:
    part = {"text": reply.text if reply.text is not None else ""}
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [part]}, "finishReason": reply.finish_reason}
        ],
        "modelVersion": model,
        "usageMetadata": {"promptTokenCount": 0, "candidatesTokenCount": 0},
    }


def parse_request(path: str, body: dict[str, Any], authorization: str | None) -> GenerateRequest:
    """The request's route and text parts; ``ValueError`` for a path the SDK would not send."""
    match = _PATH.match(path)
    if match is None:
        raise ValueError(f"no such method: {path}")
    texts = tuple(
        part["text"]
        for content in body.get("contents", [])
        for part in content.get("parts", [])
        if isinstance(part, dict) and "text" in part
    )
    return GenerateRequest(
        path=path,
        model=match["model"],
        project=match["project"],
        texts=texts,
        generation_config=body.get("generationConfig", {}),
        authorization=authorization,
    )


@dataclass
class FakeGenAI:
    """A ``generateContent`` server on 127.0.0.1 (port 0), used as a context manager."""

    responder: Responder
    requests: list[GenerateRequest] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake endpoint is not running; use it as a context manager")
        return f"http://{_HOST}:{self._server.server_address[1]}"

    def __enter__(self) -> FakeGenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                    request = parse_request(self.path, body, self.headers.get("Authorization"))
                except ValueError as exc:  # also json.JSONDecodeError
                    self._send(404, _error_body(404, str(exc)))
                    return
                with fake._lock:
                    fake.requests.append(request)
                reply = fake.responder(request)
                if reply.status != 200:
                    self._send(reply.status, _error_body(reply.status, reply.text or ""))
                else:
                    self._send(200, _answer_body(reply, request.model))

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status, HTTPStatus(status).phrase)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep notebook output clean

        self._server = ThreadingHTTPServer((_HOST, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None


def vertex_client(base_url: str, *, timeout_ms: int = 10_000) -> genai.Client:
    """A real Vertex AI client (project, location, OAuth token) aimed at ``base_url``.

    The token is a dummy: nothing here can reach Google. No SDK retries (``retry_options``
    unset), so a 429 surfaces at once as ``errors.ClientError`` and the queue does the retrying.
    """
    return genai.Client(
        vertexai=True,
        project=PROJECT,
        location=LOCATION,
        credentials=Credentials(token="dummy-token"),
        http_options=types.HttpOptions(base_url=base_url, timeout=timeout_ms),
    )
