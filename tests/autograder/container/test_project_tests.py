"""The pytest step's report (autograder/container/project_tests.py): JUnit read safely and
summarized, on the host."""

from __future__ import annotations

import pytest

from autograder.container import project_tests

JUNIT = b"""<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_api" name="test_ok" time="0.1"/>
<testcase classname="tests.test_api.TestPredict" name="test_bad" time="0.1">
<failure message="assert 1 == 2">trace</failure></testcase>
<testcase classname="tests.test_model" name="test_skip"><skipped message="x"/></testcase>
<testcase classname="" name="tests.test_cat" time="0"><error message="collection failure">
E   ModuleNotFoundError: No module named 'catboost.core'</error></testcase>
<testcase classname="tests.test_model" name="test_own"><error message="fixture">
E   ModuleNotFoundError: No module named 'churn.extra'</error></testcase>
</testsuite></testsuites>"""


def test_junit_summary_names_tests_and_missing_modules():
    files = {
        "tests/test_api.py",
        "tests/test_model.py",
        "tests/test_cat.py",
        "src/churn/__init__.py",
    }
    summary = project_tests.summarize_junit(project_tests.parse_junit(JUNIT), files)
    assert (
        summary["total"],
        summary["passed"],
        summary["failed"],
        summary["errors"],
        summary["skipped"],
    ) == (4, 1, 1, 1, 1)
    assert [f["name"] for f in summary["failures"]] == [
        "tests/test_api.py::TestPredict::test_bad",
        "tests/test_model.py::test_own",
    ]
    assert summary["collection_errors"][0]["name"] == "tests/test_cat.py"
    assert summary["missing_modules"] == ["catboost"]
    assert summary["unimportable_project_modules"] == ["churn.extra"]


def test_junit_with_a_doctype_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuites>&a;</testsuites>'
    with pytest.raises(ValueError, match="DOCTYPE"):
        project_tests.parse_junit(bomb)
    with pytest.raises(ValueError, match="grande"):
        project_tests.parse_junit(b" " * (project_tests.JUNIT_MAX_BYTES + 1))
