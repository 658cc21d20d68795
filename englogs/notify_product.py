"""The product layer of a notification system, on top of the per-user log.

Preferences, priority lanes, collapse keys, digests and the hand-off to mobile push. The push
providers (APNs, FCM) are a *modelled* interface here: :class:`ModelledPush` checks a message
against the documented limits and records it; it sends nothing and opens no connection.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Literal, Protocol

APNS_MAX_PAYLOAD_BYTES = 4096  # APNs: 4 KB for regular remote notifications
APNS_MAX_COLLAPSE_ID_BYTES = 64  # APNs: apns-collapse-id is at most 64 bytes


class Lane(IntEnum):
    """Priority lanes: lower values are dispatched first and never wait behind higher ones."""

    SECURITY = 0  # new login, password change: must arrive
    DIRECT = 1  # mentions, replies, messages
    SOCIAL = 2  # likes, follows: collapsible, digestible


class Route(Enum):
    DROP = "drop"  # muted: stays in the in-app inbox (the log), is not pushed anywhere
    SOCKET = "socket"  # the user is online: the live path delivers it
    PUSH = "push"  # offline: hand off to APNs/FCM now
    DIGEST = "digest"  # offline, and not worth an interruption: batch it


@dataclass(frozen=True)
class Event:
    user: str
    seq: int
    kind: str  # "like", "mention", "new-login"...
    lane: Lane
    text: str
    collapse_key: str | None = None  # events with the same key supersede each other


@dataclass(frozen=True)
class Preferences:
    muted_kinds: frozenset[str] = frozenset()
    push_enabled: bool = True
    quiet_hours: tuple[int, int] | None = (22, 7)  # local hours [start, end), may wrap midnight
    digest_lanes: frozenset[Lane] = frozenset({Lane.SOCIAL})

    def __post_init__(self) -> None:
        if self.quiet_hours is not None and not all(0 <= h < 24 for h in self.quiet_hours):
            raise ValueError(f"quiet hours must be in 0..23, got {self.quiet_hours}")


def in_quiet_hours(hour: int, quiet: tuple[int, int] | None) -> bool:
    """True if local ``hour`` falls in ``quiet`` = [start, end), which may wrap midnight."""
    if not 0 <= hour < 24:
        raise ValueError(f"hour must be in 0..23, got {hour}")
    if quiet is None or quiet[0] == quiet[1]:
        return False
    start, end = quiet
    return start <= hour < end if start < end else hour >= start or hour < end


def route(event: Event, prefs: Preferences, online: bool, local_hour: int) -> Route:
    """Where one notification goes. Security events ignore mutes, opt-outs and quiet hours."""
    if event.lane is Lane.SECURITY:
        return Route.SOCKET if online else Route.PUSH
    if event.kind in prefs.muted_kinds:
        return Route.DROP
    if online:
        return Route.SOCKET
    quiet = in_quiet_hours(local_hour, prefs.quiet_hours)
    if not prefs.push_enabled or event.lane in prefs.digest_lanes or quiet:
        return Route.DIGEST
    return Route.PUSH


def collapse(events: Iterable[Event]) -> list[Event]:
    """Keep the newest event per collapse key (and every event without one), in log order."""
    newest: dict[str, Event] = {}
    kept: list[Event] = []
    for event in events:
        if event.collapse_key is None:
            kept.append(event)
        elif event.collapse_key not in newest or event.seq > newest[event.collapse_key].seq:
            newest[event.collapse_key] = event
    return sorted(kept + list(newest.values()), key=lambda e: e.seq)


def digest_lines(events: Iterable[Event]) -> list[str]:
    """One line per (kind, collapse key): "3 x like (post:7)", most frequent first."""
    counts = Counter((e.kind, e.collapse_key or "-") for e in events)
    return [f"{n} x {kind} ({key})" for (kind, key), n in counts.most_common()]


@dataclass(frozen=True)
class PushMessage:
    device_token: str
    payload: dict[str, object]
    collapse_id: str | None
    priority: Literal[10, 5]  # APNs: 10 = immediate, 5 = power-considerate (FCM: high / normal)


class PushProvider(Protocol):
    def send(self, message: PushMessage) -> None: ...


def push_message(event: Event, device_token: str) -> PushMessage:
    """The hand-off: only the sequence number and a short text travel; the app fetches the rest."""
    payload: dict[str, object] = {"aps": {"alert": event.text[:120]}, "seq": event.seq}
    priority: Literal[10, 5] = 10 if event.lane <= Lane.DIRECT else 5
    return PushMessage(device_token, payload, event.collapse_key, priority)


@dataclass
class ModelledPush:
    """MODELLED APNs/FCM adapter: validates against documented limits and records; no network."""

    sent: list[PushMessage] = field(default_factory=list)

    def send(self, message: PushMessage) -> None:
        size = len(json.dumps(message.payload, separators=(",", ":")).encode())
        if size > APNS_MAX_PAYLOAD_BYTES:
            raise ValueError(f"push payload is {size} bytes; the limit is {APNS_MAX_PAYLOAD_BYTES}")
        collapse_id = message.collapse_id or ""
        if len(collapse_id.encode()) > APNS_MAX_COLLAPSE_ID_BYTES:
            raise ValueError("collapse id longer than 64 bytes")
        self.sent.append(message)


class LaneQueue:
    """Dispatch queue with strict priority by lane, FIFO (by sequence) within a lane."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, int, Event]] = []
        self._order = 0  # tie-break: arrival order, so equal (lane, seq) never compares Events

    def put(self, event: Event) -> None:
        heapq.heappush(self._heap, (int(event.lane), self._order, event.seq, event))
        self._order += 1

    def get(self) -> Event:
        if not self._heap:
            raise IndexError("get from an empty LaneQueue")
        return heapq.heappop(self._heap)[-1]

    def __len__(self) -> int:
        return len(self._heap)
