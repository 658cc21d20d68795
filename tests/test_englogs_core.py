"""The helpers every post imports: statistics, timing, local AWS, house style."""

from __future__ import annotations

import os
import time

import matplotlib
import pytest

from englogs.aws import EXAMPLE_ACCESS_KEY_ID, local_aws, redact
from englogs.plotting import PALETTE, use_house_style
from englogs.stats import best_seconds, median_seconds, percentiles


def test_percentiles_interpolate_and_name_keys() -> None:
    assert percentiles(range(1, 101), (50, 99)) == {"p50": 50.5, "p99": 99.01}


def test_percentiles_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        percentiles([])


def test_median_seconds_counts_calls_and_rejects_nonsense() -> None:
    calls: list[int] = []
    assert median_seconds(lambda: calls.append(1), repeat=3, number=4) >= 0
    assert len(calls) == 12
    with pytest.raises(ValueError):
        median_seconds(lambda: None, repeat=0)


def test_local_aws_serves_real_boto3_calls_and_restores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "someone-real")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", EXAMPLE_ACCESS_KEY_ID)
    with local_aws() as session:
        assert os.environ["AWS_ACCESS_KEY_ID"] != EXAMPLE_ACCESS_KEY_ID
        assert "AWS_PROFILE" not in os.environ
        sqs = session.client("sqs")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        messages = sqs.receive_message(QueueUrl=url)["Messages"]
        assert [m["Body"] for m in messages] == ["hello"]
    assert os.environ["AWS_PROFILE"] == "someone-real"
    assert os.environ["AWS_ACCESS_KEY_ID"] == EXAMPLE_ACCESS_KEY_ID


def test_redact_keeps_only_a_prefix() -> None:
    assert redact("ASIAABCDEFGHIJKLMNOP") == "ASIA…"
    assert redact("abc") == "…"


def test_house_style_sets_the_palette() -> None:
    use_house_style()
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert colours == PALETTE


def test_best_seconds_reports_the_least_disturbed_round() -> None:
    delays = iter([0.05, 0.0, 0.05])  # two rounds slowed down, one not
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        time.sleep(next(delays))

    assert best_seconds(work, repeat=3) < 0.04
    assert len(calls) == 3
    with pytest.raises(ValueError):
        best_seconds(work, number=0)
