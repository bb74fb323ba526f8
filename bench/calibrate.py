"""Grade a fixed set of real public projects with ``grade_repo``: the calibration table.

Usage::

    .venv/bin/python bench/calibrate.py [--manifest bench/calibration.yaml] [--only NAME]
        [--jobs 1] [--out /tmp/calibration] [--mirrors /work/.mirror] [--image NAME]

Each entry of the manifest (``bench/calibration.yaml``) is a public repository pinned to one
commit, with a local bare copy of it (a "mirror", brought onto the machine beforehand with the
search tool's ``fetch``: nothing is downloaded here). The mirrors are served by the test
suite's smart-HTTP git server (``tests/autograder/git_server.py``) on 127.0.0.1, and each is
graded through the same path as a student's submission: ``grade_repo(url=<local url>,
sha=<commit>, ...)`` with that server's prefix as the only allowed one, against the course
rubric, in the grading image, with the CLI's default limits.

Prints a Markdown table (repository, licence, total, points per criterion, why) on stdout,
progress on stderr, and writes each repository's full result as JSON to ``--out``.

The script imports ``autograder`` from wherever Python finds it first, and only falls back to
the checkout it lives in: ``PYTHONPATH=/tmp/other-checkout`` grades with that tree's code and
rubric (the rubric and manifest defaults follow the imported package).
"""

from __future__ import annotations

import argparse
import glob
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import yaml

HERE = Path(__file__).resolve().parent
# Appended, not prepended: a PYTHONPATH pointing at another checkout wins over this one.
sys.path.append(str(HERE.parent))

import autograder  # noqa: E402
from autograder.errors import InfrastructureError  # noqa: E402
from autograder.notebooks import default_image  # noqa: E402
from autograder.projects import grade_repo  # noqa: E402
from autograder.results import Limits  # noqa: E402
from autograder.rubric import RubricCriterion, load_rubric  # noqa: E402
from tests.autograder.git_server import GitServer, git  # noqa: E402

CODE_ROOT = Path(autograder.__file__).resolve().parents[1]
DEFAULT_RUBRIC = CODE_ROOT / "course_content" / "final_project" / "rubric.yaml"
DEFAULT_MANIFEST = HERE / "calibration.yaml"
DEFAULT_MIRRORS = Path("/work/.mirror")
# The CLI's grade-repo defaults (autograder/__main__.py), so the table matches what an
# instructor running `python -m autograder grade-repo` would see.
LIMITS = Limits(memory_mb=2048, cpus=1.0, wall_seconds=600)
WHY_CHARS = 90  # per criterion in the "why" column
WHY_ITEMS = 3  # criteria quoted in the "why" column (the largest losses)


@dataclass(frozen=True)
class Entry:
    name: str
    url: str
    commit: str
    licence: str
    mirror: str
    contract: str = ""  # a projeto.yaml added on top of the commit (a what-if row)

    @property
    def owner_name(self) -> str:
        """``owner/name`` from the original URL (the path it is served under)."""
        return "/".join(self.url.rstrip("/").removesuffix(".git").split("/")[-2:])

    @property
    def served_name(self) -> str:
        return self.owner_name + ("-projeto-yaml" if self.contract else "")


def load_manifest(path: Path) -> list[Entry]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = [
        Entry(
            name=str(item["name"]),
            url=str(item["url"]),
            commit=str(item["commit"]),
            licence=str(item.get("licence") or "none"),
            mirror=str(item.get("mirror") or ""),
            contract=str(item.get("contract") or ""),
        )
        for item in data["repos"]
    ]
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise SystemExit(f"{path}: duplicate names")
    return entries


def find_mirror(entry: Entry, mirrors: Path) -> Path:
    """The bare git directory of ``entry``: ``owner/name`` under ``mirrors``, or a glob."""
    spec = entry.mirror or entry.owner_name
    plain = not any(ch in spec for ch in "*?[") and not spec.startswith("/")
    pattern = str(mirrors / spec.replace("/", "+") / "*") if plain else spec
    candidates = sorted(Path(p) for p in glob.glob(pattern) if (Path(p) / "objects").is_dir())
    if not candidates:
        raise SystemExit(f"{entry.name}: no bare git directory matches {pattern}")
    return candidates[0]


