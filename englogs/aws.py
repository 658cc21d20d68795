"""Real boto3 clients against moto's in-process AWS, with no account and no network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto import mock_aws

REGION = "eu-west-1"
# AWS's documented example credentials: never real, and known to secret scanners.
EXAMPLE_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@contextmanager
def local_aws(region: str = REGION) -> Iterator[boto3.Session]:
    """A boto3 session whose every call is served by moto in this process.

    Sets throwaway credentials first so boto3 can never pick up a real profile.
    """
    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ.update(
        AWS_ACCESS_KEY_ID=EXAMPLE_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=EXAMPLE_SECRET_ACCESS_KEY,
        AWS_DEFAULT_REGION=region,
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        with mock_aws():
            yield boto3.Session(region_name=region)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def redact(secret: str, keep: int = 4) -> str:
    """Show only the first ``keep`` characters of a credential, for printing in a post."""
    return secret[:keep] + "…" if len(secret) > keep else "…"
