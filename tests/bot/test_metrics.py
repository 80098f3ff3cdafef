"""The metrics registry speaks the Prometheus text format that scrapers parse."""

import pytest

from bot import metrics


def test_counter_renders_with_help_type_and_escaped_labels() -> None:
    jobs = metrics.counter("test_jobs_total", "Jobs run.\nPer kind.", ("kind",))
    jobs.inc(kind='say "hi"')
    jobs.inc(2, kind="b")
    metrics.counter("test_jobs_total", "Jobs run.", ["kind"]).inc(kind="b")

    text = metrics.render()

    assert "# HELP test_jobs_total Jobs run.\\nPer kind.\n" in text
    assert "# TYPE test_jobs_total counter\n" in text
    assert 'test_jobs_total{kind="b"} 3\n' in text
    assert 'test_jobs_total{kind="say \\"hi\\""} 1\n' in text
    assert text.endswith("\n")


def test_summary_renders_count_and_sum() -> None:
    took = metrics.summary("test_took_seconds", "Time taken.")
    took.observe(0.25)
    took.observe(1_234_567)

    text = metrics.render()

    assert "# TYPE test_took_seconds summary\n" in text
    assert "test_took_seconds_count 2\n" in text
    assert "test_took_seconds_sum 1234567.25\n" in text


def test_misuse_is_refused() -> None:
    hits = metrics.counter("test_hits_total", "Hits.", ("page",))
    with pytest.raises(ValueError):
        hits.inc(-1, page="x")
    with pytest.raises(ValueError):
        hits.inc(colour="red")
    with pytest.raises(ValueError):
        metrics.summary("test_hits_total", "Hits.", ("page",))
