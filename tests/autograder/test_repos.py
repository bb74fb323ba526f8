"""autograder.repos against a real git smart-HTTP server on localhost (no mocks).

Every repository is built here with real ``git`` commands (see ``git_server.py``).
"""

# The git_server fixture is imported below; test parameters named after it "redefine" it.

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest

from autograder.errors import InfrastructureError
from autograder.repos import (
    DEFAULT_MAX_BYTES,
    CloneInfo,
    RepoError,
    RepoUnavailable,
    Resolved,
    allowed_prefixes,
    check_url,
    clone_at,
    redact,
    remove_tree,
    resolve,
)
from tests.autograder.git_server import (
    Gitlink,
    GitServer,
    Symlink,
    ZeroFile,
    add_commit,
    free_port,
    git,
    make_empty_repo,
    make_repo,
)

GITHUB = ("https://github.com/",)
FILES = {"README.md": "# Projeto\n", "src/app.py": "print('oi')\n"}


@pytest.fixture
def allowed(git_server: GitServer) -> tuple[str, ...]:
    return (git_server.base_url,)


@pytest.fixture
def dest(tmp_path: Path):
    path = tmp_path / "checkout"
    yield path
    remove_tree(path)


def refused(excinfo: pytest.ExceptionInfo[RepoError], kind: str) -> RepoError:
    error = excinfo.value
    assert error.kind == kind, error.message
    assert str(error) == error.message
    return error


# -- allowed prefixes and URL checks -----------------------------------------------------------


def test_allowed_prefixes_default_to_github() -> None:
    assert allowed_prefixes({}) == GITHUB


def test_allowed_prefixes_are_read_from_the_environment_with_a_trailing_slash() -> None:
    environ = {"AUTOGRADER_GIT_ALLOWED_URLS": " https://GitHub.com , http://127.0.0.1:8080/git,"}
    assert allowed_prefixes(environ) == ("https://github.com/", "http://127.0.0.1:8080/git/")


@pytest.mark.parametrize(
    "value", ["file:///srv/repos/", "ssh://github.com/", "https://tok@github.com/", "github.com"]
)
def test_a_malformed_allowed_prefix_is_a_configuration_error(value: str) -> None:
    with pytest.raises(ValueError, match="AUTOGRADER_GIT_ALLOWED_URLS"):
        allowed_prefixes({"AUTOGRADER_GIT_ALLOWED_URLS": value})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/ana/projeto", "https://github.com/ana/projeto"),
        ("https://github.com/ana/projeto.git", "https://github.com/ana/projeto"),
        ("https://github.com/Ana-Souza/mle_final.v2/", "https://github.com/Ana-Souza/mle_final.v2"),
        ("HTTPS://GITHUB.COM/ana/projeto", "https://github.com/ana/projeto"),
    ],
)
def test_github_urls_are_normalised_to_owner_and_name(url: str, expected: str) -> None:
    assert check_url(url, GITHUB) == expected


