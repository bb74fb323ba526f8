"""The project's tree (autograder/container/project_tree.py): what is listed for the copy."""

from __future__ import annotations

from autograder.container import project_tree


def test_list_tree_skips_vcs_links_and_huge_files(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "api.py").write_text("app = None\n")
    (tmp_path / "link.py").symlink_to("/etc/passwd")
    with (tmp_path / "dump.bin").open("wb") as handle:
        handle.truncate(project_tree.MAX_FILE_BYTES + 1)  # sparse
    files, links, summary = project_tree.list_tree(tmp_path)
    assert files == ["src/api.py"]
    assert links == ["link.py"]
    assert summary["skipped"] == ["dump.bin"]
