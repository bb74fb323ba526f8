"""Every message the notebook grader shows, in pt-BR, under a stable id.

Students and instructors read these (per-cell justifications, summaries, tampering findings,
validation problems). The id is what code and stored results refer to; the text may be
reworded or translated (the portal can map ids to its i18n catalogue) without touching the
grader. Templates use ``str.format`` fields; :func:`text` fills them, writing a ``seconds``
field as a duration ("45 s", "2 min 5 s", "15 min"). A message that counts has a ``.one``
variant for 1 (pt-BR has no "(s)" plurals); :func:`counted` picks it.
"""

from __future__ import annotations

from dataclasses import dataclass

MESSAGES: dict[str, str] = {
    # -- one grade cell ---------------------------------------------------------------------
    "cell.passed": "o teste `{grade_id}` passou ({points} de {max_points})",
    "cell.partial": "o teste `{grade_id}` obteve {points} de {max_points}",
    "cell.failed": "o teste `{grade_id}` falhou: {error}",
    "cell.failed_stderr": (
        "o teste `{grade_id}` escreveu na saída de erro (stderr), o que o nbgrader conta como "
        "falha: {stderr}"
    ),
    "cell.failed_unknown": "o teste `{grade_id}` falhou (0 de {max_points})",
    "cell.timeout": "o teste `{grade_id}` excedeu o limite de tempo de {seconds} por célula",
    "cell.timeout_unresponsive": (
        "o teste `{grade_id}` excedeu o limite de tempo de {seconds} por célula e não atendeu "
        "à interrupção; o kernel foi encerrado"
    ),
    "cell.deadline": (
        "o teste `{grade_id}` foi interrompido: limite de tempo de {seconds} atingido"
    ),
    "cell.oom": "o teste `{grade_id}` falhou: memória esgotada (limite de {memory_mb} MB)",
    "cell.kernel_died": (
        "o teste `{grade_id}` falhou: o kernel foi encerrado{signal} durante o teste"
    ),
    "cell.not_run.deadline": (
        "o teste `{grade_id}` não foi executado: limite de tempo de {seconds} atingido"
    ),
    "cell.not_run.oom": (
        "o teste `{grade_id}` não foi executado: memória esgotada (limite de {memory_mb} MB) "
        "na célula {where}"
    ),
    "cell.not_run.kernel_died": (
        "o teste `{grade_id}` não foi executado: o kernel foi encerrado{signal} na célula {where}"
    ),
    "cell.not_run.unresponsive": (
        "o teste `{grade_id}` não foi executado: a célula {where} excedeu o limite de {seconds} "
        "por célula e não atendeu à interrupção"
    ),
    "cell.not_evaluated": (
        "o teste `{grade_id}` não foi avaliado: limite de tempo de {seconds} atingido antes do "
        "fim da correção"
    ),
    "cell.not_evaluated.oom": (
        "o teste `{grade_id}` não foi avaliado: memória esgotada (limite de {memory_mb} MB) "
        "antes do fim da correção"
    ),
    "cell.pids_hint": "limite de {pids} processos atingido",
    "cell.manual_pending": "a resposta `{grade_id}` aguarda correção manual ({max_points})",
    "cell.manual_blank": "a resposta `{grade_id}` não foi preenchida (0 de {max_points})",
    "cell.manual_graded": "a resposta `{grade_id}` recebeu {points} de {max_points}",
    # -- what happened in a cell (also cells that are not graded) ---------------------------
    "note.cell_timeout": "a célula {where} excedeu o limite de tempo de {seconds} por célula",
    "note.unresponsive": (
        "a célula {where} excedeu o limite de {seconds} por célula e não atendeu à interrupção: "
        "o kernel foi encerrado e as células seguintes não foram executadas"
    ),
    "note.oom": (
        "memória esgotada (limite de {memory_mb} MB) na célula {where}: o kernel foi encerrado e "
        "as células seguintes não foram executadas"
    ),
    "note.kernel_died": (
        "o kernel foi encerrado{signal} na célula {where}: as células seguintes não foram "
        "executadas"
    ),
    "note.deadline": (
        "limite de tempo de {seconds} atingido na célula {where}: as células seguintes não "
        "foram executadas"
    ),
    "note.pids": "a célula {where} atingiu o limite de {pids} processos",
    "note.child_oom": (
        "um processo criado pela célula {where} foi encerrado por falta de memória "
        "(limite de {memory_mb} MB)"
    ),
    "note.feedback_too_big": (
        "o notebook corrigido ficou grande demais e não foi guardado (limite de {mb} MB)"
    ),
    "note.feedback_failed": "o notebook corrigido não pôde ser gerado",
    "note.feedback_withheld": (
        "o notebook corrigido não é mostrado porque citaria testes ocultos; os instrutores o veem"
    ),
    "note.output_capped": "a saída do notebook foi cortada em {limit} bytes",
    "note.signal": " (sinal {number})",
    # -- the whole run ----------------------------------------------------------------------
    "summary.all_passed": "nota {total} de {max_total}: todos os testes automáticos passaram",
    "summary.failed": "nota {total} de {max_total}: {count} testes falharam ({ids})",
    "summary.failed.one": "nota {total} de {max_total}: o teste {ids} falhou",
    "summary.timeout": (
        "limite de tempo de {seconds} atingido: as células executadas foram avaliadas e as "
        "demais receberam 0 (nota {total} de {max_total})"
    ),
    "summary.timeout_no_scores": (
        "limite de tempo de {seconds} atingido antes do fim da correção: nenhuma célula pôde "
        "ser avaliada (nota 0 de {max_total})"
    ),
    "summary.oom": (
        "memória esgotada (limite de {memory_mb} MB): o kernel foi encerrado e as células "
        "seguintes receberam 0 (nota {total} de {max_total})"
    ),
    "summary.oom_no_scores": (
        "memória esgotada (limite de {memory_mb} MB) antes do fim da correção: nenhuma célula "
        "pôde ser avaliada (nota 0 de {max_total}); notebooks com dezenas de milhares de "
        "células ou saídas enormes também esgotam a memória do corretor"
    ),
    "summary.manual": "{count} respostas aguardam correção manual",
    "summary.manual.one": "1 resposta aguarda correção manual",
    # -- why a run has no scores through our fault (notebook_report.NotebookRunError) -------
    "error.no_result": "o corretor terminou sem arquivo de resultado ({detail})",
    "error.result_too_big": "o arquivo de resultado tem {size} bytes (limite {limit})",
    "error.result_malformed": "o arquivo de resultado é inválido: {detail}",
    "error.runner": "o nbgrader falhou dentro do sandbox: {detail}",
    # -- unusable input (status "invalid") --------------------------------------------------
    "invalid.too_big": "o notebook tem {size_mb} MB; o limite é {limit_mb} MB",
    "invalid.unreadable": "o arquivo não pôde ser lido: {detail}",
    "invalid.not_json": "o arquivo não é um notebook: não é JSON válido ({detail})",
    "invalid.not_nbformat4": "o notebook não está no formato nbformat 4 (encontrado: {found})",
    "invalid.schema": "o notebook não segue o formato nbformat 4: {detail}",
    "invalid.wrong_assignment": (
        "o notebook não é desta tarefa: nenhuma das células do nbgrader do original "
        "({ids}) foi encontrada"
    ),
    "invalid.source": "o notebook de origem não pode ser usado: {detail}",
    # -- tampering: the submission compared with the source ---------------------------------
    "tamper.deleted_test": (
        "a célula de teste `{cell}` foi apagada e restaurada a partir do original"
    ),
    "tamper.edited_test": (
        "a célula de teste `{cell}` foi editada e restaurada a partir do original"
    ),
    "tamper.deleted_locked": "a célula bloqueada `{cell}` foi apagada (o nbgrader não a restaura)",
    "tamper.edited_locked": (
        "a célula bloqueada `{cell}` foi editada e restaurada a partir do original"
    ),
    "tamper.deleted_answer": "a célula de resposta `{cell}` foi apagada e restaurada em branco",
    "tamper.metadata": (
        "os metadados do nbgrader da célula `{cell}` foram alterados ({fields}); valem os do "
        "original"
    ),
    "tamper.duplicate": "a célula `{cell}` aparece {count} vezes; só a primeira é avaliada",
    "tamper.unknown_cell": (
        "a célula `{cell}` se declara do nbgrader mas não existe no original; foi tratada como "
        "célula comum"
    ),
    # -- tampering: static scan of the student's code ---------------------------------------
    "scan.input_transformer": (
        "altera os transformadores de entrada do IPython (`{name}`): pode reescrever as células "
        "de teste antes de executá-las"
    ),
    "scan.ast_transformer": (
        "registra um transformador de AST do IPython (`{name}`): pode reescrever as células de "
        "teste"
    ),
    "scan.traceback_override": "substitui `{name}` do IPython: pode esconder os erros dos testes",
    "scan.custom_exc": (
        "instala um tratador de exceções do IPython (`{name}`): pode esconder os erros dos testes"
    ),
    "scan.ipython_events": (
        "registra um callback de eventos do IPython (`{name}`): pode agir antes ou depois de cada "
        "célula de teste"
    ),
    "scan.run_cell_override": (
        "substitui `{name}` do IPython: pode mudar como as células de teste são executadas"
    ),
    "scan.kernel_internals": (
        "acessa o kernel ou as mensagens do Jupyter (`{name}`): pode forjar o resultado de uma "
        "célula"
    ),
    "scan.sys_modules": "altera `sys.modules`: pode trocar módulos usados pelos testes",
    "scan.builtins": "altera `{name}`: pode trocar funções embutidas usadas pelos testes",
    "scan.builtin_shadow": (
        "redefine o nome embutido `{name}`: pode mudar o comportamento dos testes"
    ),
    "scan.trace": "instala um gancho do interpretador (`{name}`): pode interferir nos testes",
    "scan.signals": "usa `{name}`: pode interromper ou matar o kernel, ou ignorar interrupções",
    "scan.always_equal": (
        "define `{name}` que sempre devolve {value}: um objeto assim passa em qualquer "
        "comparação dos testes"
    ),
    "scan.eq_override": (
        "troca `__eq__` dinamicamente (`{name}`): verifique se a comparação não é sempre verdadeira"
    ),
    "scan.gc": "usa `{name}`: pode localizar e alterar objetos dos testes na memória",
    "scan.ctypes": "usa `{name}`: acesso direto à memória do processo",
    "scan.proc": "acessa `{name}`: informações de processos e do sistema fora do notebook",
    "scan.module_patch": (
        "substitui `{name}` de um módulo importado: pode trocar funções usadas pelos testes"
    ),
    "scan.frames": "manipula frames de execução (`{name}`): pode alterar variáveis dos testes",
    "scan.dynamic_code": (
        "executa código montado em tempo de execução (`{name}`): a verificação estática não vê "
        "o que roda"
    ),
    "scan.sensitive_string": (
        "menciona `{name}` num texto (uso indireto, p.ex. por setattr, getattr ou exec)"
    ),
    # -- validation of a source notebook ----------------------------------------------------
    "validate.no_grade_id": "célula do nbgrader sem `grade_id`",
    "validate.bad_grade_id": (
        "`grade_id` {grade_id!r} inválido: use só letras, números, `_` e `-`"
    ),
    "validate.duplicate_grade_id": "`grade_id` `{grade_id}` repetido ({count} células)",
    "validate.no_points": "a célula avaliada `{grade_id}` não define `points`",
    "validate.bad_points": "a célula avaliada `{grade_id}` tem `points` inválido: {points!r}",
    "validate.zero_points": "a célula avaliada `{grade_id}` vale 0 pontos",
    "validate.no_tests": "nenhuma célula de teste automático (código, `grade` sem `solution`)",
    "validate.markdown_grade_not_solution": (
        "a célula Markdown avaliada `{grade_id}` precisa ser também de solução (resposta manual)"
    ),
    "validate.markdown_solution_not_grade": (
        "a célula Markdown de solução `{grade_id}` precisa ser também avaliada"
    ),
    "validate.solution_outside": (
        "`### BEGIN SOLUTION` fora de uma célula de solução: a solução apareceria na versão do "
        "aluno"
    ),
    "validate.unbalanced_solution": "região `### BEGIN/END SOLUTION` aberta ou aninhada",
    "validate.no_solution_region": (
        "célula de solução sem `### BEGIN SOLUTION`: a célula inteira será substituída na versão "
        "do aluno"
    ),
    "validate.hidden_outside": (
        "`### BEGIN HIDDEN TESTS` fora de uma célula de teste: os testes ocultos apareceriam na "
        "versão do aluno"
    ),
    "validate.unbalanced_hidden": "região `### BEGIN/END HIDDEN TESTS` aberta ou aninhada",
    "validate.not_python": "o kernel do notebook não é Python ({language})",
    "validate.metadata_type": "metadados do nbgrader inválidos: {detail}",
}


