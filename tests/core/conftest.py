from tests.support.attempts import assignment, media  # noqa: F401 - fixtures
