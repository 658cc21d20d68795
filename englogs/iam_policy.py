"""AWS IAM policy evaluation as documented, in one small pure-Python module.

Used by the posts "IAM Best Practices Every Developer Ignores" and "Designing Secure File
Upload Systems on AWS", and by the IAM lab. The API below is stable; everything starting with
an underscore is not.

API
---
``Request(action, resource, principal=None, context={})``
    One request context: ``action`` such as ``"s3:GetObject"``, ``resource`` an ARN,
    ``principal`` the caller's ARN, account ID or service principal (``"sns.amazonaws.com"``;
    ``None`` for an anonymous caller), ``context`` the condition keys (``"aws:SecureTransport"``,
    ``"aws:PrincipalTag/team"``, ``"s3:x-amz-server-side-encryption"``...). Keys are
    case-insensitive; values are ``str``, ``bool``, numbers, ``datetime`` or a sequence of
    strings for multi-valued keys.

``evaluate(policies, request) -> Decision``
    Evaluates a pool of policies of one kind: explicit deny beats allow, allow beats the
    implicit deny. ``policies`` are dicts (or JSON strings) with a ``Statement``.

``authorize(request, *, identity=(), resource=(), boundary=None, session=None, scp=None,
resource_account=None)``
    The flow across policy types: an explicit deny in any policy wins; an SCP, permissions
    boundary or session policy that is given must allow (they only ever subtract); then, within
    one account, an allow from a resource-based *or* an identity-based policy grants. When
    ``resource_account`` is given and differs from the caller's account (read from
    ``request.principal``), the request is cross-account and *both* must allow: the resource
    policy in the trusting account and the identity policy in the caller's. ``scp``, ``boundary``
    and ``session`` are the caller's. ``None`` means "this policy type does not apply"; an empty
    list means "applies and allows nothing".

``Decision(verdict, statement, policy_index, layer)``
    ``verdict`` is a ``Verdict`` (``ALLOW``, ``EXPLICIT_DENY``, ``IMPLICIT_DENY``);
    ``statement`` the statement that decided (the deny, or the allow that granted; ``None`` for
    an implicit deny), ``policy_index`` its policy's position in the list, ``layer`` the
    policy type (``"identity"``, ``"resource"``, ``"boundary"``, ``"session"``, ``"scp"``;
    ``None`` from ``evaluate``). ``decision.allowed`` is the boolean; ``decision.sid`` the
    statement's Sid; ``str(decision)`` a one-line explanation.

``statement_applies(statement, request, *, version="2012-10-17") -> bool``
    Whether one statement's Principal, Action, Resource and Condition all match.

``wildcard_match(pattern, value, *, arn=False, ignore_case=False) -> bool``
    IAM's ``*`` and ``?`` matching (``arn=True``: a ``*`` stays inside one ARN segment unless it
    ends the segment, as in the Resource element and ``ArnLike``).

``validate_policy(policy) -> None``
    Raises ``PolicyError`` (a ``ValueError``) for malformed policies; ``evaluate`` calls it.

Implemented: Action/NotAction, Resource/NotResource, Principal/NotPrincipal (``*``, accounts,
root ARNs, users, roles and their assumed-role sessions, services), the String, Numeric, Date,
Bool, Binary, IpAddress, Arn and Null condition operators with ``...IfExists`` and the
``ForAnyValue:``/``ForAllValues:`` set qualifiers, and policy variables (``${aws:username}``,
``${aws:PrincipalTag/team}``, defaults ``${key, 'x'}``, escapes ``${*}``) in version
2012-10-17 policies.

Not modelled: resource control policies (the trusting account's SCP-like ceiling on its
resources), ACLs, the root user, and AWS's special case
where a resource policy that names a role *session* ARN bypasses boundaries and session
policies (this module applies them anyway, which is stricter, never looser).
"""

from __future__ import annotations

import base64
import enum
import functools
import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ContextValue",
    "Decision",
    "Policy",
    "PolicyError",
    "Request",
    "Verdict",
    "authorize",
    "evaluate",
    "statement_applies",
    "validate_policy",
    "wildcard_match",
]

