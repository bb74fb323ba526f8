"""Pin "the branch main" of a repository to a commit SHA, once, at submission time.

Grading then uses that SHA only, so a later push never changes what was graded.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autograder.repos.git import Git, scratch_dir
from autograder.repos.policy import SHA_RE, RepoError, check_ref, check_url

logger = logging.getLogger(__name__)

# Size cap of the commit-only probe :func:`resolve` makes for a SHA that is no branch tip.
PROBE_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Resolved:
    """A normalised URL, the ref asked for (full name, ``HEAD`` or the SHA) and its commit."""

    url: str
    ref: str
    sha: str


def resolve(
    url: str, ref: str | None = None, *, allowed: Sequence[str], timeout: float = 30
) -> Resolved:
    """Pin ``ref`` of ``url`` to a commit SHA with ``git ls-remote`` (no clone).

    ``ref`` may be ``None`` (the remote HEAD), a branch or tag name (tags win, as in git;
    annotated tags are peeled to their commit), a full ref (``refs/heads/x``) or a full
    40-hex commit SHA, which must exist in the remote.
    """
    url = check_url(url, allowed)
    ref = None if ref in (None, "HEAD") else check_ref(ref)
    with scratch_dir() as scratch:
        git = Git(scratch, allowed, url, timeout)
        result = git.run("ls-remote", "--symref", url, "HEAD", "refs/heads/*", "refs/tags/*")
        if result.returncode != 0:
            raise git.error(result, ref)
        symref, refs = _parse_ls_remote(result.stdout)
        if not refs:
            raise RepoError("empty", url=url)
        if ref is None:
            if "HEAD" not in refs:
                raise RepoError("empty", url=url)
            resolved = Resolved(url, symref or "HEAD", refs["HEAD"])
        elif SHA_RE.fullmatch(ref.lower()):
            sha = ref.lower()
            # Branch and tag tips, annotated tags peeled: a tag object's own SHA is no commit.
            tips = {sha for name, sha in refs.items() if f"{name}^{{}}" not in refs}
            if sha not in tips:
                _probe_commit(git, sha)
            resolved = Resolved(url, sha, sha)
        else:
            resolved = _pick_ref(url, ref, refs)
    logger.info("resolved %s %s to %s", url, resolved.ref, resolved.sha)
    return resolved


def _parse_ls_remote(stdout: str) -> tuple[str | None, dict[str, str]]:
    symref: str | None = None
    refs: dict[str, str] = {}
    for line in stdout.splitlines():
        left, _, name = line.partition("\t")
        if left.startswith("ref: ") and name == "HEAD":
            symref = left[len("ref: ") :]
        elif SHA_RE.fullmatch(left):
            refs[name] = left
    return symref, refs


def _pick_ref(url: str, ref: str, refs: Mapping[str, str]) -> Resolved:
    names = [ref] if ref.startswith("refs/") else [f"refs/tags/{ref}", f"refs/heads/{ref}"]
    for name in names:
        sha = refs.get(f"{name}^{{}}") or refs.get(name)
        if sha is not None:
            return Resolved(url, name, sha)
    raise RepoError("unknown-ref", url=url, ref=ref)


def _probe_commit(git: Git, sha: str) -> None:
    """Check that commit ``sha`` exists remotely by fetching it alone (no trees, no blobs)."""
    probe = git.scratch / "probe.git"
    git.check("init", "-q", "--bare", str(probe))
    for key, value in (
        ("remote.origin.url", git.url),
        ("remote.origin.promisor", "true"),
        ("remote.origin.partialclonefilter", "tree:0"),
        ("extensions.partialClone", "origin"),
    ):
        git.check("--git-dir", str(probe), "config", key, value)
    result = git.run(
        "--git-dir",
        str(probe),
        "fetch",
        "-q",
        "--depth=1",
        "--filter=tree:0",
        "--no-tags",
        "origin",
        sha,
        watch=probe,
        max_bytes=PROBE_MAX_BYTES,
    )
    if result.returncode != 0:
        if "unadvertised object" in result.stderr:
            # A protocol-v0 server that will not serve an unlisted commit: clone_at falls
            # back to fetching the branches and says whether the commit exists.
            return
        raise git.error(result, sha)
    # Without the promisor settings a missing object is not fetched lazily behind our back.
    git.check("--git-dir", str(probe), "config", "--unset", "extensions.partialClone")
    kind = git.run("--git-dir", str(probe), "cat-file", "-t", sha)
    if kind.stdout.strip() != "commit":
        raise RepoError("unknown-ref", url=git.url, ref=sha)