def publish(server: GitServer, entry: Entry, mirror: Path) -> tuple[str, str]:
    """Serve ``mirror`` as ``entry``'s owner/name; return its local URL and the commit to
    grade (``entry.commit``, or a commit on top of it adding ``entry.contract``).

    A ``--shared`` bare clone borrows the mirror's objects (nothing copied, the mirror left
    untouched) and gets its own config, so fetching any commit by SHA is allowed, as on GitHub.
    """
    bare = server.bare_path(entry.served_name)
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "-q", "--bare", "--shared", str(mirror), str(bare))
    check_complete(entry, bare)
    for key in ("uploadpack.allowAnySHA1InWant", "uploadpack.allowReachableSHA1InWant"):
        git("config", key, "true", cwd=bare)
    git("config", "http.receivepack", "false", cwd=bare)
    sha = with_contract(bare, entry) if entry.contract else entry.commit
    return server.url(entry.served_name), sha


def with_contract(bare: Path, entry: Entry) -> str:
    """A commit on top of ``entry.commit`` whose only change is a root ``projeto.yaml``
    (written with git's plumbing in the served copy; the mirror is not touched)."""
    blob = git("hash-object", "-w", "--stdin", cwd=bare, input=entry.contract.encode()).strip()
    listing = git("ls-tree", entry.commit, cwd=bare).splitlines()
    listing = [line for line in listing if not line.endswith("\tprojeto.yaml")]
    listing.append(f"100644 blob {blob}\tprojeto.yaml")
    tree = git("mktree", cwd=bare, input=("\n".join(listing) + "\n").encode()).strip()
    message = b"projeto.yaml (calibration: what the contract changes)"
    return git("commit-tree", tree, "-p", entry.commit, cwd=bare, input=message).strip()


def check_complete(entry: Entry, bare: Path) -> None:
    """Refuse a commit the mirror holds only in part (snapshots lack files of 4 MiB and more).

    Served as is, the clone would fail in upload-pack and the grade would read "invalid
    repository", blaming the student for our incomplete copy.
    """
    git("cat-file", "-e", f"{entry.commit}^{{commit}}", cwd=bare)
    listing = git("ls-tree", "-r", "-z", entry.commit, cwd=bare)
    blobs = [line.split(None, 3) for line in listing.split("\0") if line]
    shas = "\n".join(sha for _, kind, sha, _ in blobs if kind == "blob") + "\n"
    answer = git("cat-file", "--batch-check=%(objectname)", cwd=bare, input=shas.encode())
    present = {line for line in answer.splitlines() if not line.endswith(" missing")}
    missing = [path for _, kind, sha, path in blobs if kind == "blob" and sha not in present]
    if missing:
        raise SystemExit(
            f"{entry.name}: the mirror lacks {len(missing)} file(s) of {entry.commit[:12]} "
            f"({', '.join(missing[:3])}); pick a commit it holds whole"
        )


def install_options(disabled: bool) -> dict[str, Any]:
    """grade_repo's ``install`` argument, for a checkout whose autograder has the step."""
    try:
        from autograder.dependencies import settings_from_env
    except ImportError:  # an older checkout: it grades with the image's packages only
        return {}
    return {"install": None if disabled else settings_from_env()}


def resolve_image(name: str) -> str:
    """The image id behind ``name`` now, so a rebuild during the run cannot mix two images."""
    try:
        return docker.from_env().images.get(name).id
    except docker.errors.DockerException as exc:
        raise SystemExit(f"grading image {name}: {exc}") from exc


