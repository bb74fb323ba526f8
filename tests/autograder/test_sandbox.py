"""The sandbox against a real Docker daemon and the grading image (AUTOGRADER_IMAGE).

Every container test runs a real, short-lived container; the commands only need bash,
coreutils and python3 from the image.
"""

from __future__ import annotations

import contextlib
import glob
import re
import signal
import threading
import tracemalloc
from pathlib import Path

import docker
import docker.models.containers
import pytest

from autograder import cgroups
from autograder.results import ExitReason, Limits
from autograder.sandbox import (
    LABEL,
    RUN_LABEL,
    TRUNCATION_MARKER,
    Mount,
    Sandbox,
    SandboxError,
    _CappedOutput,
    classify_exit,
    run_in_sandbox,
)
from autograder.sweep import remove_stale_containers
from tests.autograder.conftest import containers_named

MiB = 1024 * 1024
# Small and quick by default; each test changes only what it is about.
QUICK = Limits(memory_mb=256, cpus=1.0, pids=64, wall_seconds=20, tmpfs_mb=32)
V1_MEMORY = Path(cgroups.cgroup_root(), "memory")


def run(image: str, name: str, script: str, limits: Limits = QUICK, **kwargs):
    return run_in_sandbox(["bash", "-c", script], image=image, name=name, limits=limits, **kwargs)


def python(image: str, name: str, code: str, limits: Limits = QUICK, **kwargs):
    return run_in_sandbox(["python3", "-c", code], image=image, name=name, limits=limits, **kwargs)


# -- without Docker ----------------------------------------------------------------------


def test_our_timeout_wins_over_every_other_reason() -> None:
    assert classify_exit(timed_out=True, exit_code=137, oom_killed=True) is ExitReason.TIMEOUT


def test_a_sigkill_with_the_oom_flag_is_out_of_memory() -> None:
    assert classify_exit(timed_out=False, exit_code=137, oom_killed=True) is ExitReason.OOM


def test_a_signal_we_did_not_send_is_killed() -> None:
    assert classify_exit(timed_out=False, exit_code=137, oom_killed=False) is ExitReason.KILLED
    assert classify_exit(timed_out=False, exit_code=139, oom_killed=False) is ExitReason.KILLED


def test_an_oom_in_a_child_with_a_normal_exit_is_ok() -> None:
    assert classify_exit(timed_out=False, exit_code=0, oom_killed=True) is ExitReason.OK
    assert classify_exit(timed_out=False, exit_code=3, oom_killed=False) is ExitReason.OK
    assert classify_exit(timed_out=False, exit_code=255, oom_killed=False) is ExitReason.OK


def test_capped_output_keeps_the_first_bytes_and_says_where_it_was_cut() -> None:
    output = _CappedOutput(10)
    for chunk in (b"0123456", b"789abc", b"def"):
        output.feed(chunk)
    assert output.truncated
    assert output.total == 16
    assert output.text() == "0123456789\n" + TRUNCATION_MARKER.format(limit=10) + "\n"


def test_capped_output_replaces_invalid_utf8_instead_of_failing() -> None:
    output = _CappedOutput(100)
    output.feed("olá ".encode() + b"\xff")
    assert output.text() == "olá \ufffd"
    assert not output.truncated


def test_a_name_docker_cannot_use_is_refused_before_docker_is_called() -> None:
    with pytest.raises(ValueError, match="invalid sandbox name"):
        Sandbox(["true"], image="x", name="../etc", limits=QUICK)
    with pytest.raises(ValueError, match="not a string"):
        Sandbox("true", image="x", name="ok", limits=QUICK)


# -- the command and its result ------------------------------------------------------------


@pytest.mark.docker
def test_a_command_that_prints_and_exits_0_is_ok_with_its_logs(grader_image, sandbox_name):
    result = run(grader_image, sandbox_name, "echo to stdout; echo to stderr >&2")

    assert result.exit_reason is ExitReason.OK
    assert result.exit_code == 0
    assert "to stdout\n" in result.logs
    assert "to stderr\n" in result.logs
    assert not result.logs_truncated
    assert result.image.startswith("sha256:")
    assert result.container_name == sandbox_name
    assert 0 < result.resources.wall_s < 10


