"""The graded notebook, as the portal renders it, is inert and reads well on a phone.

The student's notebook displays HTML that redirects (``<meta http-equiv=refresh>``), posts a
form to another site (submitted by a script, and by its button), and rewrites links with
``<base href>``; it also prints a long line and displays a wide table. It is graded in a real
container (``normaliza`` wrong, so one test fails with its traceback). On the attempt page
and on the notebook's own page none of the hostile HTML has any effect: the page stays where
it is, no script runs, no request reaches the other site, the link goes nowhere. An instructor
gives the failed test half a point: its badge says so, with the justification. At 1280 and
390 px the page never scrolls sideways: code, outputs and tables scroll in their own boxes.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from autograder.notebooks import autograde, prepare_source
from autograder.results import Limits
from portal.accounts.models import User
from portal.grading.justifications import cell_results
from portal.grading.models import CriterionScore
from portal.review import services as review_services
from tests.autograder import notebooks as nb
from tests.autograder.conftest import docker_client, grader_image  # noqa: F401 - fixtures
from tests.browser.conftest import SCREENSHOTS
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


WIDE_TABLE = (
    "<table><thead><tr>"
    + "".join(f"<th>coluna_{i}</th>" for i in range(24))
    + "</tr></thead><tbody><tr>"
    + "".join(f"<td>{i * 1000.5}</td>" for i in range(24))
    + "</tr></tbody></table>"
)


@pytest.fixture(scope="module")
def hostile_notebook(
    other_site: OtherSite,
    grader_image: str,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict, list]:
    """The graded notebook and its cell results for an answer cell that displays that HTML
    (and a wide table, and a long line), with ``normaliza`` wrong."""
    workdir = tmp_path_factory.mktemp("feedback")
    cache = tmp_path_factory.getbasetemp() / "notebook-cache"
    limits = Limits(memory_mb=512, wall_seconds=60, cell_timeout_seconds=10, tmpfs_mb=64)
    source = nb.write(nb.source_notebook(), workdir / "fonte.ipynb")
    release = nb.read(prepare_source(source, image=grader_image, cache_dir=cache).release_path)
    answers = nb.partly_wrong(copy.deepcopy(release))
    nb.cell(answers, "conta_palavras").source = (
        "from IPython.display import HTML, display\n"
        f"display(HTML({hostile_output(other_site.url)!r}))\n"
        f"display(HTML({WIDE_TABLE!r}))\n"
        "print('resultado: ' + ', '.join(str(i) for i in range(80)))\n\n" + nb.CONTA
    )
    submission = nb.write(answers, workdir / "entrega.ipynb")
    result = autograde(source, submission, limits=limits, image=grader_image, cache_dir=cache)
    assert result.feedback_notebook is not None
    assert 'http-equiv=\\"refresh\\"' in json.dumps(result.feedback_notebook)  # raw, stored
    return result.feedback_notebook, cell_results(result)


@pytest.fixture
def anas_attempt(page: Page, sign_in, course, assignment, hostile_notebook):  # noqa: F811
    """Ana signed in, her attempt 1 graded with that notebook: its pages' paths."""
    EnrollmentFactory(course=course, user=None, email=ANA["email"], full_name=ANA["name"])
    sign_in(page, **ANA)
    ana = User.objects.get(email=ANA["email"])
    notebook, results = hostile_notebook
    graded(
        SubmissionFactory(assignment=assignment, student=ana, attempt=1),
        notebook=notebook,
        cell_results=results,
    )
    args = [course.slug, assignment.slug, 1]
    return {name: reverse(f"classroom:{name}", args=args) for name in ("feedback", "submission")}


def _page_overflow(page: Page) -> int:
    """How far the page scrolls sideways (0: not at all)."""
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


def test_the_notebook_page_cannot_redirect_submit_or_rewrite_links(
    page: Page, live_server, other_site: OtherSite, anas_attempt: dict[str, str]
) -> None:
    feedback_path = anas_attempt["feedback"]
    url = live_server.url + feedback_path
    other_site.requests.clear()

    page.goto(feedback_path)
    link = page.locator(".notebook a", has_text="minhas notas")
    link.wait_for()
    page.wait_for_timeout(2500)  # the refresh would have fired after 1 s

    assert page.url == url
    assert page.title() != "script rodou"
    assert link.get_attribute("href") is None  # a relative link would point into the portal
    assert page.locator(".notebook form, .notebook input, .notebook button").count() == 0
    link.click()
    page.wait_for_timeout(1000)
    assert page.url == url
    assert other_site.requests == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_notebook_on_the_attempt_page_reads_well_on_a_laptop_and_a_phone(
    page: Page, live_server, other_site: OtherSite, anas_attempt: dict[str, str], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    other_site.requests.clear()
    review_services.score_set(
        score=CriterionScore.objects.get(criterion__key="teste_normaliza"),
        points=Decimal("0.5"),
        justification="A média foi calculada; faltou subtraí-la de cada valor.",
        by=None,
        reason="revisão",
    )

    page.goto(anas_attempt["submission"])
    notebook = page.locator("details.graded-notebook[open] .notebook")
    expect(notebook).to_be_visible()
    failed = notebook.locator('[data-grade-id="teste_normaliza"]')
    expect(failed.locator('[data-state="failed"]')).to_have_text("falhou")
    expect(failed.locator("[data-points]")).to_have_text("0,5 de 2")
    expect(failed.locator("[data-adjusted]")).to_have_text("ajustado pelo instrutor")
    expect(failed.locator(".nb-adjusted")).to_contain_text("faltou subtraí-la de cada valor")
    expect(failed.locator(".nb-error")).to_contain_text("AssertionError")
    passed = notebook.locator('[data-grade-id="teste_conta_palavras"]')
    expect(passed.locator('[data-state="passed"]')).to_have_text("passou")
    expect(passed.locator("[data-points]")).to_have_text("3 de 3")
    manual = notebook.locator('[data-grade-id="resposta_escala"]')
    expect(manual.locator("[data-state]")).to_have_text("aguardando correção manual")
    expect(manual.locator("[data-points]")).to_have_text("— de 1")
    page.wait_for_timeout(1500)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"graded-notebook-{width}.png"), full_page=True)
    assert _page_overflow(page) <= 0
    table = notebook.locator(".nb-html", has=page.locator("th", has_text="coluna_23"))
    if width == 390:  # wider than the phone: it scrolls inside its own box, nothing clipped
        assert table.evaluate("box => box.scrollWidth > box.clientWidth")
        assert table.evaluate("box => getComputedStyle(box).overflowX") == "auto"
    assert page.title() != "script rodou"
    assert other_site.requests == []
