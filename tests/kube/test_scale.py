"""1,000 objects stay fast: bounded history, objects by key (measured ~0.5 s; bound 30 s)."""

import time

from bench.kube_api_scale import main as run_scale


def test_thousand_objects_created_listed_and_watched():
    started = time.monotonic()
    result = run_scale(1000)
    assert result["objects"] == 1000
    assert time.monotonic() - started < 30, result