@pytest.mark.docker
def test_a_non_zero_exit_code_is_ok_with_that_code(grader_image, sandbox_name):
    result = run(grader_image, sandbox_name, "exit 3")

    assert result.exit_reason is ExitReason.OK
    assert result.exit_code == 3
    assert not result.oom_killed


@pytest.mark.docker
def test_a_command_beyond_the_wall_clock_times_out_and_its_container_is_gone(
    docker_client, grader_image, sandbox_name
):
    limits = Limits(wall_seconds=2, memory_mb=128)
    result = run(grader_image, sandbox_name, "echo started; sleep 30", limits)

    assert result.exit_reason is ExitReason.TIMEOUT
    assert 2 <= result.resources.wall_s < 8
    assert result.logs == "started\n"
    assert containers_named(docker_client, sandbox_name) == []


# -- limits ---------------------------------------------------------------------------------


@pytest.mark.docker
def test_every_limit_is_in_the_container_configuration(grader_image, sandbox_name):
    limits = Limits(memory_mb=64, cpus=0.5, pids=32, wall_seconds=5, tmpfs_mb=8)
    with Sandbox(["true"], image=grader_image, name=sandbox_name, limits=limits) as box:
        config = box.container.attrs["Config"]
        host = box.container.attrs["HostConfig"]

    assert host["NetworkMode"] == "none"
    assert host["Memory"] == host["MemorySwap"] == 64 * MiB
    assert host["NanoCpus"] == 500_000_000
    assert host["PidsLimit"] == 32
    assert host["ReadonlyRootfs"] is True
    assert host["Privileged"] is False
    assert host["CapDrop"] == ["ALL"]
    assert not host["CapAdd"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["IpcMode"] == "private"
    assert host["Init"] is True
    assert host["Tmpfs"] == {"/tmp": "rw,exec,nosuid,nodev,size=8m,mode=1777"}
    assert host["LogConfig"]["Type"] == "none"
    assert host["CgroupParent"] == cgroups.parent_for(sandbox_name)
    assert config["User"] == "65534:65534"
    assert config["Labels"][LABEL] == "1"  # with the image's own labels
    assert config["Labels"][RUN_LABEL] == sandbox_name


@pytest.mark.docker
def test_a_memory_hog_is_out_of_memory_with_peak_memory_near_the_limit(grader_image, sandbox_name):
    hog = "chunks = []\nwhile True:\n    chunks.append(b'x' * (4 << 20))"
    result = python(grader_image, sandbox_name, hog, Limits(memory_mb=64, wall_seconds=20))

    assert result.exit_reason is ExitReason.OOM
    assert result.exit_code == 137
    assert result.oom_killed
    assert 48 <= result.resources.peak_mem_mb <= 64.5


@pytest.mark.docker
def test_an_oom_in_a_child_process_is_flagged_while_the_main_process_exits_normally(
    grader_image, sandbox_name
):
    code = (
        "import subprocess, sys\n"
        "hog = 'c = []\\nwhile True: c.append(bytes(1) * (4 << 20))'\n"
        "print('child returned', subprocess.run([sys.executable, '-c', hog]).returncode)"
    )
    result = python(grader_image, sandbox_name, code, Limits(memory_mb=64, wall_seconds=20))

    assert result.exit_reason is ExitReason.OK
    assert result.exit_code == 0
    assert result.oom_killed
    assert "child returned -9" in result.logs


@pytest.mark.docker
def test_forking_stops_at_the_pids_limit(grader_image, sandbox_name):
    code = (
        "import os, time\n"
        "children = 0\n"
        "try:\n"
        "    while children < 1000:\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(30)\n"
        "            os._exit(0)\n"
        "        children += 1\n"
        "except OSError as exc:\n"
        "    print('fork failed:', exc.strerror)\n"
        "print('children:', children)\n"
    )
    result = python(grader_image, sandbox_name, code, Limits(pids=32, wall_seconds=20))

    assert result.exit_reason is ExitReason.OK
    assert "fork failed: Resource temporarily unavailable" in result.logs
    children = int(result.logs.rsplit("children:", 1)[1])
    assert 0 < children < 32


@pytest.mark.docker
def test_a_fork_bomb_is_contained_and_ends_at_the_wall_clock(
    docker_client, grader_image, sandbox_name
):
    bomb = "bomb() { bomb | bomb & }; bomb; sleep 30"
    result = run(grader_image, sandbox_name, bomb, Limits(pids=32, wall_seconds=2))

    assert result.exit_reason is ExitReason.TIMEOUT
    assert result.resources.wall_s < 10
    assert "Resource temporarily unavailable" in result.logs
    assert containers_named(docker_client, sandbox_name) == []


@pytest.mark.docker
def test_the_container_has_no_network_but_loopback(grader_image, sandbox_name):
    code = (
        "import os, socket\n"
        "print('interfaces:', sorted(os.listdir('/sys/class/net')))\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 53), 2)\n"
        "    print('connected')\n"
        "except OSError as exc:\n"
        "    print('no route:', exc.errno)\n"
    )
    result = python(grader_image, sandbox_name, code)

    assert "interfaces: ['lo']" in result.logs
    assert "no route: 101" in result.logs  # ENETUNREACH
    assert "connected" not in result.logs


@pytest.mark.docker
def test_the_root_filesystem_is_read_only_and_tmp_is_writable(grader_image, sandbox_name):
    # As root, so that only the read-only mount (not file permissions) can refuse the write.
    code = (
        "import errno\n"
        "try:\n"
        "    open('/etc/sandbox-test', 'w')\n"
        "except OSError as exc:\n"
        "    print('etc:', errno.errorcode[exc.errno])\n"
        "open('/tmp/ok', 'w').write('ok')\n"
        "print('tmp:', open('/tmp/ok').read())\n"
    )
    result = python(grader_image, sandbox_name, code, user="0:0")

    assert "etc: EROFS" in result.logs
    assert "tmp: ok" in result.logs


@pytest.mark.docker
def test_writing_more_than_the_tmpfs_size_fails_with_no_space_left(grader_image, sandbox_name):
    script = "head -c 16M /dev/zero > /tmp/big; echo rc=$?; stat -c size=%s /tmp/big"
    result = run(grader_image, sandbox_name, script, Limits(tmpfs_mb=8, wall_seconds=20))

    assert "No space left on device" in result.logs
    assert "rc=1" in result.logs
    # stdout and head's stderr interleave in any order: read the size by its own line.
    size = int(re.search(r"^size=(\d+)$", result.logs, re.MULTILINE).group(1))
    assert size <= 8 * MiB


@pytest.mark.docker
def test_a_read_only_mount_can_be_read_but_not_written(grader_image, sandbox_name, tmp_path):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "notebook.ipynb").write_text("{}")
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs").chmod(0o777)
    mounts = [
        Mount(tmp_path / "inputs", "/inputs"),
        Mount(tmp_path / "outputs", "/outputs", read_only=False),
    ]
    script = (
        "cat /inputs/notebook.ipynb; echo; "
        "touch /inputs/x 2>&1 | grep -o 'Read-only file system'; "
        "echo done > /outputs/result"
    )
    result = run(grader_image, sandbox_name, script, mounts=mounts)

    assert result.logs.splitlines() == ["{}", "Read-only file system"]
    assert (tmp_path / "outputs" / "result").read_text() == "done\n"


