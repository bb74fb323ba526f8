"""Serving and probing the project's API (autograder/container/project_serving.py): its pure
helpers on the host; the real thing runs in tests/autograder/test_project_run.py."""

from __future__ import annotations

from autograder.container import project_serving


def test_percentile_is_the_nearest_rank():
    assert project_serving.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert project_serving.percentile([float(v) for v in range(1, 101)], 0.95) == 95.0