def grade_one(
    entry: Entry,
    served: tuple[str, str],
    allowed: Sequence[str],
    rubric: list[RubricCriterion],
    image: str,
    out: Path,
    install: dict[str, Any],
) -> dict[str, Any]:
    url, sha = served
    log(f"{entry.name}: grading {sha[:12]}")
    began = time.monotonic()
    try:
        result = grade_repo(
            url,
            sha=sha,
            rubric=rubric,
            image=image,
            limits=LIMITS,
            allowed=allowed,
            name=f"calibration-{entry.name}",
            **install,
        )
        record = result.to_dict()
    except InfrastructureError as exc:
        record = {"status": "infrastructure-error", "message": str(exc), "criteria": []}
    record["calibration"] = {
        "name": entry.name,
        "url": entry.url,
        "commit": entry.commit,
        "graded_commit": sha,
        "contract": entry.contract or None,
        "licence": entry.licence,
        "served_as": url,
        "seconds": round(time.monotonic() - began, 1),
        "code_root": str(CODE_ROOT),
    }
    (out / f"{entry.name}.json").write_text(
        json.dumps(record, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    log(
        f"{entry.name}: {record['status']} {record.get('total', '-')} "
        f"in {record['calibration']['seconds']} s"
    )
    return record


# -- the table ---------------------------------------------------------------------------------


def number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def cell(criterion: dict[str, Any] | None) -> str:
    """Points, "—" for an instructor's criterion, "err" for a check that crashed."""
    if criterion is None:
        return ""
    if criterion["points"] is None:
        return "err" if criterion["check"] else "—"
    return number(criterion["points"])


def why(record: dict[str, Any]) -> str:
    """One line: the criteria that lost the most points, each with its justification's start."""
    if record["status"] != "graded":
        return one_line(record.get("message", ""), 200)
    criteria = record["criteria"]
    lost = [c for c in criteria if c["points"] is not None and c["points"] < c["max_points"]]
    lost.sort(key=lambda c: c["points"] - c["max_points"])
    parts = [
        f"{c['key']} {number(c['points'])}: {one_line(c['justification'], WHY_CHARS)}"
        for c in lost[:WHY_ITEMS]
    ]
    crashed = [c["key"] for c in criteria if c["points"] is None and c["check"]]
    if crashed:
        parts.append("check crashed: " + ", ".join(crashed))
    full = [c["key"] for c in criteria if c["points"] == c["max_points"]]
    if full:
        parts.append("full: " + ", ".join(full))
    return "; ".join(parts) or "all automatic criteria at full marks"


def one_line(text: str, limit: int) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def table(entries: list[Entry], records: dict[str, dict[str, Any]], rubric: list) -> str:
    keys = [c.key for c in rubric]
    maxima = {c.key: c.max_points for c in rubric}
    head = ["repository", "licence", "total"] + [f"{k} /{number(maxima[k])}" for k in keys]
    lines = [
        "| " + " | ".join([*head, "why"]) + " |",
        "|" + "|".join(["---"] * (len(head) + 1)) + "|",
    ]
    for entry in entries:
        record = records[entry.name]
        by_key = {c["key"]: c for c in record.get("criteria", [])}
        total = number(record["total"]) if record["status"] == "graded" else record["status"]
        cells = [
            f"[{entry.owner_name}]({entry.url}) `{entry.commit[:7]}`"
            + (" + projeto.yaml" if entry.contract else ""),
            entry.licence,
            total,
            *(cell(by_key.get(k)) for k in keys),
            why(record),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--rubric", type=Path, default=DEFAULT_RUBRIC)
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "calibration")
    parser.add_argument("--only", action="append", help="grade only this name (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="repositories graded at once")
    parser.add_argument("--image", default=None, help="grading image (default: the CLI's)")
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="do not install the projects' dependencies (the install step needs the index "
        "of AUTOGRADER_PACKAGE_INDEX_URL, default PyPI: a package registry)",
    )
    args = parser.parse_args(argv)

    entries = load_manifest(args.manifest)
    if args.only:
        unknown = set(args.only) - {e.name for e in entries}
        if unknown:
            parser.error(f"unknown names: {', '.join(sorted(unknown))}")
        entries = [e for e in entries if e.name in args.only]
    rubric = load_rubric(args.rubric)
    image_name = args.image or default_image()
    image = resolve_image(image_name)
    args.out.mkdir(parents=True, exist_ok=True)
    install = install_options(args.no_install)
    log(f"autograder from {CODE_ROOT}; rubric {args.rubric}; image {image_name} = {image[:19]}")

    root = Path(tempfile.mkdtemp(prefix="calibration-git-"))
    server = GitServer(root).start()
    try:
        served = {e.name: publish(server, e, find_mirror(e, args.mirrors)) for e in entries}
        allowed = (server.base_url,)
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {
                e.name: pool.submit(
                    grade_one, e, served[e.name], allowed, rubric, image, args.out, install
                )
                for e in entries
            }
            records = {name: future.result() for name, future in futures.items()}
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)

    print(
        f"Graded with the autograder at {CODE_ROOT} against {args.rubric.name}, "
        f"image {image_name} ({image[:19]}), limits {LIMITS.memory_mb} MB / "
        f"{number(LIMITS.cpus)} CPU / {LIMITS.wall_seconds} s.\n"
    )
    print(table(entries, records, rubric))
    return 0


if __name__ == "__main__":
    sys.exit(main())