# -- identity and privileges ----------------------------------------------------------------


@pytest.mark.docker
def test_the_default_user_is_nobody(grader_image, sandbox_name):
    result = run(grader_image, sandbox_name, "id -u; id -g")

    assert result.logs.split() == ["65534", "65534"]


@pytest.mark.docker
def test_there_are_no_capabilities_and_no_new_privileges_by_default(grader_image, sandbox_name):
    # Even root in the container: capabilities are dropped from the bounding set.
    result = run(
        grader_image, sandbox_name, "grep -E '^(Cap|NoNewPrivs)' /proc/self/status", user="0:0"
    )
    status = dict(line.split(":\t") for line in result.logs.splitlines())

    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[cap], 16) == 0, cap
    assert status["NoNewPrivs"] == "1"


@pytest.mark.docker
def test_cap_add_grants_only_the_capabilities_asked_for(grader_image, sandbox_name):
    result = run(grader_image, sandbox_name, "grep CapBnd /proc/self/status", cap_add=["CHOWN"])

    assert int(result.logs.split()[1], 16) == 1  # CAP_CHOWN is bit 0


@pytest.mark.docker
def test_the_host_environment_does_not_leak(grader_image, sandbox_name, monkeypatch):
    monkeypatch.setenv("MLE_SANDBOX_CANARY", "host-secret")
    result = run(grader_image, sandbox_name, "env", environment={"GRADER_MODE": "test"})

    variables = dict(line.split("=", 1) for line in result.logs.splitlines() if "=" in line)
    assert "MLE_SANDBOX_CANARY" not in variables
    assert "host-secret" not in result.logs
    assert variables["GRADER_MODE"] == "test"
    assert variables["HOME"] == "/tmp"