@pytest.mark.parametrize(
    ("url", "kind", "fragment"),
    [
        ("file:///etc/passwd", "url-not-allowed", "endereço HTTPS"),
        ("ssh://git@github.com/ana/projeto.git", "url-not-allowed", "não SSH"),
        ("git@github.com:ana/projeto.git", "url-not-allowed", "git@..."),
        ("ext::sh", "url-not-allowed", "https://github.com/"),
        ("/srv/repos/projeto.git", "url-not-allowed", "caminho local"),
        ("git://github.com/ana/projeto", "url-not-allowed", "HTTPS"),
        ("http://github.com/ana/projeto", "url-not-allowed", "HTTPS"),
        ("https://gitlab.com/ana/projeto", "url-not-allowed", "https://github.com/"),
        ("https://github.com.evil.example/ana/projeto", "url-not-allowed", "HTTPS"),
        ("https://ana:senha123@github.com/ana/projeto", "credentials", "Nunca envie credenciais"),
        ("https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/ana/p", "credentials", "revogue"),
        ("https://github.com/ana/projeto?tab=readme", "url-invalid", "parâmetros de consulta"),
        ("https://github.com/ana/projeto#main", "url-invalid", "fragmentos"),
        ("https://github.com/ana/projeto\n", "url-invalid", "espaços"),
        (" https://github.com/ana/projeto", "url-invalid", "espaços"),
        ("https://github.com/ana/pro jeto", "url-invalid", "espaços"),
        ("https://github.com/ana/projeto\x00", "url-invalid", "caracteres de controle"),
        ("https://github.com/ana/projet\u043e", "url-invalid", "fora do ASCII"),
        ("https://github.com/ana/../../etc/passwd", "url-invalid", "`..`"),
        ("https://github.com/ana/%2e%2e/x", "url-invalid", "codificados"),
        ("https://github.com/ana", "url-invalid", "<usuário>/<repositório>"),
        ("https://github.com/ana/projeto/tree/main", "url-invalid", "<usuário>/<repositório>"),
        ("https://github.com/", "url-invalid", "<usuário>/<repositório>"),
        ("https://github.com/ana/.git", "url-invalid", "<usuário>/<repositório>"),
        ("", "url-invalid", "está vazio"),
        ("https://github.com/" + "a/" * 200, "url-invalid", "300 caracteres"),
    ],
)
def test_refused_urls_say_why_in_portuguese(url: str, kind: str, fragment: str) -> None:
    with pytest.raises(RepoError) as excinfo:
        check_url(url, GITHUB)
    error = refused(excinfo, kind)
    assert fragment in error.message
    assert not error.retryable
    # The student's secret is never echoed back (it would end up stored and logged).
    assert "senha123" not in error.message and "ghp_" not in error.message


def test_an_allowed_http_prefix_admits_nested_paths_but_not_tricks() -> None:
    allowed = ("http://127.0.0.1:8080/git/",)
    assert check_url("http://127.0.0.1:8080/git/ana/p.git", allowed) == (
        "http://127.0.0.1:8080/git/ana/p.git"
    )
    for url in ("http://127.0.0.1:8080/git/.hidden/p", "http://127.0.0.1:8080/other/p"):
        with pytest.raises(RepoError):
            check_url(url, allowed)


def test_redact_masks_url_credentials_and_github_tokens() -> None:
    text = "fatal: https://ana:s3nha@github.com/x and ghp_abcdefghijklmnopqrstuvwxyz0123 leaked"
    assert redact(text) == "fatal: https://***@github.com/x and *** leaked"


# -- resolve -----------------------------------------------------------------------------------


def test_resolve_pins_head_branch_tags_and_shas(git_server: GitServer, allowed) -> None:
    url, first = make_repo(
        git_server,
        "ana/projeto",
        FILES,
        tags=["v1"],
        annotated_tags=["entrega"],
    )
    git("branch", "dev", cwd=git_server.work / "ana/projeto")
    head = add_commit(git_server, "ana/projeto", {"novo.txt": "mais\n"})
    git("push", "-q", "origin", "dev", cwd=git_server.work / "ana/projeto")

    assert resolve(url, allowed=allowed) == Resolved(url, "refs/heads/main", head)
    assert resolve(url, "HEAD", allowed=allowed) == Resolved(url, "refs/heads/main", head)
    assert resolve(url, "main", allowed=allowed).sha == head
    assert resolve(url, "dev", allowed=allowed) == Resolved(url, "refs/heads/dev", first)
    assert resolve(url, "v1", allowed=allowed) == Resolved(url, "refs/tags/v1", first)
    # An annotated tag is its own object; what gets graded is the commit it points to.
    assert resolve(url, "entrega", allowed=allowed) == Resolved(url, "refs/tags/entrega", first)
    assert resolve(url, "refs/heads/dev", allowed=allowed).sha == first
    # A SHA that is no branch tip is checked by fetching that commit alone.
    assert resolve(url, first, allowed=allowed) == Resolved(url, first, first)
    assert resolve(url, head.upper(), allowed=allowed).sha == head


def test_resolve_refuses_an_unknown_branch_or_commit(git_server: GitServer, allowed) -> None:
    url, _ = make_repo(git_server, "ana/projeto", FILES)
    work = git_server.work / "ana/projeto"
    blob = git("rev-parse", "HEAD:README.md", cwd=work)
    git("tag", "-a", "-m", "entrega", "entrega", cwd=work)
    git("push", "-q", "origin", "entrega", cwd=work)
    tag_object = git("rev-parse", "entrega", cwd=work)
    for ref in ("nao-existe", "a" * 40, blob, tag_object):
        with pytest.raises(RepoError) as excinfo:
            resolve(url, ref, allowed=allowed)
        error = refused(excinfo, "unknown-ref")
        assert f"`{ref}` não existe em {url}" in error.message


