"""The tampering findings (autograder/tamper.py): static, host side, no Docker."""

from __future__ import annotations

import copy

import pytest

from autograder import tamper
from tests.autograder import notebooks as nb

# -- the static scan of one cell ------------------------------------------------------------------

FLAGGED = [
    ("get_ipython().input_transformers_post.append(f)", "input-transformer"),
    ("ip = get_ipython()\nip.input_transformers_cleanup.insert(0, f)", "input-transformer"),
    ("get_ipython().ast_transformers.append(Reescreve())", "ast-transformer"),
    ("get_ipython().showtraceback = lambda *a, **k: None", "traceback-override"),
    ("shell = get_ipython()\nshell.showsyntaxerror = nada", "traceback-override"),
    ("setattr(get_ipython(), 'showtraceback', nada)", "traceback-override"),
    ("get_ipython().set_custom_exc((AssertionError,), engole)", "custom-exc"),
    ("get_ipython().events.register('post_run_cell', depois)", "ipython-events"),
    ("get_ipython().run_cell = minha_run_cell", "run-cell-override"),
    ("k = get_ipython().kernel\nk.session.send(k.iopub_socket, 'status', {})", "kernel-internals"),
    ("import zmq", "kernel-internals"),
    ("import sys\nsys.modules['numpy'] = falso", "sys-modules"),
    ("import sys\nsys.modules.update({'math': falso})", "sys-modules"),
    ("import builtins\nbuiltins.len = lambda x: 2", "builtins"),
    ("__builtins__['abs'] = lambda x: 0", "builtins"),
    ("import builtins as b\nsetattr(b, 'round', lambda *a: 0)", "builtins"),
    ("AssertionError = type('Nada', (Exception,), {})", "builtin-shadow"),
    ("def isinstance(obj, cls):\n    return True", "builtin-shadow"),
    ("import sys\nsys.settrace(rastreia)", "trace"),
    ("import threading\nthreading.setprofile(perfil)", "trace"),
    ("import sys\nsys.excepthook = engole", "trace"),
    ("import os\nos.kill(os.getpid(), 9)", "signals"),
    ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)", "signals"),
    ("from os import kill\nkill(1, 9)", "signals"),
    ("class X:\n    def __eq__(self, outro):\n        return True", "always-equal"),
    ("class X:\n    __eq__ = lambda self, outro: True", "always-equal"),
    ("class X:\n    def __ne__(self, outro):\n        return False", "always-equal"),
    ("int.__eq__ = lambda a, b: True", "eq-override"),
    ("import gc\nfor o in gc.get_objects():\n    pass", "gc"),
    ("import ctypes", "ctypes"),
    ("from ctypes import pythonapi", "ctypes"),
    ("open('/proc/1/cmdline').read()", "proc"),
    ("import numpy as np\nnp.isclose = lambda *a, **k: True", "module-patch"),
    ("import math\nmath.isclose = lambda *a, **k: True", "module-patch"),
    ("import sys\nf = sys._getframe(1)", "frames"),
    ("import inspect\ninspect.currentframe().f_back.f_globals['x'] = 1", "frames"),
    ("exec(codigo)", "dynamic-code"),
    ("getattr(get_ipython(), 'input_transformers_post')", "sensitive-string"),
]


@pytest.mark.parametrize(("code", "kind"), FLAGGED, ids=[k for _, k in FLAGGED])
def test_the_scan_flags_each_way_to_subvert_the_tests(code: str, kind: str) -> None:
    kinds = {hit.kind for hit in tamper.scan_source(code)}
    assert kind in kinds


INNOCENT = [
    "import numpy as np\nimport pandas as pd\nx = np.array([1, 2, 3])\nprint(x.mean())",
    "soma = 0\nfor valor in [1, 2]:\n    soma += valor",
    "sum = 0\nmax = 10\nlista = list(range(3))",  # bad style, but not tampering
    "class Ponto:\n    def __eq__(self, outro):\n        return self.x == outro.x",
    "import pandas as pd\npd.options.display.max_rows = 100",
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (8, 4)",
    "import os\ncaminho = os.path.join('dados', 'treino.csv')",
    "import gc\ngc.collect()",
    "def normaliza(xs):\n    media = sum(xs) / len(xs)\n    return [x - media for x in xs]",
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "from sklearn.linear_model import LinearRegression\nmodelo = LinearRegression().fit(X, y)",
]


@pytest.mark.parametrize("code", INNOCENT)
def test_ordinary_student_code_is_not_flagged(code: str) -> None:
    assert tamper.scan_source(code) == []


def test_a_finding_names_the_line_and_the_excerpt() -> None:
    code = "x = 1\n\nget_ipython().showtraceback = lambda *a: None\n"
    [hit] = tamper.scan_source(code)
    assert hit.line == 3
    assert hit.excerpt == "get_ipython().showtraceback = lambda *a: None"
    assert "esconder os erros dos testes" in hit.message


def test_ipython_magics_do_not_hide_code_from_the_scan() -> None:
    code = "%load_ext autoreload\n!pip list\nsaida = !ls\nimport sys\nsys.settrace(f)"
    [hit] = tamper.scan_source(code)
    assert (hit.kind, hit.line) == ("trace", 5)


