"""The secret corpus: a file per way a credential reaches a page, and the finding for each.

Keys are assembled at run time from a seeded generator, so this file holds none.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen import secret_plugins
from sitegen.secret_scan import (
    SITE_SUFFIXES,
    SOURCE_SUFFIXES,
    notebook_text,
    scan_files,
    scan_text,
)

RNG = random.Random(12)
UPPER = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits


def _random(n: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


AWS_ID = "AKIA" + _random(16, UPPER)
AWS_SECRET = _random(40, ALNUM + "/+")
PEM = "\n".join(
    ["-----BEGIN " + "RSA PRIVATE KEY-----", *[_random(64) for _ in range(4)], "-----END RSA"]
)
PGP = "-----BEGIN PGP " + "PRIVATE KEY BLOCK-----\n\n" + _random(64) + "\n"
GITHUB_PAT = "github_" + "pat_" + _random(22) + "_" + _random(59)
OPENAI = "sk-" + "proj-" + _random(48) + "T3Blbk" + "FJ" + _random(40)
GITLAB = "gl" + "pat-" + _random(20)
PYPI = "pypi-" + "AgEIcHlwaS5vcmc" + _random(80)
ZWSP = "\u200b"


def _highlighted_pem() -> str:
    # What Pygments makes of a PEM header: the words in separate spans.
    return (
        '<div class="highlight"><pre><span></span><span class="gh">-----BEGIN</span>'
        '<span class="w"> </span><span class="n">RSA</span><span class="w"> </span>'
        '<span class="n">PRIVATE</span><span class="w"> </span>'
        '<span class="n">KEY-----</span>\n</pre></div>'
    )


def _entities(value: str) -> str:
    return "".join(f"&#{ord(c)};" for c in value)


# case -> (file name, content, expected kind)
CORPUS: dict[str, tuple[str, Callable[[], str], str]] = {
    "pem-file": ("server.pem", lambda: PEM, "Private Key"),
    "pem-highlighted-html": ("post.html", _highlighted_pem, "Private Key"),
    "boto3-secret": (
        "creds.py",
        lambda: f"{{'AccessKeyId': 'ASIAIOSFODNN7EXAMPLE', 'SecretAccessKey': '{AWS_SECRET}'}}",
        "AWS Secret Access Key",
    ),
    "aws-id-in-text": ("notes.txt", lambda: f"id={AWS_ID}", "AWS Access Key"),
    "github-fine-grained": (
        "out.json",
        lambda: f'{{"token": "{GITHUB_PAT}"}}',
        "GitHub Fine-grained Token",
    ),
    "pgp-private-key": ("key.asc.txt", lambda: PGP, "Private Key"),
    "base64-pem": (
        "config.json",
        lambda: f'{{"key": "{base64.b64encode(PEM.encode()).decode()}"}}',
        "Private Key",
    ),
    "openai-project-key": ("page.html", lambda: f"<code>{OPENAI}</code>", "OpenAI Token"),
    "gitlab-token": ("ci.yml", lambda: f"token: {GITLAB}", "GitLab Token"),
    "pypi-token": ("pypirc.txt", lambda: f"password = {PYPI}", "PyPI Token"),
    "zero-width-split": (
        "post.md",
        lambda: f"key {AWS_ID[:8]}{ZWSP}{AWS_ID[8:]} here",
        "AWS Access Key",
    ),
    "key-in-svg": (
        "figure.svg",
        lambda: f'<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="2">{AWS_ID}</text></svg>',
        "AWS Access Key",
    ),
    "html-entities": ("entities.html", lambda: f"<p>{_entities(AWS_ID)}</p>", "AWS Access Key"),
    "split-by-empty-tags": (
        "split.html",
        lambda: f"<p>{AWS_ID[:6]}<b></b>{AWS_ID[6:12]}<span></span>{AWS_ID[12:]}</p>",
        "AWS Access Key",
    ),
    "key-in-js": (
        "searchindex.js",
        lambda: f'Search.setIndex({{"t":"{AWS_ID}"}})',
        "AWS Access Key",
    ),
    # A download notebook: a hidden cell's output, beside code with a regex look-behind,
    # whose "<![" Python 3.11's HTML parser refuses with an AssertionError.
    "key-in-a-downloaded-notebook": (
        "post.ipynb",
        lambda: (
            '{"cells": [{"source": "re.compile(r\\"(?<![\\\\w-])token\\")", '
            f'"outputs": [{{"text": "{AWS_ID}"}}]}}]}}'
        ),
        "AWS Access Key",
    ),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_each_corpus_file_gives_its_finding(case: str, tmp_path: Path) -> None:
    name, content, kind = CORPUS[case]
    path = tmp_path / name
    path.write_text(content(), encoding="utf-8")
    # Included files are scanned whatever their suffix; the built site by SITE_SUFFIXES.
    findings = scan_files([path], tmp_path, suffixes=None)
    assert [f.kind for f in findings] == [kind], findings
    assert findings[0].path == name
    assert not any(secret in str(findings[0]) for secret in (AWS_ID, AWS_SECRET, GITLAB, PYPI))


def test_the_site_and_source_scans_read_the_files_readers_can_fetch() -> None:
    assert {".html", ".svg", ".js", ".json", ".xml", ".txt", ".ipynb"} <= SITE_SUFFIXES
    assert {".md", ".ipynb", ".py"} <= SOURCE_SUFFIXES


@pytest.mark.parametrize(
    "documented",
    [
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "'SecretAccessKey': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'",
    ],
)
def test_only_the_documented_example_values_are_allowed(documented: str) -> None:
    assert scan_text(documented, "x") == []


def test_a_key_merely_containing_example_is_not_allowed() -> None:
    lookalike = "AKIA" + "EXAMPLE" + _random(9, UPPER)
    assert [f.kind for f in scan_text(f"id={lookalike}", "x")] == ["AWS Access Key"]
    secret = "wJalrXUtnFEMI/K7MDENG/" + _random(8) + "EXAMPLEKEY"
    found = scan_text(f"aws_secret_access_key = {secret}", "x")
    assert "AWS Secret Access Key" in [f.kind for f in found]


def test_the_secret_plugins_run_after_detect_secrets_own() -> None:
    from sitegen.secret_scan import plugins

    ours = {
        secret_plugins.AWSSecretAccessKeyDetector,
        secret_plugins.GitHubFineGrainedTokenDetector,
        secret_plugins.OpenAIProjectKeyDetector,
    }
    kinds = [type(plugin) for plugin in plugins()]
    assert set(kinds[-3:]) == ours and len(kinds) > 15
    assert not {"Secret Keyword", "Hex High Entropy String"} & {p.secret_type for p in plugins()}


def test_a_notebook_is_read_as_its_text_without_raster_images() -> None:
    notebook = {
        "cells": [
            {
                "source": ["key = (\n", "    'abc')\n"],
                "outputs": [
                    {"data": {"image/png": "iVBORw0KGgo=", "image/svg+xml": ["<svg>x</svg>"]}},
                    {"data": {"application/papermill.record/image/png": "iVBORw0KGgo="}},
                ],
            }
        ]
    }
    text = notebook_text(json.dumps(notebook))
    assert "key = (\n    'abc')\n" in text and "<svg>x</svg>" in text
    assert "iVBOR" not in text
    assert notebook_text("{not json") == "{not json"
