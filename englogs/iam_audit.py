"""Least privilege from logs, tested on logs it has not seen; and modelled posture checks.

Used by the post "IAM Best Practices Every Developer Ignores" and its lab
(``notebooks/iam-least-privilege-lab.ipynb``). Built on ``englogs.iam_policy``.

Least privilege from CloudTrail-style calls
-------------------------------------------
``policy_from_calls(calls)``
    An identity policy allowing exactly the observed ``(action, resource)`` pairs, S3 object
    ARNs widened to their first-level prefix (``generalise``). Resource names are escaped, so a
    key containing ``*`` or ``?`` never becomes a wildcard.
``replay(policy, calls)``
    Which calls the policy allows, in order: the held-out test of a generated policy.
``replay_breaks(trail, train_days, replay_days)``
    Per role: train a policy on some days of a trail, replay later days, return the denied
    (role, action) pairs with their denied-call counts.
``synthetic_trail(workload, days, seed)`` and ``expected_breaks(rates, window, horizon)``
    A seeded Poisson log (each action ``rate`` calls a day; one row per day, role, action and
    resource with a ``calls`` count) and the closed form for how many actions and calls a
    ``window``-day policy breaks in the next ``horizon`` days.

Modelled posture checks (not AWS services; each says what it stands for)
-----------------------------------------------------------------------
``passrole_findings(policy)``
    Mirrors IAM Access Analyzer's policy-validation warning ``PASS_ROLE_WITH_STAR_IN_RESOURCE``.
``external_access(resource_policy, resource, actions, owner_account)``
    Probes a resource policy with principals outside ``owner_account``: a probe-based stand-in
    for Access Analyzer's external-access findings, which AWS proves with automated reasoning
    over *all* principals rather than a handful of probes.
``imds_findings(instance)`` and ``imds_credentials_exposed(http_tokens, hop_limit, caller)``
    Reads ``MetadataOptions`` from ``ec2.describe_instances``; applies IMDSv2's documented
    rules (token from a ``PUT``, no token for a request carrying ``X-Forwarded-For``, the
    ``PUT`` response's IP TTL equals the hop limit) to a caller. A model, not an IMDS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from englogs.iam_policy import Policy, Request, evaluate, validate_policy, wildcard_match

__all__ = [
    "EXAMPLE_WORKLOAD",
    "IMDS_CALLERS",
    "Finding",
    "ImdsCaller",
    "expected_breaks",
    "external_access",
    "generalise",
    "imds_credentials_exposed",
    "imds_findings",
    "passrole_findings",
    "policy_from_calls",
    "replay",
    "replay_breaks",
    "synthetic_trail",
]

Workload = Mapping[str, Mapping[str, tuple[float, Sequence[str]]]]
_S3 = "arn:aws:s3:::"

# ----------------------------------------------------------------------------- policy from logs


def _literal(text: str) -> str:
    """Escape IAM wildcard characters so the text matches only itself (2012-10-17 policies)."""
    return re.sub(r"[*?$]", lambda m: "${" + m.group(0) + "}", text)


def generalise(arn: str) -> str:
    """A Resource pattern for an ARN: S3 objects widen to their first-level prefix."""
    bucket, _, key = arn.removeprefix(_S3).partition("/")
    if not arn.startswith(_S3) or not key:
        return _literal(arn)
    prefix = f"{key.split('/')[0]}/" if "/" in key else ""
    return f"{_S3}{_literal(bucket)}/{_literal(prefix)}*"


def policy_from_calls(calls: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Allow exactly the observed actions, each on the (generalised) resources it touched."""
    by_action: dict[str, set[str]] = {}
    for action, resource in calls:
        if not re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action):  # no wildcards from a log
            raise ValueError(f"not an IAM action: {action!r}")
        by_action.setdefault(action, set()).add(generalise(resource))
    if not by_action:
        raise ValueError("no calls to build a policy from")
    statements: dict[tuple[str, ...], list[str]] = {}  # one statement per resource set
    for action, patterns in sorted(by_action.items()):
        statements.setdefault(tuple(sorted(patterns)), []).append(action)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": list(resources)}
            for resources, actions in statements.items()
        ],
    }