@pytest.mark.docker
def test_pid_1_is_an_init_process_that_reaps_zombies(grader_image, sandbox_name):
    # The orphaned sleep is reparented to PID 1 and must not stay a zombie once it exits.
    script = (
        "cat /proc/1/comm; (sleep 0.2 &); sleep 1; grep -l '^State:.Z' /proc/[0-9]*/status | wc -l"
    )
    result = run(grader_image, sandbox_name, script)

    assert result.logs.split() == ["docker-init", "0"]


# -- output ---------------------------------------------------------------------------------


@pytest.mark.docker
def test_a_million_lines_of_output_are_cut_at_the_cap_without_holding_them_in_memory(
    grader_image, sandbox_name
):
    cap = 64 * 1024
    limits = Limits(output_bytes=cap, wall_seconds=30)
    tracemalloc.start()
    try:
        result = run(grader_image, sandbox_name, "seq 1 1000000; echo finished", limits)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    marker = TRUNCATION_MARKER.format(limit=cap)
    assert result.exit_reason is ExitReason.OK
    assert result.logs_truncated
    assert result.logs.startswith("1\n2\n3\n")
    assert result.logs.endswith(marker + "\n")
    assert "finished" not in result.logs
    assert len(result.logs.encode()) <= cap + len(marker.encode()) + 2
    # All of seq's 6.9 MB would be at least 6.9 MB here.
    assert peak_bytes < 2 * MiB


# -- the container's life -------------------------------------------------------------------


@pytest.mark.docker
def test_a_stale_container_with_the_same_name_is_replaced(
    docker_client, grader_image, sandbox_name
):
    stale = docker_client.containers.create(
        grader_image,
        ["sleep", "600"],
        name=sandbox_name,
        labels={LABEL: "1", RUN_LABEL: sandbox_name},
        network_mode="none",
    )
    stale.start()

    result = run(grader_image, sandbox_name, "echo fresh")

    assert result.logs == "fresh\n"
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(stale.id)


@pytest.mark.docker
def test_a_container_with_the_same_name_not_made_by_us_is_left_alone(
    docker_client, grader_image, sandbox_name
):
    other = docker_client.containers.create(grader_image, ["true"], name=sandbox_name)

    with pytest.raises(SandboxError, match="not made by the autograder"):
        run(grader_image, sandbox_name, "true")

    other.reload()
    assert other.status == "created"


@pytest.mark.docker
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt, SystemExit])
def test_an_error_inside_the_with_block_still_removes_the_container(
    docker_client, grader_image, sandbox_name, error
):
    with pytest.raises(error):  # noqa: SIM117 - the error must cross the Sandbox's __exit__
        with Sandbox(["sleep", "30"], image=grader_image, name=sandbox_name, limits=QUICK) as box:
            box.start()
            assert box.container.attrs is not None
            raise error("worker shutting down")

    assert containers_named(docker_client, sandbox_name) == []
    assert glob.glob(str(cgroups.cgroup_root() / "*" / cgroups.PREFIX / sandbox_name)) == []


@pytest.mark.docker
def test_a_keyboard_interrupt_while_waiting_still_removes_the_container(
    docker_client, grader_image, sandbox_name
):
    # A real SIGINT to the main thread, as a worker's warm shutdown would send.
    main = threading.main_thread().ident
    timer = threading.Timer(1.0, signal.pthread_kill, args=(main, signal.SIGINT))
    try:
        with pytest.raises(KeyboardInterrupt):
            timer.start()
            run(grader_image, sandbox_name, "sleep 30")
    finally:
        timer.cancel()

    assert containers_named(docker_client, sandbox_name) == []