def test_a_cell_that_does_not_parse_is_scanned_with_regular_expressions() -> None:
    code = ("%%bash\necho oi\n"
            "def quebrado(:\n    get_ipython().input_transformers_post.append(f)")
    kinds = {(hit.kind, hit.line) for hit in tamper.scan_source(code)}
    assert ("input-transformer", 4) in kinds


def test_a_line_is_reported_once_per_kind() -> None:
    code = "setattr(get_ipython(), 'showtraceback', f); setattr(get_ipython(), 'showtraceback', g)"
    hits = tamper.scan_source(code)
    assert [hit.kind for hit in hits] == ["traceback-override"]


# -- the whole submission -------------------------------------------------------------------------


@pytest.fixture
def source() -> nb.Notebook:
    return nb.source_notebook()


@pytest.fixture
def release(source: nb.Notebook) -> nb.Notebook:
    """Close enough to nbgrader's: solutions cleared, hidden tests removed."""
    released = copy.deepcopy(source)
    nb.cell(released, "normaliza").source = "def normaliza(xs):\n    raise NotImplementedError()"
    nb.cell(released, "conta_palavras").source = (
        "def conta_palavras(texto):\n    raise NotImplementedError()"
    )
    for gid in ("teste_normaliza", "teste_conta_palavras"):
        cell = nb.cell(released, gid)
        cell.source = cell.source.split("### BEGIN HIDDEN TESTS")[0].rstrip()
    nb.cell(released, "resposta_escala").source = "YOUR ANSWER HERE"
    return released


def _findings(submission: nb.Notebook, source: nb.Notebook, release: nb.Notebook) -> list:
    return tamper.findings(submission, source=source, release=release)


def test_a_correct_submission_has_no_findings(source, release) -> None:
    assert _findings(nb.correct(release), source, release) == []


def test_a_deleted_test_cell_is_named(source, release) -> None:
    [finding] = _findings(nb.deletes_test_cell(release), source, release)
    assert (finding.kind, finding.cell) == ("deleted-test-cell", "teste_normaliza")
    assert finding.message == (
        "a célula de teste `teste_normaliza` foi apagada e restaurada a partir do original"
    )


def test_edited_test_and_locked_cells_are_named_with_the_edit(source, release) -> None:
    found = {f.kind: f for f in _findings(nb.edits_locked_cells(release), source, release)}
    assert found["edited-test-cell"].cell == "teste_normaliza"
    assert found["edited-test-cell"].excerpt == "assert True  # confie em mim"
    assert found["edited-locked-cell"].cell == "importacoes"
    assert found["edited-locked-cell"].excerpt == "import os"
    assert "editada e restaurada" in found["edited-locked-cell"].message


def test_deleted_locked_and_answer_cells_are_named(source, release) -> None:
    submission = nb.correct(release)
    submission.cells = [c for c in submission.cells
                        if c.metadata.get("nbgrader", {}).get("grade_id")
                        not in ("importacoes", "resposta_escala")]
    kinds = {(f.kind, f.cell) for f in _findings(submission, source, release)}
    assert kinds == {("deleted-locked-cell", "importacoes"),
                     ("deleted-answer-cell", "resposta_escala")}


def test_edited_nbgrader_metadata_is_named(source, release) -> None:
    submission = nb.correct(release)
    nb.cell(submission, "teste_conta_palavras").metadata["nbgrader"]["points"] = 100
    nb.cell(submission, "normaliza").metadata["nbgrader"]["grade"] = True
    found = {(f.kind, f.cell): f for f in _findings(submission, source, release)}
    assert "(points)" in found[("edited-metadata", "teste_conta_palavras")].message
    assert "(grade)" in found[("edited-metadata", "normaliza")].message


def test_duplicated_and_invented_grade_ids_are_named(source, release) -> None:
    submission = nb.correct(release)
    submission.cells.append(copy.deepcopy(nb.cell(submission, "normaliza")))
    invented = copy.deepcopy(nb.cell(submission, "teste_normaliza"))
    invented.metadata["nbgrader"]["grade_id"] = "teste_bonus"
    submission.cells.append(invented)
    kinds = {(f.kind, f.cell) for f in _findings(submission, source, release)}
    assert ("duplicate-cell", "normaliza") in kinds
    assert ("unknown-grade-cell", "teste_bonus") in kinds


def test_the_scan_reads_the_students_cells_only(source, release) -> None:
    """Instructor code (even with gc or signal) is not flagged; code in a test cell never ran."""
    nb.cell(source, "importacoes").source = "import gc\ngc.get_objects()"
    nb.cell(release, "importacoes").source = "import gc\ngc.get_objects()"
    submission = nb.correct(release)
    nb.cell(submission, "teste_conta_palavras").source = "import ctypes"
    kinds = {f.kind for f in _findings(submission, source, release)}
    assert kinds == {"edited-test-cell"}


def test_hostile_submissions_are_flagged_in_the_cell_they_touch(source, release) -> None:
    cases = {
        nb.always_equal_wins: ("always-equal", "conta_palavras"),
        nb.hides_tracebacks: ("traceback-override", "normaliza"),
        nb.input_transformer: ("input-transformer", "normaliza"),
        nb.kills_own_kernel: ("signals", "conta_palavras"),
        nb.sigint_ignoring_loop: ("signals", "conta_palavras"),
    }
    for build, expected in cases.items():
        found = {(f.kind, f.cell) for f in _findings(build(release), source, release)}
        assert expected in found, build.__name__
