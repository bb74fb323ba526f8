"""A source notebook whose hidden tests a student's answers make fail in every way a
traceback can show them, and that answer notebook.

- ``teste_media``: the hidden block defines a helper, ``_confere_oculta``, and calls it; the
  student's ``media`` divides by zero *inside* the helper's call, so the traceback walks
  through the helper's hidden lines;
- ``teste_maximo``: a plain failing hidden ``assert`` (no message: the traceback is all the
  student would get), after a call of the helper defined in the *previous* cell's hidden
  block; the student's ``maximo`` cell also prints the previous cell's source (``In[-2]``);
- ``teste_mediana``: only hidden tests; the student's ``mediana`` cell is a syntax error, so
  the hidden test fails with a NameError on a hidden line.

``SECRET_LINES`` are the hidden lines no student may see; ``VISIBLE`` a visible test the
feedback still shows.
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode

from tests.autograder import notebooks as nb

POINTS = {"teste_media": 2.0, "teste_maximo": 2.0, "teste_mediana": 1.0}

TESTE_MEDIA = """\
assert media([2, 4]) == 3
### BEGIN HIDDEN TESTS
def _confere_oculta(funcao, entrada, esperado):
    obtido_oculto = funcao(entrada)
    assert obtido_oculto == esperado, "caso oculto"
_confere_oculta(media, [1, 2, 3, 4], 2.5)
_confere_oculta(media, [], 0.0)
### END HIDDEN TESTS"""

TESTE_MAXIMO = """\
assert maximo([1, 3, 2]) == 3
### BEGIN HIDDEN TESTS
_confere_oculta(maximo, [7], 7)
assert maximo([-5, -2]) == -2
### END HIDDEN TESTS"""

TESTE_MEDIANA = """\
# A função mediana é verificada por testes ocultos.
### BEGIN HIDDEN TESTS
assert mediana([3, 1, 2]) == 2
### END HIDDEN TESTS"""

SECRET_LINES = [
    "def _confere_oculta(funcao, entrada, esperado):",
    "obtido_oculto = funcao(entrada)",
    "_confere_oculta(media, [1, 2, 3, 4], 2.5)",
    "_confere_oculta(media, [], 0.0)",
    "_confere_oculta(maximo, [7], 7)",
    "assert maximo([-5, -2]) == -2",
    "assert mediana([3, 1, 2]) == 2",
]
SECRET_FRAGMENTS = ["_confere_oculta", "obtido_oculto", "[-5, -2]", "[3, 1, 2]", "HIDDEN TESTS"]
VISIBLE = "assert maximo([1, 3, 2]) == 3"


def _solution(name: str, body: str) -> str:
    return f"def {name}(xs):\n    ### BEGIN SOLUTION\n    {body}\n    ### END SOLUTION"


def source_notebook() -> NotebookNode:
    notebook = nb.source_notebook()
    code, markdown = nb._code, nb._markdown
    cells = [markdown("# Tarefa: média, máximo e mediana")]
    for name, body, test in (
        ("media", "return sum(xs) / len(xs) if xs else 0.0", TESTE_MEDIA),
        ("maximo", "return max(xs)", TESTE_MAXIMO),
        ("mediana", "return sorted(xs)[len(xs) // 2]", TESTE_MEDIANA),
    ):
        cells.append(code(_solution(name, body), grade_id=name, solution=True))
        grade_id = f"teste_{name}"
        cells.append(
            code(test, grade_id=grade_id, grade=True, locked=True, points=POINTS[grade_id])
        )
    notebook.cells = cells
    return notebook


def failing_answers(release: NotebookNode) -> NotebookNode:
    """Passes every visible test, fails every hidden one (see the module docstring)."""
    return nb._with(
        release,
        media="def media(xs):\n    return sum(xs) / len(xs)",
        maximo=(
            "print(In[-2])\n"
            "def maximo(xs):\n"
            "    maior = 0\n"
            "    for x in xs:\n"
            "        maior = x if x > maior else maior\n"
            "    return maior"
        ),
        mediana="def mediana(xs)\n    return sorted(xs)[len(xs) // 2]",
    )
