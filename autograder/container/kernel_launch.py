"""Start the student's IPython kernel as the unprivileged student uid (kernel spec argv).

jupyter_client runs this with ``python -I`` (isolated: no script directory, no user site,
no PYTHON* variables on sys.path) as the grader's root, which has no capabilities except
SETUID, SETGID and KILL, in the kernel's working directory (student-writable). It:

1. raises its own ``oom_score_adj`` to 1000 (raising needs no privilege; the runner lowered
   its own, so nbgrader scores lower): a memory or fork bomb makes the kernel the OOM
   killer's choice, not the process that computes the grades;
2. copies the connection file to a place the student can read: jupyter_client writes it
   0600 for root, and without CAP_CHOWN we cannot hand it over, only make a 0644 copy in a
   directory the student can traverse but not list;
3. points stdin/stdout/stderr at /dev/null: the kernel's raw file descriptors are otherwise
   nbgrader's log file, which sits in the grader's own tmpfs and which the student could
   flood or forge (what the student prints reaches nbgrader through ZeroMQ, not fd 1);
4. execs ``setpriv`` with a clean environment: real/effective/saved uid and gid of the
   student, no supplementary groups, no inheritable capabilities, and SIGKILL when nbgrader
   (the parent) dies. From there on nothing in the process is root's.

Standard library only: it runs before and outside the kernel's environment.
"""

from __future__ import annotations

import argparse
import os
import sys

SETPRIV = "/usr/bin/setpriv"


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="kernel_launch")
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--gid", type=int, required=True)
    parser.add_argument("--conn-dir", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--tmpdir", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("connection_file")
    # jupyter_client appends the Execute preprocessor's extra_arguments (e.g.
    # --HistoryManager.hist_file=:memory:): they are for ipykernel.
    return parser.parse_known_args(argv)


def _raise_oom_score() -> None:
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError as exc:  # not fatal: the memory limit still holds, only the victim may differ
        print(f"kernel_launch: oom_score_adj not raised: {exc}", file=sys.stderr)


def _readable_copy(connection_file: str, conn_dir: str) -> str:
    with open(connection_file, "rb") as handle:
        data = handle.read()
    target = os.path.join(conn_dir, os.path.basename(connection_file))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(target, flags, 0o644)
    try:
        os.fchmod(fd, 0o644)  # the runner's umask is 077
        os.write(fd, data)
    finally:
        os.close(fd)
    return target


def _silence_stdio() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _student_environment(args: argparse.Namespace) -> dict[str, str]:
    threads = str(max(1, args.threads))
    return {
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": args.home,
        "TMPDIR": args.tmpdir,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(args.home, ".config", "matplotlib"),
        "IPYTHONDIR": os.path.join(args.home, ".ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        # One BLAS/OpenMP thread per granted core: more threads only fight over the quota
        # and eat into the pids limit.
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "NBGRADER_EXECUTION": "autograde",
    }


def main(argv: list[str]) -> None:
    args, kernel_args = _parse(argv)
    _raise_oom_score()
    connection_file = _readable_copy(args.connection_file, args.conn_dir)
    command = [
        SETPRIV,
        f"--reuid={args.uid}",
        f"--regid={args.gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--pdeathsig=KILL",
        "--",
        sys.executable,
        "-m",
        "ipykernel_launcher",
        "-f",
        connection_file,
        *kernel_args,
    ]
    if not args.debug:
        _silence_stdio()
    os.execve(SETPRIV, command, _student_environment(args))  # noqa: S606


if __name__ == "__main__":
    main(sys.argv[1:])