@pytest.mark.docker
def test_a_docker_api_error_while_waiting_is_a_sandbox_error_and_leaves_nothing(
    docker_client, grader_image, sandbox_name, monkeypatch
):
    def broken_wait(self, **kwargs):
        raise docker.errors.APIError("500 Server Error: daemon hiccup")

    monkeypatch.setattr(docker.models.containers.Container, "wait", broken_wait)

    with pytest.raises(SandboxError, match="daemon hiccup"):
        run(grader_image, sandbox_name, "sleep 30")

    assert containers_named(docker_client, sandbox_name) == []


@pytest.mark.docker
def test_a_container_docker_refuses_to_create_is_a_sandbox_error(grader_image, sandbox_name):
    with pytest.raises(SandboxError, match="could not create container"):
        run(grader_image, sandbox_name, "true", cap_add=["NOT_A_CAPABILITY"])


@pytest.mark.docker
def test_a_missing_image_is_a_sandbox_error(docker_client, sandbox_name):
    with pytest.raises(SandboxError, match="not on this Docker host"):
        run_in_sandbox(
            ["true"], image="mle-autograder-missing:never", name=sandbox_name, limits=QUICK
        )

    assert containers_named(docker_client, sandbox_name) == []


@pytest.mark.docker
def test_remove_stale_containers_removes_only_leftovers_older_than_asked(
    docker_client, grader_image, sandbox_name
):
    leftover = docker_client.containers.create(
        grader_image,
        ["sleep", "600"],
        name=sandbox_name,
        labels={LABEL: "1", RUN_LABEL: sandbox_name},
        network_mode="none",
    )

    young = remove_stale_containers(
        older_than_s=3600, client=docker_client, name_prefix=sandbox_name
    )
    assert young == 0
    leftover.reload()

    old = remove_stale_containers(older_than_s=0, client=docker_client, name_prefix=sandbox_name)
    assert old == 1
    assert containers_named(docker_client, sandbox_name) == []


# -- resources (cgroup v1 with the cgroupfs driver, as in production) ----------------------


needs_cgroup_v1 = pytest.mark.skipif(
    not (V1_MEMORY / "memory.max_usage_in_bytes").exists(), reason="needs cgroup v1"
)


@pytest.mark.docker
def test_cpu_seconds_of_a_one_second_busy_loop_are_about_one(grader_image, sandbox_name):
    busy = "import time\nstart = time.process_time()\nwhile time.process_time() - start < 1: pass"
    result = python(grader_image, sandbox_name, busy)

    assert result.exit_code == 0
    assert 0.5 <= result.resources.cpu_s <= 3
    assert result.resources.wall_s >= 1


@pytest.mark.docker
def test_peak_memory_of_a_100_mb_allocation_is_at_least_100_mb(grader_image, sandbox_name):
    result = python(grader_image, sandbox_name, "data = b'x' * (100 << 20); print(len(data))")

    assert result.logs == f"{100 << 20}\n"
    assert 100 <= result.resources.peak_mem_mb < QUICK.memory_mb


@pytest.mark.docker
@needs_cgroup_v1
def test_the_per_run_cgroups_are_removed_after_the_run(grader_image, sandbox_name):
    result = run(grader_image, sandbox_name, "true")

    assert result.resources.peak_mem_mb > 0
    assert glob.glob(str(cgroups.cgroup_root() / "*" / cgroups.PREFIX / sandbox_name)) == []


@pytest.mark.docker
@needs_cgroup_v1
def test_remove_stale_containers_also_removes_leftover_cgroups(docker_client, sandbox_name):
    leftovers = [
        cgroups.cgroup_root() / h / cgroups.PREFIX / sandbox_name for h in ("memory", "cpuacct")
    ]
    for path in leftovers:
        path.mkdir(parents=True)
    try:
        remove_stale_containers(older_than_s=0, client=docker_client, name_prefix=sandbox_name)

        assert not any(path.exists() for path in leftovers)
    finally:
        for path in leftovers:
            with contextlib.suppress(FileNotFoundError):
                path.rmdir()
