"""Reading a run's totals from its parent cgroup, on fake v1 and v2 trees (no Docker needed).

The real hierarchy is exercised by the resource tests in test_sandbox.py.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from autograder import cgroups
from autograder.cgroups import PREFIX, Usage

MiB = 1024 * 1024


def v1_tree(root: Path, run: str, *, peak: int, cpu_ns: int) -> None:
    for hierarchy in ("memory", "cpuacct", "pids"):
        (root / hierarchy / PREFIX / run).mkdir(parents=True)
    (root / "memory" / PREFIX / run / "memory.max_usage_in_bytes").write_text(f"{peak}\n")
    (root / "cpuacct" / PREFIX / run / "cpuacct.usage").write_text(f"{cpu_ns}\n")


def test_v1_totals_come_from_the_runs_parent_cgroup(tmp_path):
    v1_tree(tmp_path, "run-1", peak=100 * MiB, cpu_ns=1_500_000_000)

    assert cgroups.read_usage("run-1", root=tmp_path) == Usage(cpu_s=1.5, peak_mem_mb=100.0)


def test_v2_totals_come_from_memory_peak_and_cpu_stat(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    group = tmp_path / PREFIX / "run-1"
    group.mkdir(parents=True)
    (group / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n")
    (group / "memory.peak").write_text(f"{64 * MiB}\n")

    assert cgroups.read_usage("run-1", root=tmp_path) == Usage(cpu_s=2.5, peak_mem_mb=64.0)


def test_v2_on_a_kernel_without_memory_peak_reports_cpu_and_zero_peak(tmp_path, caplog):
    (tmp_path / "cgroup.controllers").write_text("cpu memory\n")
    group = tmp_path / PREFIX / "run-1"
    group.mkdir(parents=True)
    (group / "cpu.stat").write_text("usage_usec 1000000\n")

    with caplog.at_level(logging.WARNING, logger="autograder.cgroups"):
        usage = cgroups.read_usage("run-1", root=tmp_path)

    assert usage == Usage(cpu_s=1.0, peak_mem_mb=0.0)
    assert "memory.peak" in caplog.text


def test_totals_that_cannot_be_read_are_none_and_logged(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="autograder.cgroups"):
        assert cgroups.read_usage("never-ran", root=tmp_path) is None

    assert "reporting zero CPU and memory" in caplog.text


def test_remove_deletes_the_runs_directory_in_every_hierarchy(tmp_path):
    v1_tree(tmp_path, "run-1", peak=1, cpu_ns=1)
    v1_tree(tmp_path, "run-2", peak=1, cpu_ns=1)
    for path in tmp_path.glob(f"*/{PREFIX}/run-1/*"):
        path.unlink()  # real cgroup directories can be removed with their control files

    assert cgroups.remove("run-1", root=tmp_path, wait_s=0)

    assert list(tmp_path.glob(f"*/{PREFIX}/run-1")) == []
    assert len(list(tmp_path.glob(f"*/{PREFIX}/run-2"))) == 3


def test_sweep_removes_only_old_unkept_runs_with_the_prefix(tmp_path):
    for run in ("w1-old", "w1-kept", "w1-young", "w2-old"):
        (tmp_path / "memory" / PREFIX / run).mkdir(parents=True)
    an_hour_ago = time.time() - 3600
    for run in ("w1-old", "w1-kept", "w2-old"):
        os.utime(tmp_path / "memory" / PREFIX / run, (an_hour_ago, an_hour_ago))

    removed = cgroups.sweep(older_than_s=600, keep={"w1-kept"}, prefix="w1-", root=tmp_path)

    assert removed == ["w1-old"]
    left = sorted(p.name for p in (tmp_path / "memory" / PREFIX).iterdir())
    assert left == ["w1-kept", "w1-young", "w2-old"]
