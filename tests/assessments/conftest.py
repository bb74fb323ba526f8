from tests.support.attempts import assignment, dora, git_server, media  # noqa: F401 - fixtures