@pytest.mark.parametrize("ref", ["--upload-pack=touch /tmp/x", "main..dev", "../x", "a b", ""])
def test_resolve_refuses_a_malformed_ref(git_server: GitServer, allowed, ref: str) -> None:
    url, _ = make_repo(git_server, "ana/projeto", FILES)
    with pytest.raises(RepoError) as excinfo:
        resolve(url, ref, allowed=allowed)
    assert "não é válida" in refused(excinfo, "ref-invalid").message


def test_resolve_reports_an_empty_repository(git_server: GitServer, allowed) -> None:
    url = make_empty_repo(git_server, "ana/vazio")
    with pytest.raises(RepoError) as excinfo:
        resolve(url, allowed=allowed)
    assert "está vazio" in refused(excinfo, "empty").message


def test_resolve_reports_a_missing_or_private_repository(git_server: GitServer, allowed) -> None:
    for url in (git_server.url("ana/nao-existe"), git_server.url("private/projeto")):
        with pytest.raises(RepoError) as excinfo:
            resolve(url, allowed=allowed)
        error = refused(excinfo, "not-found")
        assert "não foi encontrado ou é privado" in error.message
        assert not error.retryable


def test_resolve_does_not_follow_redirects(git_server: GitServer, allowed) -> None:
    # A redirect could lead to a host that is not allowed (an internal service): not followed.
    make_repo(git_server, "ana/projeto", FILES)
    with pytest.raises(RepoError) as excinfo:
        resolve(git_server.base_url + "moved/ana/projeto.git", allowed=allowed)
    assert "Confira o endereço" in refused(excinfo, "not-found").message
    # The same repository at its real address is fine.
    assert resolve(git_server.url("ana/projeto"), allowed=allowed).ref == "refs/heads/main"


def test_resolve_reports_an_unreachable_host_as_retryable() -> None:
    allowed = (f"http://127.0.0.1:{free_port()}/",)
    with pytest.raises(RepoError) as excinfo:
        resolve(f"{allowed[0]}ana/projeto.git", allowed=allowed)
    error = refused(excinfo, "unreachable")
    assert error.retryable
    assert isinstance(error, RepoUnavailable) and isinstance(error, InfrastructureError)
    assert "Tente novamente" in error.message


def test_resolve_gives_up_on_a_stalled_server(git_server: GitServer, allowed) -> None:
    started = time.monotonic()
    with pytest.raises(RepoError) as excinfo:
        resolve(git_server.url("stall/projeto"), allowed=allowed, timeout=1)
    error = refused(excinfo, "timeout")
    assert "limite de 1 s" in error.message and error.retryable
    assert isinstance(error, RepoUnavailable)
    assert time.monotonic() - started < 5


def test_resolve_refuses_a_url_before_running_git(git_server: GitServer) -> None:
    url, _ = make_repo(git_server, "ana/projeto", FILES)
    with pytest.raises(RepoError) as excinfo:
        resolve(url, allowed=GITHUB)  # the test server is not an allowed prefix here
    refused(excinfo, "url-not-allowed")


# -- clone_at ----------------------------------------------------------------------------------


def modes(root: Path) -> set[int]:
    return {stat.S_IMODE(p.lstat().st_mode) for p in [root, *root.rglob("*")]}


def test_clone_at_checks_out_only_the_tree_read_only(
    git_server: GitServer, allowed, dest: Path
) -> None:
    url, sha = make_repo(git_server, "ana/projeto", FILES)
    info = clone_at(url, sha, dest, allowed=allowed)
    assert info == CloneInfo(dest, sha, 22, 2, ())
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) == [
        "README.md",
        "src",
        "src/app.py",
    ]
    assert (dest / "src/app.py").read_text() == "print('oi')\n"
    assert modes(dest) == {0o444, 0o555}


