"""The static scan of one cell (autograder/tamper/scan.py and rules.py): host side, no
Docker."""

from __future__ import annotations

import pytest

from autograder.tamper import scan

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
    kinds = {hit.kind for hit in scan.scan_source(code)}
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
    assert scan.scan_source(code) == []


def test_a_finding_names_the_line_and_the_excerpt() -> None:
    code = "x = 1\n\nget_ipython().showtraceback = lambda *a: None\n"
    [hit] = scan.scan_source(code)
    assert hit.line == 3
    assert hit.excerpt == "get_ipython().showtraceback = lambda *a: None"
    assert "esconder os erros dos testes" in hit.message


def test_ipython_magics_do_not_hide_code_from_the_scan() -> None:
    code = "%load_ext autoreload\n!pip list\nsaida = !ls\nimport sys\nsys.settrace(f)"
    [hit] = scan.scan_source(code)
    assert (hit.kind, hit.line) == ("trace", 5)


def test_a_cell_that_does_not_parse_is_scanned_with_regular_expressions() -> None:
    code = "%%bash\necho oi\ndef quebrado(:\n    get_ipython().input_transformers_post.append(f)"
    kinds = {(hit.kind, hit.line) for hit in scan.scan_source(code)}
    assert ("input-transformer", 4) in kinds


def test_a_line_is_reported_once_per_kind() -> None:
    code = "setattr(get_ipython(), 'showtraceback', f); setattr(get_ipython(), 'showtraceback', g)"
    hits = scan.scan_source(code)
    assert [hit.kind for hit in hits] == ["traceback-override"]
