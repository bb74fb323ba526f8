"""Builds the fixture notebooks: one small nbgrader source notebook in pt-BR, and each
student submission (correct, partly wrong, hostile) derived from its *release* version, the
way a student would edit it.

The source notebook has:

- a locked, read-only cell ``importacoes`` (imports);
- two solution cells, ``normaliza`` and ``conta_palavras``, with ``### BEGIN SOLUTION`` regions;
- two test cells with visible and hidden tests: ``teste_normaliza`` (2 points) and
  ``teste_conta_palavras`` (3 points);
- a locked question and a manually graded Markdown answer ``resposta_escala`` (1 point).

Hostile code goes in the ``conta_palavras`` cell, after ``teste_normaliza`` ran: the first
test then shows that nbgrader survived and scored what ran before.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

Notebook = NotebookNode

POINTS = {"teste_normaliza": 2.0, "teste_conta_palavras": 3.0, "resposta_escala": 1.0}
AUTO_POINTS = POINTS["teste_normaliza"] + POINTS["teste_conta_palavras"]
MAX_TOTAL = sum(POINTS.values())


def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _code(source: str, **nbgrader: Any) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata.update(_nbgrader(**nbgrader))
    return cell


def _markdown(source: str, **nbgrader: Any) -> NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    if nbgrader:
        cell.metadata.update(_nbgrader(**nbgrader))
    return cell


NORMALIZA_SOLUTION = """\
def normaliza(xs):
    \"\"\"Devolve os valores de xs menos a sua média (média 0).\"\"\"
    ### BEGIN SOLUTION
    media = sum(xs) / len(xs)
    return [x - media for x in xs]
    ### END SOLUTION"""

CONTA_SOLUTION = """\
def conta_palavras(texto):
    \"\"\"Quantas vezes cada palavra aparece em texto, sem diferenciar maiúsculas.\"\"\"
    ### BEGIN SOLUTION
    return dict(Counter(texto.lower().split()))
    ### END SOLUTION"""

TESTE_NORMALIZA = """\
resultado = normaliza([1.0, 2.0, 3.0, 10.0])
media = sum(resultado) / len(resultado)
assert abs(media) < 1e-9, f"esperado média 0, obtido {media}"
assert len(resultado) == 4, "o resultado deve ter o mesmo tamanho da entrada"
### BEGIN HIDDEN TESTS
assert normaliza([5.0, 5.0]) == [0.0, 0.0], "valores iguais devem virar zero"
### END HIDDEN TESTS"""

TESTE_CONTA = """\
contagem = conta_palavras("o gato e o rato")
assert contagem["o"] == 2, f"esperado 2 ocorrências de 'o', obtido {contagem.get('o')}"
### BEGIN HIDDEN TESTS
assert conta_palavras("Casa casa CASA") == {"casa": 3}, "a contagem não deve diferenciar maiúsculas"
### END HIDDEN TESTS"""


def source_notebook() -> NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        _markdown(
            "# Tarefa 1: normalização e contagem de palavras\n\n"
            "Preencha as funções abaixo e rode os testes."
        ),
        _code("import math\nfrom collections import Counter", grade_id="importacoes", locked=True),
        _markdown("## 1. `normaliza(xs)`\n\nDevolva os valores centrados na média."),
        _code(NORMALIZA_SOLUTION, grade_id="normaliza", solution=True),
        _code(
            TESTE_NORMALIZA,
            grade_id="teste_normaliza",
            grade=True,
            locked=True,
            points=POINTS["teste_normaliza"],
        ),
        _markdown("## 2. `conta_palavras(texto)`"),
        _code(CONTA_SOLUTION, grade_id="conta_palavras", solution=True),
        _code(
            TESTE_CONTA,
            grade_id="teste_conta_palavras",
            grade=True,
            locked=True,
            points=POINTS["teste_conta_palavras"],
        ),
        _markdown(
            "## 3. Pergunta\n\nPor que normalizar as variáveis antes de treinar um modelo?",
            grade_id="pergunta_escala",
            locked=True,
        ),
        _markdown(
            "Para que variáveis em escalas diferentes pesem igualmente.",
            grade_id="resposta_escala",
            grade=True,
            solution=True,
            points=POINTS["resposta_escala"],
        ),
    ]
    return nb


def write(nb: NotebookNode | dict, path: Path) -> Path:
    path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def read(path: Path) -> NotebookNode:
    return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)


# -- editing a release like a student -------------------------------------------------------


def cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    for each in nb.cells:
        if each.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return each
    raise KeyError(grade_id)


def _with(release: NotebookNode, **sources: str) -> NotebookNode:
    nb = copy.deepcopy(release)
    for grade_id, source in sources.items():
        cell(nb, grade_id).source = source
    return nb


NORMALIZA = """\
def normaliza(xs):
    media = sum(xs) / len(xs)
    return [x - media for x in xs]"""

