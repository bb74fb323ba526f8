"""Check out one pinned commit of a student's repository as read-only plain files.

:func:`clone_at` fetches only that commit into a scratch git directory *outside* ``dest``,
refuses it if the tree is too big (blob sizes are read before anything is written), then
checks out plain files into ``dest`` and makes them read-only, ready to be mounted read-only
in the sandbox.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.repos.git import Git, megabytes, scratch_dir
from autograder.repos.policy import SHA_RE, RepoError, check_url, printable

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_FILES = 20_000


@dataclass(frozen=True)
class CloneInfo:
    """A checked-out tree: where, which commit, its total size and number of files.

    ``submodules`` lists the submodule paths that were left empty (never fetched).
    """

    path: Path
    sha: str
    size_bytes: int
    files: int
    submodules: tuple[str, ...] = ()


# $GIT_DIR/info/attributes wins over every .gitattributes in the tree: no filter driver, no
# $Id$ expansion, no end-of-line or encoding conversion, whatever the student wrote.
_NEUTRAL_ATTRIBUTES = "* -text -eol -ident -filter -working-tree-encoding -export-subst\n"


def clone_at(
    url: str,
    sha: str,
    dest: Path | str,
    *,
    allowed: Sequence[str],
    timeout: float = 120,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_files: int = DEFAULT_MAX_FILES,
) -> CloneInfo:
    """Check out commit ``sha`` of ``url`` into ``dest`` (absent or empty) as read-only files.

    ``dest`` receives only the tree: the git directory lives in a scratch directory that is
    removed afterwards. On any error ``dest`` is left as it was found (absent or empty).
    """
    url = check_url(url, allowed)
    if not isinstance(sha, str) or not SHA_RE.fullmatch(sha):
        raise RepoError("ref-invalid", ref=printable(sha))
    dest = Path(dest)
    created = not dest.exists()
    if not created and (not dest.is_dir() or dest.is_symlink() or any(dest.iterdir())):
        raise ValueError(f"clone destination must be absent or an empty directory: {dest}")
    try:
        with scratch_dir() as scratch:
            git = Git(scratch, allowed, url, timeout)
            gitdir = scratch / "repo.git"
            git.check("init", "-q", "--bare", str(gitdir))
            _fetch_commit(git, gitdir, sha, max_bytes)
            submodules = _check_tree(git, gitdir, sha, max_bytes, max_files)
            (gitdir / "info").mkdir(exist_ok=True)
            (gitdir / "info" / "attributes").write_text(_NEUTRAL_ATTRIBUTES)
            dest.mkdir(parents=True, exist_ok=True)
            git.check(
                "--git-dir",
                str(gitdir),
                "--work-tree",
                str(dest),
                "checkout",
                "-q",
                "-f",
                "--detach",
                sha,
            )
        size, files = _seal(dest, url)
    except BaseException:
        _clear(dest, remove=created)
        raise
    logger.info("cloned %s at %s: %d files, %d bytes", url, sha, files, size)
    return CloneInfo(dest, sha, size, files, submodules)


def _fetch_commit(git: Git, gitdir: Path, sha: str, max_bytes: int) -> None:
    """Fetch commit ``sha`` alone; if the server refuses an unlisted commit, fetch branches."""
    common = ("--git-dir", str(gitdir), "fetch", "-q", "--no-tags", "--no-recurse-submodules")
    result = git.run(*common, "--depth=1", git.url, sha, watch=gitdir, max_bytes=max_bytes)
    if result.returncode != 0:
        if "unadvertised object" not in result.stderr:
            raise git.error(result, sha)
        logger.info("%s refuses fetching a commit by SHA; fetching its branches", git.url)
        result = git.run(
            *common,
            git.url,
            "+refs/heads/*:refs/remotes/origin/*",
            "+refs/tags/*:refs/tags/*",
            watch=gitdir,
            max_bytes=max_bytes,
        )
        if result.returncode != 0:
            raise git.error(result, sha)
    found = git.run("--git-dir", str(gitdir), "cat-file", "-t", sha)
    if found.stdout.strip() != "commit":
        raise RepoError("unknown-ref", url=git.url, ref=sha)


def _check_tree(
    git: Git, gitdir: Path, sha: str, max_bytes: int, max_files: int
) -> tuple[str, ...]:
    """Refuse a tree over the caps before writing any of it; return its submodule paths."""
    listed = git.check_result("--git-dir", str(gitdir), "ls-tree", "-r", "-z", "--full-tree", sha)
    if listed.stdout_truncated:
        # Megabytes of paths: far too many files, and the sizes below would be incomplete.
        raise RepoError("too-big", limit=f"{max_files} arquivos", found="milhares de arquivos")
    listing = listed.stdout
    blobs: list[str] = []
    submodules: list[str] = []
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        _mode, kind, object_id = meta.split()
        if kind == "commit":
            submodules.append(path)
        elif kind == "blob":
            blobs.append(object_id)
    if len(blobs) > max_files:
        raise RepoError("too-big", limit=f"{max_files} arquivos", found=f"{len(blobs)} arquivos")
    # Sizes from the object headers (cat-file --batch-check), without inflating anything.
    sizes = git.check(
        "--git-dir",
        str(gitdir),
        "cat-file",
        "--batch-check=%(objectsize)",
        stdin="".join(f"{oid}\n" for oid in blobs),
    )
    total = sum(int(line) for line in sizes.split())
    if total > max_bytes:
        raise RepoError(
            "too-big", limit=megabytes(max_bytes), found=f"os arquivos somam {megabytes(total)}"
        )
    if submodules:
        logger.info("%s: submodules ignored: %s", git.url, ", ".join(submodules))
    return tuple(submodules)


def _seal(dest: Path, url: str) -> tuple[int, int]:
    """Make ``dest`` read-only (files 0444, directories 0555); return (bytes, files)."""
    size = files = 0
    for dirpath, dirnames, filenames in os.walk(dest, topdown=False):
        for name in filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            if not os.path.isfile(path) or os.path.islink(path):
                raise RepoError("invalid-repo", url=url)  # core.symlinks=false failed?
            size += info.st_size
            files += 1
            os.chmod(path, 0o444)
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o555)  # noqa: S103 (read-only on purpose)
    os.chmod(dest, 0o555)  # noqa: S103
    return size, files


def _clear(dest: Path, *, remove: bool) -> None:
    """Empty ``dest`` (and remove it when we created it), even if it was sealed read-only."""
    if not dest.exists():
        return
    remove_tree(dest)
    if not remove:
        dest.mkdir()


def remove_tree(path: Path | str) -> None:
    """Remove a tree made by :func:`clone_at` (read-only directories need write bits back)."""
    path = Path(path)
    if not path.exists():
        return
    for dirpath, dirnames, _files in os.walk(path):
        os.chmod(dirpath, 0o700)
        for name in dirnames:
            child = os.path.join(dirpath, name)
            if not os.path.islink(child):
                os.chmod(child, 0o700)
    shutil.rmtree(path)