def replay(policy: Policy, calls: Iterable[tuple[str, str]]) -> list[bool]:
    """For each (action, resource) call, whether ``policy`` allows it (repeats evaluated once)."""
    seen: dict[tuple[str, str], bool] = {}
    out = []
    for call in calls:
        if call not in seen:
            seen[call] = evaluate([policy], Request(*call)).allowed
        out.append(seen[call])
    return out


def replay_breaks(
    trail: pd.DataFrame, train_days: tuple[int, int], replay_days: tuple[int, int]
) -> pd.DataFrame:
    """Denied calls per (role, action) when each role's policy is trained on ``[a, b)`` days.

    ``trail`` has columns ``day``, ``role``, ``action``, ``resource`` (successful calls only)
    and optionally ``calls`` (rows that summarise several identical calls; default 1 each).
    A role with no calls in the training days gets no policy: every later call of it breaks.
    """
    (t0, t1), (r0, r1) = train_days, replay_days
    if not (t0 < t1 <= r0 < r1):
        raise ValueError(f"replay days {replay_days} must follow training days {train_days}")
    if "calls" not in trail.columns:
        trail = trail.assign(calls=1)
    keys = ["role", "action", "resource"]
    day = trail["day"].to_numpy()
    train = trail.loc[(day >= t0) & (day < t1), keys].drop_duplicates()
    later = trail.loc[(day >= r0) & (day < r1)]
    policies = {
        role: policy_from_calls(zip(seen["action"], seen["resource"], strict=True))
        for role, seen in train.groupby("role", observed=True)
    }
    # Evaluate each distinct call once; only the (few) denied ones need their rows counted.
    denied = [
        (role, action, resource)
        for role, action, resource in later[keys].drop_duplicates().itertuples(index=False)
        if not (role in policies and replay(policies[role], [(action, resource)])[0])
    ]
    columns = ["role", "action", "denied calls", "first denied day"]
    if not denied:
        return pd.DataFrame(columns=columns)
    hit = later.set_index(keys).index.isin(denied)
    rows = later[hit].groupby(["role", "action"], sort=True, observed=True)
    out = pd.DataFrame({"denied calls": rows["calls"].sum(), "first denied day": rows["day"].min()})
    return out.reset_index()[columns]


