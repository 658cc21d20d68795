"""detect-secrets plugins for the credentials detect-secrets 1.5 does not know.

Each is a ``RegexBasedDetector``, detect-secrets' own base class, so it reports like the
built-in plugins; ``sitegen.secret_scan`` runs them after those.
"""

from __future__ import annotations

import re

from detect_secrets.plugins.base import RegexBasedDetector


class AWSSecretAccessKeyDetector(RegexBasedDetector):
    """An AWS secret key named as boto3, the CLI or an env var names it."""

    secret_type = "AWS Secret Access Key"
    denylist = (
        re.compile(
            r"(?i)(?:aws_?secret_?access_?key|secret_?access_?key|SecretAccessKey)"
            r"[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
        ),
    )


class GitHubFineGrainedTokenDetector(RegexBasedDetector):
    """GitHub's fine-grained personal access tokens (detect-secrets 1.5 knows only gh*_)."""

    secret_type = "GitHub Fine-grained Token"
    denylist = (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{60,}"),)


class OpenAIProjectKeyDetector(RegexBasedDetector):
    """OpenAI project, service-account and admin keys, with or without the T3BlbkFJ marker."""

    secret_type = "OpenAI Token"
    denylist = (re.compile(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"),)