@dataclass(frozen=True)
class Message:
    id: str
    text: str


def text(message_id: str, **params: object) -> str:
    seconds = params.get("seconds")
    if isinstance(seconds, int | float):
        params["seconds"] = duration(seconds)
    return MESSAGES[message_id].format(**params)


def message(message_id: str, **params: object) -> Message:
    return Message(message_id, text(message_id, **params))


def counted(message_id: str, count: int, **params: object) -> Message:
    """``message_id`` for ``count`` things: its ``.one`` text when there is one. The id stays
    ``message_id`` either way (it names the situation, not the grammar)."""
    chosen = f"{message_id}.one" if count == 1 and f"{message_id}.one" in MESSAGES else message_id
    return Message(message_id, text(chosen, count=count, **params))


def duration(seconds: float) -> str:
    """A limit as people read it: seconds below 90 s ("45 s", "2,5 s"), minutes from there
    ("2 min 5 s", "15 min")."""
    if seconds < 90:
        return f"{number(seconds)} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def points(value: float) -> str:
    """'1 ponto', '2 pontos', '0,5 ponto'."""
    return f"{number(value)} {'pontos' if abs(value) >= 2 or value == 0 else 'ponto'}"


def number(value: float) -> str:
    """A score as people write it in Portuguese: 2, 2,5, 0,33."""
    rounded = round(float(value), 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0").replace(".", ",")
