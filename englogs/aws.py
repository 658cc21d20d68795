"""Real boto3 clients against moto's in-process AWS, with no account and no network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto import mock_aws

REGION = "eu-west-1"
# AWS's documented example key id: never real, and known to secret scanners.
EXAMPLE_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
# Variables that could point boto3 at a real account; hidden while moto serves the calls.
_REAL_ACCOUNT_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION")


@contextmanager
def local_aws(region: str = REGION) -> Iterator[boto3.Session]:
    """A boto3 session whose every call is served by moto in this process.

    moto swaps in throwaway credentials; we also hide any profile or session token so a
    reader's real account can never be used, and restore everything afterwards.
    """
    saved = {key: os.environ.pop(key, None) for key in _REAL_ACCOUNT_ENV}
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        with mock_aws():
            yield boto3.Session(region_name=region)
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value


def redact(secret: str, keep: int = 4) -> str:
    """Show only the first ``keep`` characters of a credential, for printing in a post."""
    return secret[:keep] + "…" if len(secret) > keep else "…"