ContextValue = str | bool | int | float | datetime | Sequence[str]
Policy = Mapping[str, Any] | str

CURRENT_VERSION = "2012-10-17"


class PolicyError(ValueError):
    """A policy document that AWS would reject (unknown operator, Action and NotAction...)."""


class Verdict(enum.Enum):
    """The three outcomes of IAM evaluation."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True)
class Request:
    """The request context a policy is evaluated against."""

    action: str
    resource: str
    principal: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    _keys: dict[str, ContextValue] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", {k.lower(): v for k, v in self.context.items()})

    def get(self, key: str) -> list[str] | None:
        """The values of a condition key as strings, or ``None`` if the key is absent."""
        if key.lower() not in self._keys:
            return None
        return _as_strings(self._keys[key.lower()])

    def with_context(self, extra: Mapping[str, ContextValue]) -> Request:
        """A copy with more (or overridden) condition keys."""
        return Request(self.action, self.resource, self.principal, {**self.context, **extra})


@dataclass(frozen=True)
class Decision:
    """An evaluation result and the statement responsible for it."""

    verdict: Verdict
    statement: Mapping[str, Any] | None = None
    policy_index: int | None = None
    layer: str | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    @property
    def sid(self) -> str | None:
        return None if self.statement is None else self.statement.get("Sid")

    def __str__(self) -> str:
        where = f"{self.layer} policy" if self.layer else "policy"
        if self.statement is None:
            return f"{self.verdict.value}: nothing in the {where} allows it"
        name = self.sid or "<no Sid>"
        return f"{self.verdict.value} by {name} ({where} #{self.policy_index})"


# ----------------------------------------------------------------------------- evaluation


def evaluate(policies: Sequence[Policy], request: Request) -> Decision:
    """Evaluate one kind of policy: explicit deny > allow > implicit deny."""
    allow: Decision | None = None
    for index, raw in enumerate(policies):
        policy = _load(raw)
        validate_policy(policy)
        version = policy.get("Version", "2008-10-17")
        for statement in _statements(policy):
            if not statement_applies(statement, request, version=version):
                continue
            if statement["Effect"] == "Deny":
                return Decision(Verdict.EXPLICIT_DENY, statement, index)
            if allow is None:
                allow = Decision(Verdict.ALLOW, statement, index)
    return allow or Decision(Verdict.IMPLICIT_DENY)


def authorize(
    request: Request,
    *,
    identity: Sequence[Policy] = (),
    resource: Sequence[Policy] = (),
    boundary: Sequence[Policy] | None = None,
    session: Sequence[Policy] | None = None,
    scp: Sequence[Policy] | None = None,
    resource_account: str | None = None,
) -> Decision:
    """Combine policy types the way AWS does, within one account or across two."""
    cross_account = _is_cross_account(request, resource_account)
    layers: dict[str, Sequence[Policy] | None] = {
        "scp": scp,
        "resource": resource,
        "identity": identity,
        "boundary": boundary,
        "session": session,
    }
    results = {
        name: _with_layer(evaluate(pols, request), name)
        for name, pols in layers.items()
        if pols is not None
    }
    for result in results.values():
        if result.verdict is Verdict.EXPLICIT_DENY:
            return result
    if "scp" in results and not results["scp"].allowed:
        return Decision(Verdict.IMPLICIT_DENY, layer="scp")
    if cross_account:  # the trusting account's resource policy AND the caller's identity policy
        missing = [n for n in ("resource", "identity") if not results[n].allowed]
        if missing:
            return Decision(Verdict.IMPLICIT_DENY, layer=missing[0])
    grant = next((results[n] for n in ("resource", "identity") if results[n].allowed), None)
    if grant is None:
        return Decision(Verdict.IMPLICIT_DENY, layer="identity")
    for ceiling in ("boundary", "session"):
        if ceiling in results and not results[ceiling].allowed:
            return Decision(Verdict.IMPLICIT_DENY, layer=ceiling)
    return grant


def statement_applies(
    statement: Mapping[str, Any], request: Request, *, version: str = CURRENT_VERSION
) -> bool:
    """True when the statement's Principal, Action, Resource and Condition all match."""
    variables = version == CURRENT_VERSION
    if "Principal" in statement and not _principal_matches(statement["Principal"], request):
        return False
    if "NotPrincipal" in statement and _principal_matches(statement["NotPrincipal"], request):
        return False
    if "Action" in statement:
        if not any(_action_matches(p, request.action) for p in _listify(statement["Action"])):
            return False
    elif any(_action_matches(p, request.action) for p in _listify(statement["NotAction"])):
        return False
    if "Resource" in statement:
        patterns = _listify(statement["Resource"])
        if not any(_resource_matches(p, request, variables) for p in patterns):
            return False
    elif "NotResource" in statement:
        patterns = _listify(statement["NotResource"])
        if any(_resource_matches(p, request, variables) for p in patterns):
            return False
    return all(
        _condition_matches(operator, key, _listify(values), request, variables)
        for operator, block in statement.get("Condition", {}).items()
        for key, values in block.items()
    )


