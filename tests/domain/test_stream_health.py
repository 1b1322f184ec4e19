"""The connection-quality rule and the windows behind the per-stream health."""

from __future__ import annotations

import pytest

from openvias.domain.stream_health import (
    HourWindow,
    RateWindow,
    WorkTotals,
    connection_quality,
)


@pytest.mark.parametrize(
    ("analysed", "reconnects", "lag", "word"),
    [
        (1.0, 0, 0.3, "excellent"),
        (0.9, 0, None, "excellent"),  # a file: no lag
        (0.89, 0, 0.3, "fair"),
        (1.0, 1, 0.3, "fair"),
        (1.0, 0, 1.5, "fair"),
        (0.74, 0, 0.3, "poor"),
        (1.0, 3, 0.3, "poor"),
        (1.0, 0, 2.5, "poor"),
        (0.49, 0, 0.3, "unusable"),
        (1.0, 11, 0.3, "unusable"),
        (1.0, 0, 5.1, "unusable"),
        (2.0, 0, 0.1, "excellent"),  # more than asked is not better than all
    ],
)
def test_quality_is_the_best_word_whose_limits_the_stream_meets(
    analysed: float, reconnects: int, lag: float | None, word: str
) -> None:
    assert (
        connection_quality(
            source_running=True,
            expected_per_second=1.0,
            analysed_per_second=analysed,
            reconnects_last_hour=reconnects,
            lag_seconds=lag,
        )
        == word
    )


def test_a_source_that_is_not_running_is_unusable() -> None:
    for running, expected in ((False, 1.0), (True, 0.0)):
        assert (
            connection_quality(
                source_running=running,
                expected_per_second=expected,
                analysed_per_second=1.0,
                reconnects_last_hour=0,
                lag_seconds=0.1,
            )
            == "unusable"
        )


def test_the_hour_window_forgets_what_is_an_hour_old() -> None:
    window = HourWindow()
    for moment in (0.0, 10.0, 1800.0):
        window.add(moment)
    assert window.count(3599.0) == 3
    assert window.count(3600.0) == 2  # the event at 0 s is exactly an hour old
    assert window.count(5400.0) == 0
    assert window.total == 3


def totals(samples: int) -> WorkTotals:
    return WorkTotals(
        decoded=3 * samples,
        analysed=samples,
        decode_s=0.01 * samples,
        convert_s=0.002 * samples,
        analyse_s=0.02 * samples,
    )


def test_rates_and_stage_times_come_from_the_recent_window() -> None:
    window = RateWindow(span=30.0)
    assert window.rates(0.0).analysed_per_second == 0.0
    for second in range(61):  # one sample a second for a minute
        window.note(float(second), totals(second))
    rates = window.rates(60.0)
    assert rates.analysed_per_second == pytest.approx(1.0)
    assert rates.decoded_per_second == pytest.approx(3.0)
    assert rates.decode_ms == pytest.approx(10.0)
    assert rates.convert_ms == pytest.approx(2.0)
    assert rates.analyse_ms == pytest.approx(20.0)
    # The source goes quiet: the rates fall towards 0, and stage times need samples.
    assert window.rates(75.0).analysed_per_second == pytest.approx(15 / 30)
    quiet = window.rates(200.0)
    assert quiet.analysed_per_second == 0.0
    assert quiet.decode_ms is None