def synthetic_trail(workload: Workload, days: int, seed: int) -> pd.DataFrame:
    """A seeded log: each (role, action) is a Poisson process of ``rate`` calls a day.

    One row per day, role, action and resource with its ``calls`` count (a daily summary of
    CloudTrail events); each call picks one of the action's resources uniformly.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    rng = np.random.default_rng(seed)
    chunks = []
    for role, uses in workload.items():
        for action, (rate, resources) in uses.items():
            if rate < 0 or not resources:
                raise ValueError(f"{role} {action}: need a rate >= 0 and resources")
            per_day = rng.poisson(rate, days)
            split = rng.multinomial(per_day, [1 / len(resources)] * len(resources))
            day, which = np.nonzero(split)
            chunks.append(
                pd.DataFrame(
                    {
                        "day": day,
                        "role": role,
                        "action": action,
                        "resource": np.asarray(resources)[which],
                        "calls": split[day, which],
                    }
                )
            )
    out = pd.concat(chunks, ignore_index=True).sort_values("day", kind="stable", ignore_index=True)
    return out.astype({"role": "category", "action": "category", "resource": "category"})


def expected_breaks(rates: Sequence[float], window: float, horizon: float) -> tuple[float, float]:
    """(actions, calls) a policy from ``window`` days is expected to deny in the next ``horizon``.

    An action of rate λ is missing from the window with probability e^(−λw); it then appears
    in the horizon with probability 1 − e^(−λh) and is called λh times on average.
    """
    lam = np.asarray(rates, dtype=float)
    missed = np.exp(-lam * window)
    return float((missed * (1 - np.exp(-lam * horizon))).sum()), float(
        (missed * lam * horizon).sum()
    )


def _objects(bucket: str, prefix: str, n: int = 50) -> list[str]:
    return [f"{_S3}{bucket}/{prefix}/{i:04d}.dat" for i in range(n)]


_R = "eu-west-1:123456789012"
_TABLE, _QUEUE = f"arn:aws:dynamodb:{_R}:table/orders", f"arn:aws:sqs:{_R}:jobs"
_KEY = f"arn:aws:kms:{_R}:key/5f1c-example"
_SECRET = f"arn:aws:secretsmanager:{_R}:secret:billing/psp-Ab12Cd"


def _logs(role: str) -> list[str]:
    return [f"arn:aws:logs:{_R}:log-group:/aws/lambda/{role}:*"]


# The assumed workload: four roles, (calls a day, resources) per action. The rare actions (a
# monthly secret rotation, a weekly backup, a restore every 20 days) are what a short window
# misses; every result about windows depends on these rates.
EXAMPLE_WORKLOAD: dict[str, dict[str, tuple[float, list[str]]]] = {
    "orders-api": {
        "dynamodb:GetItem": (150, [_TABLE]),
        "dynamodb:PutItem": (60, [_TABLE]),
        "dynamodb:UpdateItem": (40, [_TABLE]),
        "dynamodb:Query": (90, [_TABLE]),
        "sqs:SendMessage": (60, [_QUEUE]),
        "kms:Decrypt": (30, [_KEY]),
        "kms:GenerateDataKey": (12, [_KEY]),
        "logs:CreateLogStream": (4, _logs("orders-api")),
        "logs:PutLogEvents": (200, _logs("orders-api")),
    },
    "reporting-job": {
        "s3:GetObject": (40, _objects("acme-data", "exports")),
        "s3:PutObject": (8, _objects("acme-reports", "daily")),
        "s3:ListBucket": (10, [f"{_S3}acme-data"]),
        "dynamodb:Scan": (1, [_TABLE]),
        "dynamodb:DescribeTable": (1, [_TABLE]),
        "kms:Decrypt": (20, [_KEY]),
        "s3:RestoreObject": (0.05, _objects("acme-data", "archive")),
    },
    "image-resizer": {
        "s3:GetObject": (120, _objects("acme-uploads", "clean")),
        "s3:PutObject": (240, _objects("acme-media", "thumbs")),
        "sqs:ReceiveMessage": (300, [_QUEUE]),
        "sqs:DeleteMessage": (120, [_QUEUE]),
        "sqs:ChangeMessageVisibility": (3, [_QUEUE]),
        "logs:PutLogEvents": (150, _logs("image-resizer")),
        "logs:CreateLogStream": (2, _logs("image-resizer")),
    },
    "billing-worker": {
        "dynamodb:GetItem": (30, [_TABLE]),
        "dynamodb:UpdateItem": (30, [_TABLE]),
        "secretsmanager:GetSecretValue": (24, [_SECRET]),
        "secretsmanager:RotateSecret": (1 / 30, [_SECRET]),
        "kms:Decrypt": (24, [_KEY]),
        "sqs:ReceiveMessage": (50, [_QUEUE]),
        "sqs:DeleteMessage": (30, [_QUEUE]),
        "dynamodb:CreateBackup": (1 / 7, [_TABLE]),
    },
}

# ----------------------------------------------------------------------------- posture checks


@dataclass(frozen=True)
class Finding:
    """One check result: a stable code and a sentence for a human."""

    code: str
    detail: str


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def passrole_findings(policy: Mapping[str, Any]) -> list[Finding]:
    """Allow statements that let the holder pass *any* role (``Resource: "*"``, NotResource)."""
    validate_policy(policy)  # a malformed statement raises PolicyError instead of a guess
    findings = []
    for index, st in enumerate(_statements(policy)):
        if st.get("Effect") != "Allow":
            continue
        if "Action" in st:
            passes = any(
                wildcard_match(p, "iam:PassRole", ignore_case=True) for p in _as_list(st["Action"])
            )
        else:
            passes = not any(
                wildcard_match(p, "iam:PassRole", ignore_case=True)
                for p in _as_list(st.get("NotAction", []))
            )
        every_role = "NotResource" in st or "*" in _as_list(st.get("Resource", []))
        if passes and every_role:
            name = st.get("Sid", f"#{index}")
            findings.append(
                Finding(
                    "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                    f"statement {name} can pass any role to any service",
                )
            )
    return findings


_OUTSIDER = "999999999999"  # an account nobody named: stands for "any other account"


def _account(principal: str) -> str | None:
    """The account of an account ID or IAM/STS ARN; ``None`` for anything else."""
    if re.fullmatch(r"\d{12}", principal):
        return principal
    parts = principal.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else None


def _named_principals(policy: Mapping[str, Any]) -> set[str]:
    """Every AWS principal (account ID or ARN) that a policy's Principal elements name."""
    named: set[str] = set()
    for st in _statements(policy):
        principal = st.get("Principal")
        if isinstance(principal, Mapping):
            named.update(str(v) for v in _as_list(principal.get("AWS", [])) if v != "*")
    return named


