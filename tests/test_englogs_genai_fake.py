"""The real google-genai SDK against the local generateContent fake."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from google.genai import errors, types
from pydantic import BaseModel

from englogs.genai_fake import PROJECT, FakeGenAI, GenerateRequest, Reply, vertex_client

MODEL = "gemini-2.5-flash"


class Fields(BaseModel):
    total: str | None
    iban: str | None


CONFIG = types.GenerateContentConfig(
    temperature=0.0, response_mime_type="application/json", response_schema=Fields
)


def _scripted(request: GenerateRequest) -> Reply:
    document = request.texts[-1]
    if document == "quota":
        return Reply.error(429, "resource exhausted")
    if document == "wrong type":
        return Reply(text='{"total": 12.5, "iban": null}')
    if document == "prose":
        return Reply(text="Sure! The total is 12.50.")
    return Reply.json({"total": "12.50", "iban": None})


@pytest.fixture
def fake() -> FakeGenAI:
    with FakeGenAI(_scripted) as server:
        yield server


def _ask(fake: FakeGenAI, document: str) -> types.GenerateContentResponse:
    client = vertex_client(fake.base_url)
    return client.models.generate_content(
        model=MODEL, contents=["Extract the fields.", document], config=CONFIG
    )


def test_sdk_sends_a_vertex_request_and_parses_the_schema(fake: FakeGenAI) -> None:
    response = _ask(fake, "Total: 12.50")
    assert response.parsed == Fields(total="12.50", iban=None)
    (request,) = fake.requests
    assert request.path == (
        f"/v1beta1/projects/{PROJECT}/locations/europe-west4/publishers/google/models/"
        f"{MODEL}:generateContent"
    )
    assert request.model == MODEL and request.project == PROJECT
    assert request.texts == ("Extract the fields.", "Total: 12.50")
    assert request.authorization == "Bearer dummy-token"
    schema = request.generation_config["responseSchema"]
    assert set(schema["properties"]) == {"total", "iban"}
    assert request.generation_config["responseMimeType"] == "application/json"


@pytest.mark.parametrize("document", ["wrong type", "prose"])
def test_schema_invalid_answers_leave_parsed_empty(fake: FakeGenAI, document: str) -> None:
    response = _ask(fake, document)
    assert response.parsed is None
    assert response.text  # the raw answer is still there to log


def test_http_errors_become_sdk_api_errors(fake: FakeGenAI) -> None:
    with pytest.raises(errors.ClientError) as caught:
        _ask(fake, "quota")
    assert caught.value.code == 429
    assert len(fake.requests) == 1  # no hidden SDK retries


def test_unknown_paths_get_404(fake: FakeGenAI) -> None:
    request = urllib.request.Request(
        f"{fake.base_url}/v1/models/x:countTokens", data=b"{}", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 404
    assert json.loads(caught.value.read())["error"]["code"] == 404
    assert fake.requests == []


def test_server_stops_on_exit() -> None:
    with FakeGenAI(_scripted) as server:
        url = server.base_url
    assert url.startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/v1/models/x:generateContent", data=b"{}", timeout=2)