# ----------------------------------------------------------------------------- matching


def wildcard_match(
    pattern: str, value: str, *, arn: bool = False, ignore_case: bool = False
) -> bool:
    """IAM wildcard matching: ``*`` is any run of characters, ``?`` exactly one."""
    return _compile((("glob", pattern),), arn, ignore_case).fullmatch(value) is not None


@functools.lru_cache(maxsize=4096)
def _compile(parts: tuple[tuple[str, str], ...], arn: bool, ignore_case: bool) -> re.Pattern[str]:
    """Regex for a pattern made of glob text and literal (substituted) text."""
    text = "".join(part for _, part in parts)
    out: list[str] = []
    pos = 0
    for kind, part in parts:
        if kind == "lit":
            out.append(re.escape(part))
            pos += len(part)
            continue
        for ch in part:
            pos += 1
            if ch == "*":
                # In an ARN a '*' stays in its segment unless it is the segment's last character.
                ends_segment = pos == len(text) or text[pos] == ":"
                out.append(".*" if not arn or ends_segment else "[^:]*")
            elif ch == "?":
                out.append("[^:]" if arn else ".")
            else:
                out.append(re.escape(ch))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(out), flags)


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def _substitute(
    pattern: str, request: Request, variables: bool
) -> tuple[tuple[str, str], ...] | None:
    """Split a pattern into glob and literal parts, resolving ``${...}`` variables.

    Returns ``None`` when a variable has no value and no default: the pattern matches nothing.
    """
    if not variables or "${" not in pattern:
        return (("glob", pattern),)
    parts: list[tuple[str, str]] = []
    pos = 0
    for match in _VARIABLE.finditer(pattern):
        parts.append(("glob", pattern[pos : match.start()]))
        name, _, default = match.group(1).partition(",")
        name = name.strip()
        if name in _ESCAPES:
            parts.append(("lit", _ESCAPES[name]))
        else:
            values = request.get(name)
            if values is not None and len(values) == 1:
                parts.append(("lit", values[0]))
            elif default.strip():
                parts.append(("lit", default.strip().strip("'")))
            else:
                return None
        pos = match.end()
    parts.append(("glob", pattern[pos:]))
    return tuple(p for p in parts if p[1])


def _action_matches(pattern: str, action: str) -> bool:
    return wildcard_match(pattern, action, ignore_case=True)


def _resource_matches(pattern: str, request: Request, variables: bool) -> bool:
    parts = _substitute(pattern, request, variables)
    if parts is None:
        return False
    return _compile(parts, True, False).fullmatch(request.resource) is not None


def _is_cross_account(request: Request, resource_account: str | None) -> bool:
    """True when the caller's account is known and is not the resource's account."""
    if resource_account is None:
        return False
    if not re.fullmatch(r"\d{12}", resource_account):
        raise ValueError(f"resource_account must be a 12-digit account ID: {resource_account!r}")
    caller = _account_of(request.principal) if request.principal else None
    return caller is not None and caller != resource_account