def external_access(
    resource_policy: Mapping[str, Any], resource: str, actions: Sequence[str], owner_account: str
) -> list[Finding]:
    """Outside principals a resource policy lets in on its own.

    Probes: an anonymous caller, an account nobody named, and every principal the policy names
    outside ``owner_account``. Probes carry no condition keys, so any condition counts as
    closing the door (Access Analyzer would report the conditional access too).
    """
    probes: dict[str | None, str] = {
        None: "anonymous caller",
        f"arn:aws:iam::{_OUTSIDER}:root": "any other account",
    }
    for name in sorted(_named_principals(resource_policy)):
        if _account(name) != owner_account:
            probes[name] = name
    findings = []
    for principal, who in probes.items():
        allowed = [
            a
            for a in actions
            if evaluate([resource_policy], Request(a, resource, principal)).allowed
        ]
        if allowed:
            public = principal is None or _OUTSIDER in principal
            code = "PUBLIC_ACCESS" if public else "CROSS_ACCOUNT_ACCESS"
            findings.append(Finding(code, f"{who}: {', '.join(allowed)}"))
    return findings


def imds_findings(instance: Mapping[str, Any], *, max_hops: int = 1) -> list[Finding]:
    """Findings for one ``describe_instances`` Instance: IMDSv1 on, or a hop limit too high."""
    options = instance.get("MetadataOptions", {})
    name = instance.get("InstanceId", "instance")
    if options.get("HttpEndpoint", "enabled") == "disabled":
        return []
    findings = []
    if options.get("HttpTokens", "optional") != "required":
        findings.append(
            Finding("IMDSV1_ENABLED", f"{name}: any GET (an SSRF) can read the role's credentials")
        )
    hops = int(options.get("HttpPutResponseHopLimit", 1))
    if hops > max_hops:
        findings.append(
            Finding(
                "HOP_LIMIT_ABOVE_MAX",
                f"{name}: token reaches {hops} hops away, so containers can get the instance role",
            )
        )
    return findings


@dataclass(frozen=True)
class ImdsCaller:
    """Who sends the metadata request, and what it can control."""

    name: str
    hops: int  # network hops to the IMDS: 1 from the host, 2 from a bridged container
    can_put: bool  # can choose the HTTP method and headers
    forwards_for: bool = False  # a proxy that adds X-Forwarded-For


IMDS_CALLERS = (
    ImdsCaller("SSRF: the app GETs a URL the attacker chose", 1, can_put=False),
    ImdsCaller("open reverse proxy", 1, can_put=True, forwards_for=True),
    ImdsCaller("container on a bridge network", 2, can_put=True),
    ImdsCaller("code running on the host", 1, can_put=True),
)


def imds_credentials_exposed(http_tokens: str, hop_limit: int, caller: ImdsCaller) -> bool:
    """Whether ``caller`` can read role credentials from the IMDS, by its documented rules."""
    if http_tokens not in ("optional", "required") or not 1 <= hop_limit <= 64:
        raise ValueError(f"bad metadata options: HttpTokens={http_tokens!r}, hops={hop_limit}")
    if http_tokens == "optional":
        return True  # IMDSv1: a plain GET, and no hop limit on GET responses
    return caller.can_put and not caller.forwards_for and caller.hops <= hop_limit