def test_clone_at_into_an_existing_empty_directory(
    git_server: GitServer, allowed, dest: Path
) -> None:
    url, sha = make_repo(git_server, "ana/projeto", FILES)
    dest.mkdir()
    assert clone_at(url, sha, dest, allowed=allowed).files == 2
    (other := dest.parent / "ocupado").mkdir()
    (other / "x").write_text("já tem algo")
    with pytest.raises(ValueError, match="empty directory"):
        clone_at(url, sha, other, allowed=allowed)


def test_a_later_push_does_not_change_a_pinned_clone(
    git_server: GitServer, allowed, dest: Path
) -> None:
    url, _ = make_repo(git_server, "ana/projeto", FILES)
    pinned = resolve(url, "main", allowed=allowed)
    later = add_commit(git_server, "ana/projeto", {"README.md": "# Reescrito depois do prazo\n"})
    assert later != pinned.sha

    clone_at(url, pinned.sha, dest, allowed=allowed)
    assert (dest / "README.md").read_text() == "# Projeto\n"
    assert resolve(url, "main", allowed=allowed).sha == later


@pytest.mark.parametrize("allow_sha_fetch", [True, False], ids=["by-sha", "v0-fallback"])
def test_clone_at_fetches_an_older_commit(
    git_server: GitServer, allowed, dest: Path, allow_sha_fetch: bool, caplog
) -> None:
    url, head = make_repo(
        git_server,
        "ana/projeto",
        FILES,
        commits=[{"README.md": "# v2\n"}],
        allow_sha_fetch=allow_sha_fetch,
    )
    caplog.set_level(logging.INFO, logger="autograder.repos")
    first = git("rev-parse", "HEAD~1", cwd=git_server.work / "ana/projeto")
    assert resolve(url, first, allowed=allowed).sha == first
    info = clone_at(url, first, dest, allowed=allowed)
    assert info.sha == first != head
    assert (dest / "README.md").read_text() == "# Projeto\n"
    # The server that speaks only protocol v0 made clone_at fetch the branches instead.
    assert ("refuses fetching a commit by SHA" in caplog.text) is not allow_sha_fetch


def test_clone_at_refuses_a_commit_the_remote_does_not_have(
    git_server: GitServer, allowed, dest: Path
) -> None:
    url, _ = make_repo(git_server, "ana/projeto", FILES)
    with pytest.raises(RepoError) as excinfo:
        clone_at(url, "b" * 40, dest, allowed=allowed)
    refused(excinfo, "unknown-ref")
    assert not dest.exists()
    with pytest.raises(RepoError) as excinfo:
        clone_at(url, "main", dest, allowed=allowed)  # a branch name is not a pinned SHA
    refused(excinfo, "ref-invalid")


def test_clone_at_refuses_a_huge_file_before_writing_anything(
    git_server: GitServer, allowed, dest: Path
) -> None:
    size = 200 * 1024 * 1024
    url, sha = make_repo(git_server, "ana/pesado", {**FILES, "dados/modelo.bin": ZeroFile(size)})
    dest.mkdir()
    with pytest.raises(RepoError) as excinfo:
        clone_at(url, sha, dest, allowed=allowed)
    error = refused(excinfo, "too-big")
    limit = DEFAULT_MAX_BYTES // 2**20
    assert f"passa do limite de {limit} MB: os arquivos somam 200 MB" in error.message
    assert list(dest.iterdir()) == []


def test_clone_at_stops_a_download_that_passes_the_cap(
    git_server: GitServer, allowed, dest: Path
) -> None:
    # Random bytes do not compress: the pack itself passes the cap while it downloads.
    url, sha = make_repo(git_server, "ana/aleatorio", {"ruido.bin": os.urandom(3 * 2**20)})
    with pytest.raises(RepoError) as excinfo:
        clone_at(url, sha, dest, allowed=allowed, max_bytes=2**20)
    assert "o download passou de 1 MB" in refused(excinfo, "too-big").message
    assert not dest.exists()


def test_clone_at_refuses_too_many_files(git_server: GitServer, allowed, dest: Path) -> None:
    url, sha = make_repo(git_server, "ana/muitos", {f"f{i}.txt": str(i) for i in range(30)})
    with pytest.raises(RepoError) as excinfo:
        clone_at(url, sha, dest, allowed=allowed, max_files=20)
    assert "limite de 20 arquivos: 30 arquivos" in refused(excinfo, "too-big").message
    assert not dest.exists()


