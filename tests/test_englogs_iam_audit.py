"""Tests for englogs.iam_audit: policies from logs, replay, and the modelled posture checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from englogs.aws import local_aws
from englogs.iam_audit import (
    EXAMPLE_WORKLOAD,
    IMDS_CALLERS,
    ImdsCaller,
    expected_breaks,
    external_access,
    generalise,
    imds_credentials_exposed,
    imds_findings,
    passrole_findings,
    policy_from_calls,
    replay,
    replay_breaks,
    synthetic_trail,
)
from englogs.iam_policy import PolicyError, Request, evaluate

ACCOUNT = "123456789012"
SECRET = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:psp-Ab12Cd"


def allows(policy: dict, action: str, resource: str) -> bool:
    return evaluate([policy], Request(action, resource)).allowed


# --- generalise and policy_from_calls ------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "pattern"),
    [
        ("arn:aws:s3:::data/exports/0001.dat", "arn:aws:s3:::data/exports/*"),
        ("arn:aws:s3:::data/a/b/c.dat", "arn:aws:s3:::data/a/*"),
        ("arn:aws:s3:::data/top.dat", "arn:aws:s3:::data/*"),
        ("arn:aws:s3:::data", "arn:aws:s3:::data"),
        ("arn:aws:s3:::data/", "arn:aws:s3:::data/"),
        (SECRET, SECRET),
    ],
)
def test_generalise(arn: str, pattern: str) -> None:
    assert generalise(arn) == pattern


@pytest.mark.parametrize(
    ("seen", "other"),
    [
        ("arn:aws:s3:::data/a*b/x.dat", "arn:aws:s3:::data/aSECRETb/x.dat"),
        ("arn:aws:s3:::data/r?n/x.dat", "arn:aws:s3:::data/run/x.dat"),
        ("arn:aws:sqs:eu-west-1:123456789012:jobs-*", "arn:aws:sqs:eu-west-1:123456789012:jobs-x"),
        ("arn:aws:s3:::data/${aws:username}/x", "arn:aws:s3:::data/alice/x"),
    ],
)
def test_hostile_resource_names_never_become_wildcards(seen: str, other: str) -> None:
    policy = policy_from_calls([("s3:GetObject", seen)])
    assert allows(policy, "s3:GetObject", seen)
    assert not allows(policy, "s3:GetObject", other)


def test_generated_policy_allows_what_was_seen_and_nothing_else() -> None:
    calls = [
        ("s3:GetObject", "arn:aws:s3:::data/exports/1.dat"),
        ("s3:PutObject", "arn:aws:s3:::reports/daily/1.dat"),
        ("secretsmanager:GetSecretValue", SECRET),
    ]
    policy = policy_from_calls(calls)
    assert all(replay(policy, calls))
    assert allows(policy, "s3:GetObject", "arn:aws:s3:::data/exports/2.dat")  # same prefix
    assert not allows(policy, "s3:GetObject", "arn:aws:s3:::data/archive/1.dat")
    assert not allows(policy, "s3:DeleteObject", "arn:aws:s3:::data/exports/1.dat")
    assert not allows(policy, "secretsmanager:RotateSecret", SECRET)
    # Actions sharing a resource set share a statement; the output is deterministic.
    assert policy == policy_from_calls(reversed(calls))


@pytest.mark.parametrize(
    "action", ["GetObject", "s3 GetObject", "", "s3:Get Object", "s3:*", "s3:Get*", "*"]
)
def test_policy_from_calls_rejects_bad_actions(action: str) -> None:
    with pytest.raises(ValueError, match="not an IAM action"):
        policy_from_calls([(action, "*")])


def test_policy_from_calls_rejects_no_calls() -> None:
    with pytest.raises(ValueError, match="no calls"):
        policy_from_calls([])


def test_replay_keeps_order_and_repeats() -> None:
    policy = policy_from_calls([("kms:Decrypt", "arn:aws:kms:eu-west-1:1:key/k")])
    calls = [("kms:Decrypt", "arn:aws:kms:eu-west-1:1:key/k"), ("kms:Encrypt", "x")] * 2
    assert replay(policy, calls) == [True, False, True, False]


# --- replay_breaks, synthetic_trail, expected_breaks ---------------------------------------


def trail(rows: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["day", "role", "action", "resource"])


def test_replay_breaks_names_the_rare_action_and_counts_its_calls() -> None:
    daily = [(d, "billing", "secretsmanager:GetSecretValue", SECRET) for d in range(40)]
    rare = [(20, "billing", "secretsmanager:RotateSecret", SECRET)] * 2
    rare += [(35, "billing", "secretsmanager:RotateSecret", SECRET)]
    late_role = [(30, "newcomer", "sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:q")]
    breaks = replay_breaks(trail(daily + rare + late_role), (0, 14), (14, 40))
    assert breaks.to_dict("records") == [
        {
            "role": "billing",
            "action": "secretsmanager:RotateSecret",
            "denied calls": 3,
            "first denied day": 20,
        },
        {
            "role": "newcomer",
            "action": "sqs:SendMessage",
            "denied calls": 1,
            "first denied day": 30,
        },
    ]
    # Trained on everything up to day 36, nothing later breaks.
    assert replay_breaks(trail(daily + rare), (0, 36), (36, 40)).empty
    # A summarised trail (one row per day with a call count) gives the same answer.
    summary = trail(daily + rare + late_role).value_counts().rename("calls").reset_index()
    assert replay_breaks(summary, (0, 14), (14, 40)).equals(breaks)


@pytest.mark.parametrize("windows", [((0, 14), (10, 20)), ((5, 5), (5, 9)), ((0, 3), (3, 3))])
def test_replay_breaks_rejects_overlapping_or_empty_windows(windows: tuple) -> None:
    with pytest.raises(ValueError, match="must follow"):
        replay_breaks(trail([(0, "r", "s3:GetObject", "x")]), *windows)


def test_synthetic_trail_is_seeded_and_poisson() -> None:
    a = synthetic_trail(EXAMPLE_WORKLOAD, 30, seed=3)
    assert a.equals(synthetic_trail(EXAMPLE_WORKLOAD, 30, seed=3))
    assert not a.equals(synthetic_trail(EXAMPLE_WORKLOAD, 30, seed=4))
    gets = a[(a["role"] == "orders-api") & (a["action"] == "dynamodb:GetItem")]
    n = int(gets["calls"].sum())
    assert abs(n - 150 * 30) < 5 * math.sqrt(150 * 30)  # Poisson: within 5 standard deviations
    assert set(a.columns) == {"day", "role", "action", "resource", "calls"}
    assert a["day"].between(0, 29).all() and (a["calls"] >= 1).all()
    # Each call picks one of 50 objects: at 240 calls a day, all of them show up.
    puts = a[(a["role"] == "image-resizer") & (a["action"] == "s3:PutObject")]
    assert puts["resource"].nunique() == 50
    assert not puts.duplicated(["day", "resource"]).any()  # one row per day and object


@pytest.mark.parametrize(
    "workload", [{"r": {"s3:GetObject": (-1.0, ["x"])}}, {"r": {"s3:GetObject": (1.0, [])}}]
)
def test_synthetic_trail_rejects_bad_workloads(workload: dict) -> None:
    with pytest.raises(ValueError):
        synthetic_trail(workload, 10, seed=0)


def test_expected_breaks_closed_form() -> None:
    lam = 1 / 30
    actions, calls = expected_breaks([lam], window=0, horizon=30)
    assert actions == pytest.approx(1 - math.exp(-1)) and calls == pytest.approx(1.0)
    actions, calls = expected_breaks([lam, 100.0], window=14, horizon=30)
    assert actions == pytest.approx(math.exp(-14 / 30) * (1 - math.exp(-1)))
    assert calls == pytest.approx(math.exp(-14 / 30))


def test_expected_breaks_matches_replay_on_average() -> None:
    workload = {"job": {"kms:Decrypt": (5.0, ["k"]), "kms:ReEncrypt": (0.1, ["k"])}}
    broken = [
        len(replay_breaks(synthetic_trail(workload, 20, seed=s), (0, 7), (7, 20)))
        for s in range(120)
    ]
    theory, _ = expected_breaks([5.0, 0.1], window=7, horizon=13)
    se = np.std(broken) / math.sqrt(len(broken))
    assert abs(np.mean(broken) - theory) < 4 * se, (np.mean(broken), theory)


# --- posture checks ------------------------------------------------------------------------


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(
    ("statement", "flagged"),
    [
        ({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": "IAM:pass*", "Resource": ["*"]}, True),
        ({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, True),
        (
            {"Effect": "Allow", "Action": "iam:PassRole", "NotResource": "arn:aws:iam::1:role/a"},
            True,
        ),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, False),
        (
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/app/*"},
            False,
        ),
        ({"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}, False),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, False),
    ],
)
def test_passrole_findings(statement: dict, flagged: bool) -> None:
    findings = passrole_findings(doc(statement))
    assert bool(findings) is flagged
    assert all(f.code == "PASS_ROLE_WITH_STAR_IN_RESOURCE" for f in findings)


BUCKET = "arn:aws:s3:::shared/x.csv"


@pytest.mark.parametrize(
    ("principal", "condition", "codes"),
    [
        ("*", None, {"PUBLIC_ACCESS"}),
        ({"AWS": "444455556666"}, None, {"CROSS_ACCOUNT_ACCESS"}),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"}, None, set()),
        ({"AWS": "arn:aws:iam::444455556666:role/exporter"}, None, {"CROSS_ACCOUNT_ACCESS"}),
        ({"AWS": ["444455556666", f"arn:aws:iam::{ACCOUNT}:root"]}, None, {"CROSS_ACCOUNT_ACCESS"}),
        ({"Service": "cloudfront.amazonaws.com"}, None, set()),
        ("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, set()),
    ],
)
def test_external_access(principal: object, condition: dict | None, codes: set[str]) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::shared/*",
    }
    if condition:
        statement["Condition"] = condition
    found = external_access(doc(statement), BUCKET, ["s3:GetObject", "s3:PutObject"], ACCOUNT)
    assert {f.code for f in found} == codes
    assert all("PutObject" not in f.detail for f in found)


def test_passrole_findings_rejects_malformed_policies() -> None:
    with pytest.raises(PolicyError):
        passrole_findings(doc({"Effect": "Allow", "Resource": "*"}))  # no Action/NotAction


def test_imds_findings_on_moto_instances() -> None:
    options = {
        "v1": {},
        "v2": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        "v2-containers": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
    }
    with local_aws() as aws:
        ec2 = aws.client("ec2")
        codes = {}
        for name, opts in options.items():
            kwargs = {"MetadataOptions": opts} if opts else {}
            iid = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, **kwargs)[
                "Instances"
            ][0]["InstanceId"]
            described = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
            codes[name] = [f.code for f in imds_findings(described)]
    assert codes == {"v1": ["IMDSV1_ENABLED"], "v2": [], "v2-containers": ["HOP_LIMIT_ABOVE_MAX"]}


def test_imds_findings_edge_cases() -> None:
    off = {"MetadataOptions": {"HttpEndpoint": "disabled", "HttpTokens": "optional"}}
    assert imds_findings(off) == []
    two = {"MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}}
    assert imds_findings(two, max_hops=2) == []


def test_imds_credentials_exposed_by_documented_rules() -> None:
    ssrf, proxy, container, host = IMDS_CALLERS
    assert all(imds_credentials_exposed("optional", 1, c) for c in IMDS_CALLERS)
    assert not imds_credentials_exposed("required", 1, ssrf)  # cannot PUT for a token
    assert not imds_credentials_exposed("required", 1, proxy)  # X-Forwarded-For is refused
    assert not imds_credentials_exposed("required", 1, container)  # token dies after 1 hop
    assert imds_credentials_exposed("required", 2, container)
    assert imds_credentials_exposed("required", 1, host)  # IMDSv2 is no defence against RCE
    assert not imds_credentials_exposed("required", 64, proxy)


@pytest.mark.parametrize(("tokens", "hops"), [("mandatory", 1), ("required", 0), ("optional", 65)])
def test_imds_credentials_exposed_rejects_bad_options(tokens: str, hops: int) -> None:
    with pytest.raises(ValueError, match="bad metadata options"):
        imds_credentials_exposed(tokens, hops, ImdsCaller("x", 1, can_put=True))