def _account_of(principal: str) -> str | None:
    if re.fullmatch(r"\d{12}", principal):
        return principal
    fields = principal.split(":")
    return fields[4] if len(fields) >= 6 and fields[0] == "arn" else None


def _principal_matches(element: Any, request: Request) -> bool:
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        raise PolicyError(f"Principal must be '*' or a mapping, got {element!r}")
    caller = request.principal
    for kind, values in element.items():
        for value in _listify(values):
            if kind == "AWS" and value == "*":
                return True
            if caller is None:
                continue
            if kind != "AWS":  # Service, Federated, CanonicalUser: exact names
                if value == caller:
                    return True
                continue
            if value == caller:
                return True
            root = re.fullmatch(r"(?:arn:[\w-]+:iam::)?(\d{12})(?::root)?", value)
            if root and _account_of(caller) == root.group(1):
                return True
            role = re.fullmatch(r"arn:([\w-]+):iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)", value)
            if role and re.fullmatch(
                rf"arn:{role.group(1)}:sts::{role.group(2)}:assumed-role/{re.escape(role.group(3))}/.+",
                caller,
            ):
                return True
    return False


# ----------------------------------------------------------------------------- conditions


def _cmp_string(actual: str, expected: str) -> bool:
    return actual == expected


def _cmp_string_ci(actual: str, expected: str) -> bool:
    return actual.casefold() == expected.casefold()


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    number = _number(text)
    if number is not None:
        return datetime.fromtimestamp(number, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


Comparator = Callable[[str, str], bool]


def _ordered(parse: Callable[[str], Any], test: Callable[[Any, Any], bool]) -> Comparator:
    def compare(actual: str, expected: str) -> bool:
        a, e = parse(actual), parse(expected)
        return a is not None and e is not None and test(a, e)

    return compare


def _cmp_ip(actual: str, expected: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    except ValueError:
        return False


def _cmp_binary(actual: str, expected: str) -> bool:
    try:
        return base64.b64decode(actual, validate=True) == base64.b64decode(expected, validate=True)
    except ValueError:
        return False


def _cmp_bool(actual: str, expected: str) -> bool:
    return actual.lower() == expected.lower()


# operator -> (comparison, negated, wildcard kind); no comparison means "match wildcards".
_OPERATORS: dict[str, tuple[Comparator | None, bool, str | None]] = {
    "StringEquals": (_cmp_string, False, None),
    "StringNotEquals": (_cmp_string, True, None),
    "StringEqualsIgnoreCase": (_cmp_string_ci, False, None),
    "StringNotEqualsIgnoreCase": (_cmp_string_ci, True, None),
    "StringLike": (None, False, "string"),
    "StringNotLike": (None, True, "string"),
    "ArnEquals": (None, False, "arn"),
    "ArnLike": (None, False, "arn"),
    "ArnNotEquals": (None, True, "arn"),
    "ArnNotLike": (None, True, "arn"),
    "Bool": (_cmp_bool, False, None),
    "BinaryEquals": (_cmp_binary, False, None),
    "IpAddress": (_cmp_ip, False, None),
    "NotIpAddress": (_cmp_ip, True, None),
    "NumericEquals": (_ordered(_number, lambda a, e: a == e), False, None),
    "NumericNotEquals": (_ordered(_number, lambda a, e: a == e), True, None),
    "NumericLessThan": (_ordered(_number, lambda a, e: a < e), False, None),
    "NumericLessThanEquals": (_ordered(_number, lambda a, e: a <= e), False, None),
    "NumericGreaterThan": (_ordered(_number, lambda a, e: a > e), False, None),
    "NumericGreaterThanEquals": (_ordered(_number, lambda a, e: a >= e), False, None),
    "DateEquals": (_ordered(_date, lambda a, e: a == e), False, None),
    "DateNotEquals": (_ordered(_date, lambda a, e: a == e), True, None),
    "DateLessThan": (_ordered(_date, lambda a, e: a < e), False, None),
    "DateLessThanEquals": (_ordered(_date, lambda a, e: a <= e), False, None),
    "DateGreaterThan": (_ordered(_date, lambda a, e: a > e), False, None),
    "DateGreaterThanEquals": (_ordered(_date, lambda a, e: a >= e), False, None),
}


def _parse_operator(operator: str) -> tuple[str | None, str, bool]:
    """Split ``ForAnyValue:StringLikeIfExists`` into (qualifier, base, if_exists)."""
    qualifier, _, base = operator.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise PolicyError(f"unknown set qualifier in {operator!r}")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    if base != "Null" and base not in _OPERATORS:
        raise PolicyError(f"unknown condition operator {operator!r}")
    if base == "Null" and (if_exists or qualifier):
        raise PolicyError(f"{operator!r}: Null takes no qualifier")
    return qualifier or None, base, if_exists


def _condition_matches(
    operator: str, key: str, expected: list[str], request: Request, variables: bool
) -> bool:
    qualifier, base, if_exists = _parse_operator(operator)
    actual = request.get(key)
    if base == "Null":
        absent = actual is None or actual == []
        return any(str(e).lower() == ("true" if absent else "false") for e in expected)
    compare, negated, like = _OPERATORS[base]
    if actual is None:
        # Documented: IfExists and ForAllValues are true for a missing key; negated operators
        # are true (nothing to match); everything else is false.
        return if_exists or qualifier == "ForAllValues" or (negated and qualifier is None)

    def one(value: str) -> bool:
        hit = False
        for raw in expected:
            parts = _substitute(str(raw), request, variables)
            if parts is None:
                continue
            if compare is None:
                hit = _compile(parts, like == "arn", False).fullmatch(value) is not None
            else:
                hit = compare(value, "".join(p for _, p in parts))
            if hit:
                break
        return hit != negated

    if qualifier == "ForAllValues":
        return all(one(v) for v in actual)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in actual)
    # A single-valued operator on a multi-valued key: any value for positive operators,
    # every value for negated ones (no value may match).
    return all(one(v) for v in actual) if negated else any(one(v) for v in actual)


# ----------------------------------------------------------------------------- documents


def validate_policy(policy: Policy) -> None:
    """Raise ``PolicyError`` if the document is malformed the way AWS would reject it."""
    document = _load(policy)
    if "Statement" not in document:
        raise PolicyError("policy has no Statement")
    for statement in _statements(document):
        if not isinstance(statement, Mapping):
            raise PolicyError(f"statement must be an object, got {statement!r}")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError(f"Effect must be Allow or Deny in {statement!r}")
        for a, b in (("Action", "NotAction"), ("Resource", "NotResource")):
            if a in statement and b in statement:
                raise PolicyError(f"{a} and {b} in one statement")
        if ("Action" in statement) == ("NotAction" in statement):
            raise PolicyError(f"statement needs exactly one of Action/NotAction: {statement!r}")
        if "Principal" in statement and "NotPrincipal" in statement:
            raise PolicyError("Principal and NotPrincipal in one statement")
        condition = statement.get("Condition", {})
        if not isinstance(condition, Mapping):
            raise PolicyError("Condition must be an object")
        for operator, block in condition.items():
            _parse_operator(operator)
            if not isinstance(block, Mapping):
                raise PolicyError(f"{operator} must map condition keys to values")


def _load(policy: Policy) -> Mapping[str, Any]:
    if isinstance(policy, str):
        try:
            loaded = json.loads(policy)
        except json.JSONDecodeError as error:
            raise PolicyError(f"policy is not JSON: {error}") from error
        if not isinstance(loaded, Mapping):
            raise PolicyError("policy JSON must be an object")
        return loaded
    return policy


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy["Statement"]
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _listify(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _as_strings(value: ContextValue) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, datetime):
        return [value.isoformat()]
    if isinstance(value, str | int | float):
        return [str(value)]
    return [str(v) for v in value]


def _with_layer(decision: Decision, layer: str) -> Decision:
    return Decision(decision.verdict, decision.statement, decision.policy_index, layer)