def test_symlinks_arrive_as_plain_files(git_server: GitServer, allowed, dest: Path) -> None:
    url, sha = make_repo(
        git_server, "ana/links", {"senhas": Symlink("/etc/passwd"), "acima": Symlink("../..")}
    )
    clone_at(url, sha, dest, allowed=allowed)
    for name, target in (("senhas", "/etc/passwd"), ("acima", "../..")):
        assert not (dest / name).is_symlink()
        assert (dest / name).read_text() == target


def test_submodules_and_hostile_attributes_run_nothing(
    git_server: GitServer, allowed, dest: Path, tmp_path: Path, monkeypatch
) -> None:
    # If clone_at read our own git configuration, these would run on checkout.
    canary = tmp_path / "canary"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "post-checkout").write_text(f"#!/bin/sh\ntouch {canary}.hook\n")
    (hooks / "post-checkout").chmod(0o755)
    global_config = tmp_path / "gitconfig"
    global_config.write_text(
        f'[filter "evil"]\n\tsmudge = touch {canary}.evil\n\trequired = true\n'
        f'[filter "lfs"]\n\tsmudge = touch {canary}.lfs\n\tprocess = touch {canary}.lfs\n'
        f"[core]\n\thooksPath = {hooks}\n"
        # Nothing on the command line overrides this one: reading it would break the clone.
        f'[url "http://127.0.0.1:{free_port()}/"]\n\tinsteadOf = {git_server.base_url}\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    monkeypatch.setenv("HOME", str(tmp_path))
    lfs_pointer = (
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )
    url, sha = make_repo(
        git_server,
        "ana/hostil",
        {
            ".gitattributes": (
                "* filter=evil\n*.txt ident\n*.bin filter=lfs diff=lfs merge=lfs -text\n"
                "*.crlf text eol=crlf\n*.utf16 working-tree-encoding=UTF-16\n"
            ),
            ".gitmodules": (
                '[submodule "lib/sub"]\n\tpath = lib/sub\n\turl = https://github.com/evil/sub\n'
            ),
            "lib/sub": Gitlink("c" * 40),
            "id.txt": "$Id$\n",
            "modelo.bin": lfs_pointer,
            "linhas.crlf": "um\ndois\n",
            # git stores this as UTF-8; honouring the attribute would write UTF-16 back.
            "texto.utf16": "olá\n".encode("utf-16"),
        },
    )
    info = clone_at(url, sha, dest, allowed=allowed)
    assert info.submodules == ("lib/sub",)
    assert list((dest / "lib/sub").iterdir()) == []
    assert (dest / "id.txt").read_bytes() == b"$Id$\n"
    assert (dest / "modelo.bin").read_text() == lfs_pointer
    assert (dest / "linhas.crlf").read_bytes() == b"um\ndois\n"
    assert (dest / "texto.utf16").read_bytes() == "olá\n".encode()
    assert sorted(p.name for p in tmp_path.glob("canary*")) == []


def test_clone_at_gives_up_on_a_stalled_server(git_server: GitServer, allowed, dest: Path) -> None:
    started = time.monotonic()
    with pytest.raises(RepoError) as excinfo:
        clone_at(git_server.url("stall/projeto"), "a" * 40, dest, allowed=allowed, timeout=1)
    refused(excinfo, "timeout")
    assert time.monotonic() - started < 5
    assert not dest.exists()


def test_clone_at_refuses_a_url_that_is_not_allowed(git_server: GitServer, dest: Path) -> None:
    url, sha = make_repo(git_server, "ana/projeto", FILES)
    with pytest.raises(RepoError) as excinfo:
        clone_at(url, sha, dest, allowed=GITHUB)
    refused(excinfo, "url-not-allowed")
    assert not dest.exists()


def test_logs_never_carry_the_students_credentials(git_server: GitServer, allowed, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="autograder.repos")
    url, _ = make_repo(git_server, "ana/projeto", FILES)
    resolve(url, allowed=allowed)
    with pytest.raises(RepoError):
        resolve(git_server.url("ana/nao-existe"), allowed=allowed)
    with pytest.raises(RepoError):
        check_url(url.replace("http://", "http://ana:s3nha@"), allowed)
    assert caplog.records  # the failure was logged...
    assert "s3nha" not in caplog.text  # ...without the secret
