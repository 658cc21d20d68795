"""englogs.notify_product: routing by preferences, collapse keys, digests, lanes, push limits."""

from __future__ import annotations

import pytest

from englogs.notify_product import (
    Event,
    Lane,
    LaneQueue,
    ModelledPush,
    Preferences,
    PushMessage,
    Route,
    collapse,
    digest_lines,
    in_quiet_hours,
    push_message,
    route,
)


def ev(seq: int, kind: str = "like", lane: Lane = Lane.SOCIAL, key: str | None = None) -> Event:
    return Event("u1", seq, kind, lane, f"{kind} {seq}", key)


@pytest.mark.parametrize(
    ("hour", "quiet", "expected"),
    [
        (23, (22, 7), True),
        (3, (22, 7), True),
        (7, (22, 7), False),
        (12, (22, 7), False),
        (13, (12, 14), True),
        (14, (12, 14), False),
        (5, None, False),
        (5, (5, 5), False),
    ],
)
def test_quiet_hours_wrap_midnight(
    hour: int, quiet: tuple[int, int] | None, expected: bool
) -> None:
    assert in_quiet_hours(hour, quiet) is expected


@pytest.mark.parametrize("hour", [-1, 24])
def test_bad_hour_is_refused(hour: int) -> None:
    with pytest.raises(ValueError, match="hour"):
        in_quiet_hours(hour, (22, 7))


def test_bad_quiet_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        Preferences(quiet_hours=(22, 25))


def test_security_ignores_mutes_opt_out_and_quiet_hours() -> None:
    prefs = Preferences(muted_kinds=frozenset({"new-login"}), push_enabled=False)
    alert = ev(1, "new-login", Lane.SECURITY)
    assert route(alert, prefs, online=False, local_hour=23) is Route.PUSH
    assert route(alert, prefs, online=True, local_hour=23) is Route.SOCKET


def test_routes_for_ordinary_events() -> None:
    prefs = Preferences(muted_kinds=frozenset({"follow"}))
    assert route(ev(1, "follow"), prefs, online=True, local_hour=12) is Route.DROP
    assert route(ev(2, "like"), prefs, online=True, local_hour=12) is Route.SOCKET
    assert route(ev(3, "like"), prefs, online=False, local_hour=12) is Route.DIGEST
    assert route(ev(4, "mention", Lane.DIRECT), prefs, online=False, local_hour=12) is Route.PUSH
    assert route(ev(5, "mention", Lane.DIRECT), prefs, online=False, local_hour=23) is Route.DIGEST
    no_push = Preferences(push_enabled=False)
    assert (
        route(ev(6, "mention", Lane.DIRECT), no_push, online=False, local_hour=12) is Route.DIGEST
    )


def test_collapse_keeps_newest_per_key_in_log_order_even_out_of_order() -> None:
    events = [
        ev(5, key="post:7"),
        ev(1, key="post:7"),
        ev(2),
        ev(3, key="post:9"),
        ev(4, key="post:7"),
    ]
    assert [e.seq for e in collapse(events)] == [2, 3, 5]
    assert collapse([]) == []


def test_digest_counts_by_kind_and_key() -> None:
    events = [ev(1, key="post:7"), ev(2, key="post:7"), ev(3, "follow"), ev(4, key="post:7")]
    assert digest_lines(events) == ["3 x like (post:7)", "1 x follow (-)"]


def test_lane_queue_is_strict_priority_then_fifo() -> None:
    q = LaneQueue()
    for e in [
        ev(1),
        ev(2, "mention", Lane.DIRECT),
        ev(3),
        ev(4, "new-login", Lane.SECURITY),
        ev(5),
    ]:
        q.put(e)
    assert [q.get().seq for _ in range(len(q))] == [4, 2, 1, 3, 5]
    with pytest.raises(IndexError):
        q.get()


def test_lane_queue_tolerates_equal_sequence_numbers() -> None:
    q = LaneQueue()
    q.put(ev(1))
    q.put(ev(1))  # a retried event: must not try to compare two Events
    assert len(q) == 2 and q.get().seq == q.get().seq == 1


def test_push_message_is_small_and_prioritised() -> None:
    msg = push_message(ev(9, "mention", Lane.DIRECT, key="thread:3"), "device-1")
    assert msg.priority == 10 and msg.collapse_id == "thread:3" and msg.payload["seq"] == 9
    assert push_message(ev(10), "device-1").priority == 5
    long_text = Event("u1", 11, "mention", Lane.DIRECT, "x" * 10_000)
    assert len(push_message(long_text, "d").payload["aps"]["alert"]) == 120  # type: ignore[index]


def test_modelled_push_enforces_documented_limits() -> None:
    push = ModelledPush()
    push.send(push_message(ev(1, key="post:7"), "device-1"))
    assert len(push.sent) == 1
    with pytest.raises(ValueError, match="4096"):
        push.send(PushMessage("d", {"blob": "x" * 5000}, None, 5))
    with pytest.raises(ValueError, match="64 bytes"):
        push.send(PushMessage("d", {}, "k" * 65, 5))
    assert len(push.sent) == 1  # refused messages are not recorded