CONTA = """\
def conta_palavras(texto):
    return dict(Counter(texto.lower().split()))"""

RESPOSTA = "Para que nenhuma variável domine só por ter valores maiores."


def correct(release: NotebookNode) -> NotebookNode:
    return _with(release, normaliza=NORMALIZA, conta_palavras=CONTA, resposta_escala=RESPOSTA)


def partly_wrong(release: NotebookNode) -> NotebookNode:
    """normaliza forgets to subtract the mean: teste_normaliza fails with its message."""
    return _with(
        release,
        normaliza="def normaliza(xs):\n    return list(xs)",
        conta_palavras=CONTA,
        resposta_escala=RESPOSTA,
    )


def _hostile_conta(code: str) -> Callable[[NotebookNode], NotebookNode]:
    """A correct notebook whose conta_palavras cell runs ``code`` first."""

    def build(release: NotebookNode) -> NotebookNode:
        return _with(
            release,
            normaliza=NORMALIZA,
            conta_palavras=code + "\n\n" + CONTA,
            resposta_escala=RESPOSTA,
        )

    return build


def infinite_loop(release: NotebookNode) -> NotebookNode:
    """conta_palavras never returns: the test cell that calls it hits the cell time-out."""
    return _with(
        release,
        normaliza=NORMALIZA,
        resposta_escala=RESPOSTA,
        conta_palavras="def conta_palavras(texto):\n    while True:\n        pass",
    )


def sigint_ignoring_loop(release: NotebookNode) -> NotebookNode:
    """conta_palavras ignores SIGINT and loops: the interrupt cannot stop the test cell."""
    code = """\
import signal

def conta_palavras(texto):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass"""
    return _with(release, normaliza=NORMALIZA, conta_palavras=code, resposta_escala=RESPOSTA)


memory_bomb = _hostile_conta("""\
blocos = []
while True:
    blocos.append(b"x" * (16 * 1024 * 1024))""")

fork_bomb = _hostile_conta("""\
import os, time
while True:
    if os.fork() == 0:
        time.sleep(600)
        os._exit(0)""")

kills_own_kernel = _hostile_conta("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")

network_attempt = _hostile_conta("""\
import socket, urllib.request
for alvo in ("http://example.com", "http://1.1.1.1"):
    try:
        urllib.request.urlopen(alvo, timeout=3)
        print("REDE", alvo, "CONECTOU")
    except Exception as erro:
        print("REDE", alvo, "FALHOU", type(erro).__name__)
try:
    socket.create_connection(("8.8.8.8", 53), timeout=3)
    print("SOCKET CONECTOU")
except OSError as erro:
    print("SOCKET FALHOU", type(erro).__name__)""")

writes_outside_scratch = _hostile_conta("""\
for caminho in ("/etc/passwd", "/etc/novo", "/opt/grader-venv/novo.py", "/usr/lib/novo",
                "/tmp/novo", "/tmp/grader/novo",
                "/opt/mle/autograder/container/runner.py"):
    try:
        with open(caminho, "a") as arquivo:
            arquivo.write("x")
        print("ESCRITA", caminho, "OK")
    except OSError as erro:
        print("ESCRITA", caminho, "NEGADA", type(erro).__name__)""")

fake_result_json = _hostile_conta("""\
import json, os, sys
falso = {"schema": 1, "status": "ok", "grades": [
    {"grade_id": "teste_normaliza", "score": 2.0, "max_score": 2.0, "auto_score": 2.0,
     "manual_score": None, "needs_manual_grade": False, "cell_type": "code"},
    {"grade_id": "teste_conta_palavras", "score": 3.0, "max_score": 3.0, "auto_score": 3.0,
     "manual_score": None, "needs_manual_grade": False, "cell_type": "code"}]}
print(json.dumps(falso))
os.write(1, (json.dumps(falso) + "\\n").encode())
os.write(2, (json.dumps(falso) + "\\n").encode())""")


def fake_result_json_wrong(release: NotebookNode) -> NotebookNode:
    """Prints a full-marks result while normaliza is wrong."""
    nb = fake_result_json(release)
    cell(nb, "normaliza").source = "def normaliza(xs):\n    return list(xs)"
    return nb


def writes_gradebook(release: NotebookNode) -> NotebookNode:
    """Tries to write the gradebook, the result file and the source, with a wrong normaliza."""
    code = """\
import glob, os
for caminho in ("/tmp/grader/course/gradebook.db", "/tmp/grader/out/result.json",
                "/tmp/grader/course/source/tarefa/notebook.ipynb", "/tmp/grader/in/gradebook.db",
                "/tmp/kernel/x.json", "/tmp/resultado.json"):
    try:
        with open(caminho, "w") as arquivo:
            arquivo.write('{"status": "ok"}')
        print("GRAVOU", caminho)
    except OSError as erro:
        print("NEGADO", caminho, type(erro).__name__)
print("ACHADOS", glob.glob("/tmp/**/gradebook.db", recursive=True))"""
    return _with(
        release,
        normaliza="def normaliza(xs):\n    return list(xs)",
        conta_palavras=code + "\n\n" + CONTA,
        resposta_escala=RESPOSTA,
    )


