"""Fixture final projects whose grade depends on installing their dependencies.

Their packages come from the local index of ``tests/autograder/package_index.py``; both are
small (a module, five or seven tests), so grading one costs one install and one short run.

- ``utf16_requirements``: ``requirements.txt`` written the way PowerShell's
  ``pip freeze > requirements.txt`` writes it (UTF-16 with a BOM, CRLF), asking for
  ``mle-fixture-plot`` (which brings ``mle-fixture-base``); a Dockerfile ``FROM
  python:3.10-slim``. All ``UTF16_TESTS`` tests import the package and pass once installed.
- ``pinned_below_the_image``: the same, also pinning ``platformdirs==4.3.8``, older than the
  grading image's release, whose pytest plugin entry point names a module 4.3.8 lacks.
- ``app_in_src_folder``: the same, with its FastAPI app in ``src/app.py`` (a plain folder,
  not a package), which imports the installed package.
- ``sdist_only_dependency``: the same, plus ``mle-fixture-sdist`` (only a source
  distribution in the index) and ``SDIST_TESTS`` tests that import it, which can only fail.
"""

from __future__ import annotations

from pathlib import Path

from tests.autograder.projects import _write

UTF16_TESTS = 5
SDIST_TESTS = 2

_GRAFICO = """
    from mle_fixture_plot import grafico
    from mle_fixture_base import VERSAO


    def resumo() -> str:
        return f"{grafico()}-{VERSAO}"
"""

_API = """
    from churn_grafico.core import resumo


    def rota_saude() -> dict:
        return {"status": "ok", "resumo": resumo()}
"""

_TESTS = {
    "tests/test_grafico.py": """
        from churn_grafico.core import resumo
        import mle_fixture_plot


        def test_grafico_instalado():
            assert mle_fixture_plot.grafico() == "ok"


        def test_resumo_usa_a_versao_resolvida():
            assert resumo() == "ok-2.0.0"


        def test_resumo_e_texto():
            assert isinstance(resumo(), str)
    """,
    "tests/test_api.py": """
        from churn_grafico.api import rota_saude


        def test_saude_responde_ok():
            assert rota_saude()["status"] == "ok"


        def test_saude_traz_o_resumo():
            assert rota_saude()["resumo"].startswith("ok")
    """,
}


def _requirements_utf16(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-16")  # BOM + UTF-16-LE, as PowerShell


def utf16_requirements(path: Path) -> Path:
    root = _write(
        path,
        {
            "README.md": "# Churn com gráficos\n\nProjeto de exemplo.\n",
            "Dockerfile": "FROM python:3.10-slim\nCOPY . /app\n",
            "churn_grafico/__init__.py": "",
            "churn_grafico/core.py": _GRAFICO,
            "churn_grafico/api.py": _API,
            **_TESTS,
        },
    )
    (root / "requirements.txt").write_bytes(_requirements_utf16(["mle-fixture-plot==1.0.0"]))
    return root


def sdist_only_dependency(path: Path) -> Path:
    root = utf16_requirements(path)
    (root / "requirements.txt").write_text(
        "mle-fixture-plot==1.0.0\nmle-fixture-sdist==1.0.0\n", encoding="utf-8"
    )
    _write(
        root,
        {
            "tests/test_relatorio.py": """
                import mle_fixture_sdist


                def test_relatorio_gera():
                    assert mle_fixture_sdist


                def test_relatorio_tem_titulo():
                    assert mle_fixture_sdist
            """,
        },
    )
    return root


def pinned_below_the_image(path: Path) -> Path:
    root = utf16_requirements(path)
    (root / "requirements.txt").write_bytes(
        _requirements_utf16(["mle-fixture-plot==1.0.0", "platformdirs==4.3.8"])
    )
    return root


def app_in_src_folder(path: Path) -> Path:
    return _write(
        utf16_requirements(path),
        {
            "src/app.py": """
                from fastapi import FastAPI
                from pydantic import BaseModel
                from mle_fixture_plot import grafico

                app = FastAPI()


                class Cliente(BaseModel):
                    meses: int
                    mensalidade: float


                @app.get("/health")
                def saude() -> dict:
                    return {"status": "ok"}


                @app.post("/predict")
                def prever(cliente: Cliente) -> dict:
                    risco = min(1.0, cliente.mensalidade / (100 * (1 + cliente.meses)))
                    return {"churn": risco > 0.5, "risco": risco, "grafico": grafico(),
                            "versao_modelo": "1.0.0"}
            """,
        },
    )
