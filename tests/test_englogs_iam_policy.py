"""Tests for englogs.iam_policy against AWS's documented evaluation rules and examples."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from englogs.iam_policy import (
    Decision,
    PolicyError,
    Request,
    Verdict,
    authorize,
    evaluate,
    statement_applies,
    validate_policy,
    wildcard_match,
)

V = "2012-10-17"
ACCOUNT = "123456789012"
CARLOS = f"arn:aws:iam::{ACCOUNT}:user/carlossalazar"


def policy(*statements: dict) -> dict:
    return {"Version": V, "Statement": list(statements)}


def allow(action: object = "*", resource: object = "*", **extra: object) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: object = "*", resource: object = "*", **extra: object) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# --- AWS's worked example: "Policy evaluation for requests within a single account" ---------

CARLOS_IDENTITY = policy(
    {
        "Sid": "AllowS3ListRead",
        "Effect": "Allow",
        "Action": [
            "s3:GetBucketLocation",
            "s3:GetAccountPublicAccessBlock",
            "s3:ListAccessPoints",
            "s3:ListAllMyBuckets",
        ],
        "Resource": "arn:aws:s3:::*",
    },
    {
        "Sid": "AllowS3Self",
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": [
            "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*",
            "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar",
        ],
    },
    {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"},
)
LOGS_BUCKET_POLICY = policy(
    {
        "Sid": "AllowCarlosPut",
        "Effect": "Allow",
        "Principal": {"AWS": CARLOS},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*",
    }
)


def test_documented_example_explicit_deny_beats_resource_policy_allow() -> None:
    req = Request(
        "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/app.log", CARLOS
    )
    assert evaluate([LOGS_BUCKET_POLICY], req).allowed
    decision = authorize(req, identity=[CARLOS_IDENTITY], resource=[LOGS_BUCKET_POLICY])
    assert decision.verdict is Verdict.EXPLICIT_DENY
    assert decision.sid == "DenyS3Logs"
    assert decision.layer == "identity"


def test_documented_example_own_bucket_allowed_and_other_bucket_implicitly_denied() -> None:
    own = Request("s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/a.txt", CARLOS)
    assert evaluate([CARLOS_IDENTITY], own).sid == "AllowS3Self"
    other = Request("s3:PutObject", "arn:aws:s3:::someone-else/a.txt", CARLOS)
    assert evaluate([CARLOS_IDENTITY], other).verdict is Verdict.IMPLICIT_DENY


def test_resource_policy_alone_grants_in_the_same_account() -> None:
    bucket = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": CARLOS},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::shared/*",
        }
    )
    req = Request("s3:GetObject", "arn:aws:s3:::shared/x", CARLOS)
    decision = authorize(req, identity=[], resource=[bucket])
    assert decision.allowed and decision.layer == "resource"


# --- Core logic -----------------------------------------------------------------------------


def test_explicit_deny_wins_regardless_of_order() -> None:
    req = Request("s3:GetObject", "arn:aws:s3:::b/k")
    for statements in ([allow(), deny("s3:GetObject")], [deny("s3:GetObject"), allow()]):
        assert evaluate([policy(*statements)], req).verdict is Verdict.EXPLICIT_DENY


def test_no_policies_is_implicit_deny() -> None:
    decision = evaluate([], Request("s3:GetObject", "arn:aws:s3:::b/k"))
    assert decision == Decision(Verdict.IMPLICIT_DENY)
    assert not decision.allowed and decision.sid is None


def test_action_matching_is_case_insensitive_with_wildcards() -> None:
    p = policy(allow(["S3:get*", "sqs:?eceiveMessage"]))
    assert evaluate([p], Request("s3:GetObject", "*")).allowed
    assert evaluate([p], Request("sqs:ReceiveMessage", "*")).allowed
    assert not evaluate([p], Request("s3:PutObject", "*")).allowed


def test_not_action_allow_grants_everything_else() -> None:
    p = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate([p], Request("s3:DeleteBucket", "arn:aws:s3:::b")).allowed
    assert not evaluate([p], Request("iam:CreateUser", "*")).allowed


def test_not_resource_deny_protects_all_but_listed() -> None:
    p = policy(
        allow("s3:*"),
        {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::public-assets/*"},
    )
    assert evaluate([p], Request("s3:GetObject", "arn:aws:s3:::public-assets/logo.png")).allowed
    denied = evaluate([p], Request("s3:GetObject", "arn:aws:s3:::private/x"))
    assert denied.verdict is Verdict.EXPLICIT_DENY


def test_resource_wildcard_stays_in_segment_unless_trailing() -> None:
    assert wildcard_match("arn:aws:s3:::*log*", "arn:aws:s3:::my-logs/a/b.txt", arn=True)
    assert wildcard_match(
        "arn:aws:iam::*:role/app-?", "arn:aws:iam::111122223333:role/app-1", arn=True
    )
    assert not wildcard_match("arn:aws:iam::*:role/app-?", "arn:aws:iam::1:role/app-12", arn=True)
    # A '*' in the middle of a segment may not swallow the ':' separators.
    assert not wildcard_match("arn:aws:sqs:eu*1:q", "arn:aws:sqs:eu-west-1:111:q", arn=True)
    assert wildcard_match("arn:aws:sqs:eu*1:q", "arn:aws:sqs:eu-west-1:111:q", arn=False)
    assert wildcard_match("arn:aws:sqs:eu*1:*", "arn:aws:sqs:eu-west-1:111:q", arn=True)
    assert not wildcard_match("arn:aws:sqs:eu*q", "arn:aws:sqs:eu-west-1:111:q", arn=True)
    assert wildcard_match("arn:aws:sqs:eu*q", "arn:aws:sqs:eu-west-1:111:q")


def test_policy_may_be_a_json_string() -> None:
    p = json.dumps(policy(allow("s3:ListBucket", "arn:aws:s3:::b")))
    assert evaluate([p], Request("s3:ListBucket", "arn:aws:s3:::b")).allowed


# --- Principals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal_element", "caller", "expected"),
    [
        ("*", None, True),
        ({"AWS": "*"}, CARLOS, True),
        ({"AWS": ACCOUNT}, CARLOS, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, f"arn:aws:iam::{ACCOUNT}:role/x", True),
        ({"AWS": "444455556666"}, CARLOS, False),
        ({"AWS": [CARLOS]}, CARLOS, True),
        (
            {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Deployer"},
            f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/ci-run-7",
            True,
        ),
        (
            {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Deployer"},
            f"arn:aws:sts::{ACCOUNT}:assumed-role/DeployerX/ci",
            False,
        ),
        ({"Service": "sns.amazonaws.com"}, "sns.amazonaws.com", True),
        ({"Service": "sns.amazonaws.com"}, "sqs.amazonaws.com", False),
        ({"AWS": CARLOS}, None, False),
    ],
)
def test_principal_matching(principal_element: object, caller: str | None, expected: bool) -> None:
    statement = {"Effect": "Allow", "Principal": principal_element, "Action": "*"}
    assert statement_applies(statement, Request("s3:GetObject", "*", caller)) is expected


def test_not_principal_excludes_the_listed_caller() -> None:
    admin = f"arn:aws:iam::{ACCOUNT}:role/Admin"
    p = policy(
        allow(Principal="*"),
        deny("s3:DeleteObject", NotPrincipal={"AWS": admin}),
    )
    assert evaluate([p], Request("s3:DeleteObject", "*", admin)).allowed
    other = evaluate([p], Request("s3:DeleteObject", "*", CARLOS))
    assert other.verdict is Verdict.EXPLICIT_DENY


# --- Conditions -----------------------------------------------------------------------------


def test_deny_insecure_transport_documented_s3_pattern() -> None:
    p = policy(
        allow("s3:*", Principal="*"),
        deny("s3:*", Principal="*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
    )
    base = Request("s3:GetObject", "arn:aws:s3:::b/k", CARLOS)
    assert evaluate([p], base.with_context({"aws:SecureTransport": True})).allowed
    insecure = evaluate([p], base.with_context({"aws:SecureTransport": False}))
    assert insecure.verdict is Verdict.EXPLICIT_DENY


def test_string_operators_and_case() -> None:
    s = allow(Condition={"StringEquals": {"aws:PrincipalTag/team": ["payments", "ledger"]}})
    base = Request("s3:GetObject", "*")
    assert statement_applies(s, base.with_context({"aws:PrincipalTag/team": "ledger"}))
    assert not statement_applies(s, base.with_context({"aws:PrincipalTag/team": "Ledger"}))
    # Keys are case-insensitive, values are not.
    assert statement_applies(s, base.with_context({"AWS:principaltag/TEAM": "payments"}))
    ci = allow(Condition={"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "LEDGER"}})
    assert statement_applies(ci, base.with_context({"aws:PrincipalTag/team": "ledger"}))
    like = allow(Condition={"StringLike": {"s3:prefix": ["home/*", "tmp/??"]}})
    assert statement_applies(like, base.with_context({"s3:prefix": "home/alice/x"}))
    assert statement_applies(like, base.with_context({"s3:prefix": "tmp/ab"}))
    assert not statement_applies(like, base.with_context({"s3:prefix": "tmp/abc"}))


def test_missing_key_semantics() -> None:
    base = Request("s3:GetObject", "*")
    assert not statement_applies(allow(Condition={"StringEquals": {"k:x": "a"}}), base)
    # Negated operators are true when there is nothing to match.
    assert statement_applies(allow(Condition={"StringNotEquals": {"k:x": "a"}}), base)
    assert statement_applies(allow(Condition={"StringEqualsIfExists": {"k:x": "a"}}), base)
    with_key = base.with_context({"k:x": "b"})
    assert not statement_applies(allow(Condition={"StringEqualsIfExists": {"k:x": "a"}}), with_key)


def test_bool_if_exists_documented_mfa_pattern() -> None:
    p = policy(
        allow(),
        {
            "Effect": "Deny",
            "NotAction": ["iam:ChangePassword", "sts:GetSessionToken"],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    )
    long_term_key = Request("ec2:RunInstances", "*")  # access keys carry no MFA key at all
    assert evaluate([p], long_term_key).verdict is Verdict.EXPLICIT_DENY
    with_mfa = long_term_key.with_context({"aws:MultiFactorAuthPresent": True})
    assert evaluate([p], with_mfa).allowed
    assert evaluate([p], Request("iam:ChangePassword", "*")).allowed


def test_numeric_date_ip_and_null() -> None:
    base = Request("s3:GetObject", "*")
    num = allow(Condition={"NumericLessThan": {"s3:max-keys": "10"}})
    assert statement_applies(num, base.with_context({"s3:max-keys": 9}))
    assert not statement_applies(num, base.with_context({"s3:max-keys": "10"}))
    assert not statement_applies(num, base.with_context({"s3:max-keys": "ten"}))
    date = allow(Condition={"DateLessThan": {"aws:CurrentTime": "2025-06-01T00:00:00Z"}})
    assert statement_applies(
        date, base.with_context({"aws:CurrentTime": datetime(2025, 5, 22, tzinfo=UTC)})
    )
    assert not statement_applies(date, base.with_context({"aws:CurrentTime": "2025-07-01"}))
    ip = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    ip["Condition"] = {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.7"]}}
    assert not statement_applies(ip, base.with_context({"aws:SourceIp": "192.0.2.44"}))
    assert statement_applies(ip, base.with_context({"aws:SourceIp": "198.51.100.1"}))
    null = allow(Condition={"Null": {"aws:TokenIssueTime": "true"}})
    assert statement_applies(null, base)
    assert not statement_applies(null, base.with_context({"aws:TokenIssueTime": "2025-05-22"}))


def test_binary_equals() -> None:
    s = allow(Condition={"BinaryEquals": {"k:blob": "QmluYXJ5VmFsdWU="}})
    assert statement_applies(s, Request("a:b", "*", context={"k:blob": "QmluYXJ5VmFsdWU="}))
    assert not statement_applies(s, Request("a:b", "*", context={"k:blob": "bm9wZQ=="}))


def test_arn_operators_for_confused_deputy() -> None:
    queue_policy = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders",
            "Condition": {
                "ArnLike": {"aws:SourceArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:orders-*"},
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
            },
        }
    )
    base = Request(
        "sqs:SendMessage", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders", "sns.amazonaws.com"
    )
    mine = base.with_context(
        {
            "aws:SourceArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:orders-v2",
            "aws:SourceAccount": ACCOUNT,
        }
    )
    theirs = base.with_context(
        {
            "aws:SourceArn": "arn:aws:sns:eu-west-1:444455556666:orders-v2",
            "aws:SourceAccount": "444455556666",
        }
    )
    assert evaluate([queue_policy], mine).allowed
    assert evaluate([queue_policy], theirs).verdict is Verdict.IMPLICIT_DENY
    assert evaluate([queue_policy], base).verdict is Verdict.IMPLICIT_DENY  # key absent


def test_set_qualifiers_including_documented_for_all_values_trap() -> None:
    only = allow(Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}})
    anyv = allow(Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}})
    base = Request("ec2:CreateTags", "*")
    subset = base.with_context({"aws:TagKeys": ["env"]})
    extra = base.with_context({"aws:TagKeys": ["env", "owner"]})
    assert statement_applies(only, subset) and not statement_applies(only, extra)
    assert statement_applies(anyv, extra)
    assert not statement_applies(anyv, base.with_context({"aws:TagKeys": ["owner"]}))
    # The trap: ForAllValues is true when the key is missing or empty.
    assert statement_applies(only, base)
    assert statement_applies(only, base.with_context({"aws:TagKeys": []}))
    assert not statement_applies(anyv, base)
    not_like = allow(Condition={"ForAllValues:StringNotLike": {"aws:TagKeys": "aws:*"}})
    assert statement_applies(not_like, extra)
    assert not statement_applies(not_like, base.with_context({"aws:TagKeys": ["aws:x", "a"]}))


def test_policy_variables_abac_and_home_folder() -> None:
    home = policy(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))
    req = Request("s3:PutObject", "arn:aws:s3:::home/alice/notes.txt")
    assert evaluate([home], req.with_context({"aws:username": "alice"})).allowed
    assert not evaluate([home], req.with_context({"aws:username": "bob"})).allowed
    assert not evaluate([home], req).allowed  # no value, no default: matches nothing
    # A substituted value is literal, never a wildcard.
    assert not evaluate([home], req.with_context({"aws:username": "*"})).allowed
    defaulted = policy(allow("s3:*", "arn:aws:s3:::home/${aws:username, 'alice'}/*"))
    assert evaluate([defaulted], req).allowed
    abac = policy(
        allow(
            "ec2:StartInstances",
            Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
        )
    )
    tags = {"aws:ResourceTag/team": "ml", "aws:PrincipalTag/team": "ml"}
    assert evaluate([abac], Request("ec2:StartInstances", "*", context=tags)).allowed
    tags["aws:PrincipalTag/team"] = "web"
    assert not evaluate([abac], Request("ec2:StartInstances", "*", context=tags)).allowed


def test_variables_are_literal_text_in_version_2008() -> None:
    old = {"Version": "2008-10-17", "Statement": [allow("s3:*", "arn:aws:s3:::h/${aws:username}")]}
    ctx = {"aws:username": "alice"}
    assert not evaluate([old], Request("s3:GetObject", "arn:aws:s3:::h/alice", context=ctx)).allowed
    literal = Request("s3:GetObject", "arn:aws:s3:::h/${aws:username}")
    assert evaluate([old], literal).allowed


# --- authorize: policy types ----------------------------------------------------------------


def test_session_policy_intersects_with_role_policy() -> None:
    role = policy(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::data/*"))
    session = policy(allow("s3:GetObject", "arn:aws:s3:::data/reports/*"))
    get = Request("s3:GetObject", "arn:aws:s3:::data/reports/q1.csv")
    put = Request("s3:PutObject", "arn:aws:s3:::data/reports/q1.csv")
    other = Request("s3:GetObject", "arn:aws:s3:::data/raw/x")
    assert authorize(get, identity=[role], session=[session]).allowed
    denied = authorize(put, identity=[role], session=[session])
    assert denied.verdict is Verdict.IMPLICIT_DENY and denied.layer == "session"
    assert not authorize(other, identity=[role], session=[session]).allowed
    # A session policy can never add what the role lacks.
    wide = policy(allow("*"))
    delete = Request("s3:DeleteObject", "arn:aws:s3:::data/x")
    assert authorize(delete, identity=[role], session=[wide]).layer == "identity"
    # An empty session policy list applies and allows nothing; None means "no session policy".
    assert not authorize(get, identity=[role], session=[]).allowed
    assert authorize(get, identity=[role], session=None).allowed


def test_boundary_and_scp_are_ceilings() -> None:
    identity = policy(allow())
    boundary = policy(allow("s3:*"))
    scp = policy(allow(), deny("s3:DeleteBucket"))
    get = Request("s3:GetObject", "arn:aws:s3:::b/k")
    assert authorize(get, identity=[identity], boundary=[boundary], scp=[scp]).allowed
    ec2 = authorize(Request("ec2:RunInstances", "*"), identity=[identity], boundary=[boundary])
    assert ec2.verdict is Verdict.IMPLICIT_DENY and ec2.layer == "boundary"
    drop = authorize(Request("s3:DeleteBucket", "arn:aws:s3:::b"), identity=[identity], scp=[scp])
    assert drop.verdict is Verdict.EXPLICIT_DENY and drop.layer == "scp"
    no_scp_allow = authorize(get, identity=[identity], scp=[policy(allow("ec2:*"))])
    assert no_scp_allow.layer == "scp" and not no_scp_allow.allowed


# --- Cross-account ("Cross-account policy evaluation logic"): both sides must allow ---------

TRUSTED, TRUSTING = "111122223333", "444455556666"
PARTNER_ROLE = f"arn:aws:iam::{TRUSTED}:role/exporter"
PARTNER_SESSION = f"arn:aws:sts::{TRUSTED}:assumed-role/exporter/job-7"
SHARED = "arn:aws:s3:::partner-exports/2025/q1.csv"
SHARED_BUCKET_POLICY = policy(
    {
        "Sid": "TrustPartnerAccount",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::partner-exports/*",
    }
)
EXPORTER_IDENTITY = policy(allow("s3:GetObject", "arn:aws:s3:::partner-exports/*"))


@pytest.mark.parametrize(
    ("identity_allows", "resource_allows", "same_account", "cross_account"),
    [
        (True, True, True, True),
        (True, False, True, False),
        (False, True, True, False),
        (False, False, False, False),
    ],
)
def test_cross_account_needs_both_where_one_account_needs_either(
    identity_allows: bool, resource_allows: bool, same_account: bool, cross_account: bool
) -> None:
    req = Request("s3:GetObject", SHARED, PARTNER_SESSION)
    identity = [EXPORTER_IDENTITY] if identity_allows else []
    resource = [SHARED_BUCKET_POLICY] if resource_allows else []
    one = authorize(req, identity=identity, resource=resource, resource_account=TRUSTED)
    two = authorize(req, identity=identity, resource=resource, resource_account=TRUSTING)
    assert one.allowed is same_account
    assert two.allowed is cross_account


def test_cross_account_denial_names_the_missing_side() -> None:
    req = Request("s3:GetObject", SHARED, PARTNER_SESSION)
    no_resource = authorize(req, identity=[EXPORTER_IDENTITY], resource_account=TRUSTING)
    assert no_resource.verdict is Verdict.IMPLICIT_DENY and no_resource.layer == "resource"
    no_identity = authorize(req, resource=[SHARED_BUCKET_POLICY], resource_account=TRUSTING)
    assert no_identity.layer == "identity"
    # The bucket policy trusts account 111122223333, not an unrelated third account.
    stranger = Request("s3:GetObject", SHARED, "arn:aws:iam::999988887777:role/exporter")
    assert not authorize(
        stranger,
        identity=[EXPORTER_IDENTITY],
        resource=[SHARED_BUCKET_POLICY],
        resource_account=TRUSTING,
    ).allowed


def test_cross_account_ceilings_and_denies_still_apply() -> None:
    req = Request("s3:GetObject", SHARED, PARTNER_SESSION)
    both = {"identity": [EXPORTER_IDENTITY], "resource": [SHARED_BUCKET_POLICY]}
    assert authorize(req, **both, resource_account=TRUSTING).allowed
    scp = policy(allow("ec2:*"))
    assert authorize(req, **both, scp=[scp], resource_account=TRUSTING).layer == "scp"
    boundary = policy(allow("dynamodb:*"))
    capped = authorize(req, **both, boundary=[boundary], resource_account=TRUSTING)
    assert not capped.allowed and capped.layer == "boundary"
    deny_in_bucket = policy(deny("s3:*", "*", Principal="*"))
    explicit = authorize(
        req,
        identity=[EXPORTER_IDENTITY],
        resource=[SHARED_BUCKET_POLICY, deny_in_bucket],
        resource_account=TRUSTING,
    )
    assert explicit.verdict is Verdict.EXPLICIT_DENY and explicit.layer == "resource"


def test_service_and_anonymous_callers_are_not_cross_account() -> None:
    # No caller account: a resource policy alone decides, as for a service principal.
    topic = Request("sqs:SendMessage", "arn:aws:sqs:eu-west-1:444455556666:q", "sns.amazonaws.com")
    queue_policy = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": "*",
        }
    )
    assert authorize(topic, resource=[queue_policy], resource_account=TRUSTING).allowed
    public = policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    )
    anonymous = Request("s3:GetObject", SHARED)
    assert authorize(anonymous, resource=[public], resource_account=TRUSTING).allowed


@pytest.mark.parametrize("bad", ["4444-5555-6666", "", "arn:aws:iam::444455556666:root"])
def test_resource_account_must_be_an_account_id(bad: str) -> None:
    with pytest.raises(ValueError, match="12-digit"):
        authorize(Request("s3:GetObject", SHARED, PARTNER_SESSION), resource_account=bad)


def test_decision_str_names_the_deciding_statement() -> None:
    req = Request("s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/x", CARLOS)
    text = str(authorize(req, identity=[CARLOS_IDENTITY]))
    assert "ExplicitDeny" in text and "DenyS3Logs" in text and "identity" in text
    assert "ImplicitDeny" in str(evaluate([], req))


# --- Validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"Version": V},
        policy({"Effect": "Permit", "Action": "*", "Resource": "*"}),
        policy({"Effect": "Allow", "Resource": "*"}),
        policy({"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}),
        policy({"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "x"}),
        policy(allow(Condition={"StringEqualz": {"k:x": "a"}})),
        policy(allow(Condition={"ForSomeValues:StringEquals": {"k:x": "a"}})),
        policy(allow(Condition={"NullIfExists": {"k:x": "true"}})),
        policy(allow(Condition={"StringEquals": ["k:x"]})),
        "{not json",
    ],
)
def test_malformed_policies_are_rejected(bad: object) -> None:
    with pytest.raises(PolicyError):
        validate_policy(bad)  # type: ignore[arg-type]
    with pytest.raises(PolicyError):
        evaluate([bad], Request("s3:GetObject", "*"))  # type: ignore[list-item]