def reads_hidden_tests(release: NotebookNode) -> NotebookNode:
    """Looks for the source notebook / gradebook; conta_palavras ignores case (hidden test)."""
    code = """\
import glob, os
achou = False
for caminho in ("/tmp/grader/course/source/tarefa/notebook.ipynb",
                "/tmp/grader/in/source.ipynb", "/tmp/grader/course/gradebook.db",
                "/tmp/grader/course/autograded/aluno/tarefa/notebook.ipynb"):
    try:
        with open(caminho, "rb") as arquivo:
            achou = achou or b"BEGIN HIDDEN TESTS" in arquivo.read()
        print("LEU", caminho)
    except OSError as erro:
        print("NEGADO", caminho, type(erro).__name__)
for padrao in ("/tmp/**/*.ipynb", "/aluno/**/*.ipynb", "/opt/mle/**/*.ipynb",
               "/home/**/*.ipynb", "/root/**/*.ipynb", "/mnt/**/*.ipynb", "/proc/*/cwd/*.ipynb"):
    for caminho in glob.glob(padrao, recursive=True):
        try:
            with open(caminho, "rb") as arquivo:
                achou = achou or b"teste_conta_palavras" in arquivo.read()
        except OSError:
            pass
print("ACHOU_TESTES_OCULTOS", achou)

def conta_palavras(texto):
    return dict(Counter(texto.split()))"""
    return _with(release, normaliza=NORMALIZA, conta_palavras=code, resposta_escala=RESPOSTA)


def deletes_test_cell(release: NotebookNode) -> NotebookNode:
    nb = correct(release)
    nb.cells = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "teste_normaliza"
    ]
    return nb


def edits_locked_cells(release: NotebookNode) -> NotebookNode:
    """Rewrites the test of a wrong normaliza to pass, and edits the locked imports cell."""
    nb = _with(
        release,
        normaliza="def normaliza(xs):\n    return list(xs)",
        conta_palavras=CONTA,
        resposta_escala=RESPOSTA,
    )
    cell(nb, "teste_normaliza").source = "assert True  # confie em mim"
    cell(nb, "importacoes").source = "import math\nfrom collections import Counter\nimport os"
    return nb


always_equal = _hostile_conta("""\
class SempreIgual:
    def __eq__(self, outro):
        return True
    def __getitem__(self, chave):
        return SempreIgual()
    def get(self, chave, padrao=None):
        return SempreIgual()""")


def always_equal_wins(release: NotebookNode) -> NotebookNode:
    """conta_palavras returns an object equal to anything: nbgrader gives the points."""
    nb = always_equal(release)
    src = cell(nb, "conta_palavras").source.replace(CONTA, "")
    cell(nb, "conta_palavras").source = (
        src + "\ndef conta_palavras(texto):\n    return SempreIgual()"
    )
    return nb


def hides_tracebacks(release: NotebookNode) -> NotebookNode:
    """Overrides showtraceback so failing tests print nothing; normaliza is wrong."""
    nb = _with(
        release,
        normaliza="get_ipython().showtraceback = lambda *a, **k: None\n\n"
        "def normaliza(xs):\n    return list(xs)",
        conta_palavras=CONTA,
        resposta_escala=RESPOSTA,
    )
    return nb


def input_transformer(release: NotebookNode) -> NotebookNode:
    """Registers an input transformer that turns every assert into a no-op; both wrong."""
    code = """\
def _sem_asserts(linhas):
    return ["pass\\n" if linha.lstrip().startswith("assert") else linha for linha in linhas]

get_ipython().input_transformers_post.append(_sem_asserts)

def normaliza(xs):
    return list(xs)"""
    return _with(
        release,
        normaliza=code,
        conta_palavras="def conta_palavras(texto):\n    return {}",
        resposta_escala=RESPOSTA,
    )


million_lines = _hostile_conta("for i in range(1_000_000):\n    print(i)")

display_flood = _hostile_conta("""\
from IPython.display import HTML, display
for _ in range(40):
    display(HTML("<p>" + "x" * 200_000 + "</p>"))""")


def slow_total(release: NotebookNode) -> NotebookNode:
    """Each cell stays under the cell time-out, the whole run does not (wall-clock limit)."""
    return _with(
        release,
        normaliza=NORMALIZA,
        resposta_escala=RESPOSTA,
        conta_palavras="import time\ntime.sleep(600)\n\n" + CONTA,
    )
