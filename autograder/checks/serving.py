"""Criterion "Serving": the project's FastAPI/Flask app, started and probed in the sandbox.

Reads ``context.run["serving"]`` (``autograder/project_run.py`` documents its shape); never
starts anything itself. Levels of the rubric (params ``p95_ms_full``, ``p95_ms_partial``):

- 1.0: the app starts, health and predict answer 2xx, an invalid body gets 400/422 and the
  p95 latency of predict is below ``p95_ms_full``;
- 0.8: starts and answers health and predict, but the invalid body is accepted (or crashes
  the app), the p95 is at or above ``p95_ms_full``, or some timed requests failed;
- 0.5: the app starts but only one of health and predict works, or the p95 is above
  ``p95_ms_partial``;
- 0: no app found, it does not start, or neither endpoint works.

The justification then says where the app came from (the ``serve`` command of the project's
``projeto.yaml``, or discovery and the file it found), what that file's ``train`` step did
(``context.run["train"]``: command, time, exit code, files written; the end of its output
when it failed) and what in ``projeto.yaml`` was ignored (``autograder.project_contract``);
when no app was found, what was looked for, and that ``serve`` can be declared.
"""

from __future__ import annotations

import re
from typing import Any

from autograder.checks import LeftToInstructors, environment
from autograder.checks.base import CheckContext, CheckOutcome
from autograder.project_contract import Contract, read_contract

FRAMEWORK_NAMES = {"fastapi": "FastAPI", "flask": "Flask"}
LOG_LINES = 5
TRAIN_LINES = 3
NEW_FILES_SHOWN = 5
PROBLEMS_SHOWN = 5
MODEL_MISSING = re.compile(r"FileNotFoundError|No such file|\.joblib|\.pkl|\.pickle", re.I)
SUGGEST_CONTRACT = (
    "Para não depender da descoberta, crie um projeto.yaml na raiz com os comandos `train` "
    "e `serve` (por exemplo, `serve: uvicorn app.main:app --port 8000`)."
)
SUGGEST_SERVE = (
    "Declare no {file} o comando `serve` que inicia a API (por exemplo, "
    "`serve: uvicorn app.main:app --port 8000`)."
)
SUGGEST_TRAIN = (
    "Se a API carrega um modelo que não está no repositório, declare `train` e `serve` em um "
    "projeto.yaml: o corretor roda o treino antes de iniciar a API"
)


def number(value: float, digits: int = 1) -> str:
    """pt-BR decimal: 1,2."""
    return f"{value:.{digits}f}".replace(".", ",")


def _ok(status: Any) -> bool:
    return isinstance(status, int) and 200 <= status < 300


def _log_tail(serving: dict[str, Any]) -> str:
    lines = [line for line in str(serving.get("log_tail") or "").splitlines() if line.strip()]
    return " | ".join(line.strip()[:200] for line in lines[-LOG_LINES:])


def _app_name(serving: dict[str, Any]) -> str:
    app = serving.get("app") or {}
    if not app.get("file") and serving.get("mode") == "comando":
        return f"API na porta {serving.get('port')}"
    framework = FRAMEWORK_NAMES.get(str(app.get("framework")), str(app.get("framework")))
    factory = "()" if app.get("factory") else ""
    return f"API {framework} em {app.get('file')} ({app.get('attribute')}{factory})"


def check(context: CheckContext) -> CheckOutcome:
    serving = context.run.get("serving")
    if not isinstance(serving, dict):
        reason = context.run.get("reason") or "o projeto não foi executado no sandbox"
        return CheckOutcome(0.0, f"A API não foi testada: {reason}.", ["API não testada"])
    contract = read_contract(context.repo)
    after = _contract_notes(context, contract)  # the training, what projeto.yaml got wrong
    if not serving.get("found"):
        reason = serving.get("reason") or "nenhuma aplicação FastAPI ou Flask encontrada"
        if "procurado" not in reason:  # reports of runners older than the `tried` list
            reason += (
                " (procurado `app = FastAPI(...)`, `Flask(__name__)` ou uma função create_app)"
            )
        if contract is None:
            suggestion = SUGGEST_CONTRACT
        else:
            suggestion = SUGGEST_SERVE.format(file=contract.file)
        text = f"Sem API: {reason}. {suggestion}"
        evidence = ["nenhuma app FastAPI/Flask", *_train_evidence(context)]
        # Not where the app came from: the suggestion above already says what to declare.
        return CheckOutcome(0.0, _with(text, after), evidence)
    context_notes = [_source(serving, contract), *after]
    name = _app_name(serving)
    evidence = [f"app: {(serving.get('app') or {}).get('file') or serving.get('command')}"]
    evidence += _train_evidence(context)
    if not serving.get("started"):
        reason = serving.get("reason") or "a API não subiu"
        tail = _log_tail(serving)
        text = f"{name} não subiu: {reason}."
        if tail:
            text += f" Últimas linhas do log: {tail}"
            evidence.append(f"log: {tail[-300:]}")
        blocked = _blocked_by(str(serving.get("log_tail") or ""), context.run)
        if blocked:  # our environment, not the student's code: the instructors judge it
            raise LeftToInstructors(
                f"{text} A API depende de {blocked}, que a correção não pôde instalar; isso "
                "não conta como falha do projeto, e a banca vai corrigir este critério."
            )
        notes = list(context_notes)
        train = context.run.get("train")
        if (
            serving.get("source") == "descoberta"
            and not isinstance(train, dict)
            and MODEL_MISSING.search(tail)
        ):
            notes.append(SUGGEST_TRAIN)
        return CheckOutcome(0.0, _with(text, notes), evidence)

    p95_full = float(context.params.get("p95_ms_full", 200))
    p95_partial = float(context.params.get("p95_ms_partial", 1000))
    parts = [f"{name} subiu em {number(float(serving.get('startup_seconds') or 0))} s"]
    health = serving.get("health")
    if health:
        parts.append(f"GET {health['path']} {health['status']}")
    else:
        tried = serving.get("health_tried") or []
        statuses = (
            ", ".join(f"{t.get('path')} {t.get('status') or 'sem resposta'}" for t in tried)
            or "nenhum caminho respondeu"
        )
        parts.append(f"sem health check ({statuses})")
    predict = serving.get("predict") or {}
    predict_ok = _ok(predict.get("status"))
    if predict:
        status = predict.get("status") or "sem resposta"
        parts.append(f"POST {predict.get('path')} {status}")
    invalid = serving.get("invalid") or {}
    invalid_status = invalid.get("status")
    invalid_ok = invalid_status in (400, 422)
    if invalid:
        parts.append(f"entrada inválida {invalid_status or 'sem resposta'}")
    latency = serving.get("latency") or {}
    p95 = latency.get("p95_ms")
    if p95 is not None:
        timed = f"{latency.get('method')} {latency.get('path')}"
        parts.append(
            f"latência p50 {number(float(latency['p50_ms']))} ms, p95 "
            f"{number(float(p95))} ms em {latency.get('requests')} requisições "
            f"({timed})"
        )
    evidence += [part for part in parts[1:]]
    text = "; ".join(parts)

    health_ok = bool(health)
    notes = []
    if predict and not predict_ok:
        response = str(predict.get("response") or "")[:200]
        notes.append(
            f"o POST {predict.get('path')} com {predict.get('body_sent')} respondeu "
            f"{predict.get('status') or 'sem resposta'}" + (f": {response}" if response else "")
        )
    if predict_ok and "version" not in str(predict.get("response", "")).lower():
        notes.append("a resposta do predict não informa a versão do modelo")
    if not (health_ok or predict_ok):
        return CheckOutcome(
            0.0,
            _with(
                _sentence(
                    text, ["nem o health check nem o predict responderam com sucesso", *notes]
                ),
                context_notes,
            ),
            evidence,
        )
    if not (health_ok and predict_ok):
        return CheckOutcome(
            0.5,
            _with(_sentence(text, ["só parte dos endpoints funciona", *notes]), context_notes),
            evidence,
        )
    fraction = 1.0
    if not invalid_ok:
        fraction = 0.8
        what = (
            "um erro interno (500): a validação não trata o erro"
            if invalid_status == 500
            else f"{invalid_status or 'sem resposta'}, não 422/400"
        )
        notes.append(f"a entrada inválida {invalid.get('body_sent')} recebeu {what}")
    failures = int(latency.get("failures") or 0)
    if failures:
        fraction = min(fraction, 0.8)
        notes.append(f"{failures} das requisições medidas falharam")
    if p95 is None:
        fraction = min(fraction, 0.8)
        notes.append("latência não medida")
    elif p95 > p95_partial:
        fraction = 0.5
        notes.append(f"latência p95 acima de {number(p95_partial, 0)} ms")
    elif p95 >= p95_full:
        fraction = min(fraction, 0.8)
        notes.append(f"latência p95 acima da meta de {number(p95_full, 0)} ms")
    wanted = int(context.params.get("requests") or 0)
    if p95 is not None and wanted and int(latency.get("requests") or 0) < wanted:
        notes.append(f"só {latency.get('requests')} das {wanted} requisições couberam no tempo")
    return CheckOutcome(fraction, _with(_sentence(text, notes), context_notes), evidence)


def _blocked_by(log: str, run: dict[str, Any]) -> str:
    """The uninstallable requirement (with its reason) the app's log says it failed on."""
    blocked = environment.not_installable(run)
    for module in re.findall(r"No module named '([A-Za-z_]\w*)", log):
        if module in blocked:
            return blocked[module]
    return ""


def _sentence(text: str, notes: list[str]) -> str:
    if not notes:
        return text + "."
    joined = "; ".join(notes)
    return f"{text}. {joined[:1].upper()}{joined[1:]}."


def _with(text: str, notes: list[str]) -> str:
    """``text`` followed by whole sentences (each note capitalized, with its period)."""
    sentences = [note[:1].upper() + note[1:] for note in notes if note]
    sentences = [note if note.endswith((".", "!", "?")) else note + "." for note in sentences]
    if sentences and not text.endswith((".", "!", "?")):
        text += "."  # a quoted log tail ends without one
    return " ".join([text, *sentences])


def _contract_notes(context: CheckContext, contract: Contract | None) -> list[str]:
    """What the training did, and what was wrong in projeto.yaml."""
    notes = []
    train = context.run.get("train")
    if isinstance(train, dict):
        notes.append(_train(train))
    if contract is not None and contract.problems:
        shown = "; ".join(contract.problems[:PROBLEMS_SHOWN])
        notes.append(f"problemas no {contract.file}, ignorados na correção: {shown}")
    return [note for note in notes if note]


def _source(serving: dict[str, Any], contract: Contract | None) -> str:
    command = str(serving.get("command") or "")
    if serving.get("source") == "projeto.yaml":
        text = f"API iniciada pelo comando `serve` do projeto.yaml: `{command[:200]}`"
        if serving.get("mode") == "declarado" and serving.get("served_with"):
            text += f" (servida pelo corretor como `{serving['served_with']}`)"
        elif serving.get("mode") == "comando":
            text += f", testada na porta {serving.get('port')}"
        return text
    if serving.get("source") == "descoberta":
        # A projeto.yaml that declares only `train` or `test` still leaves the API to discovery.
        without = "sem projeto.yaml" if contract is None else f"sem `serve` no {contract.file}"
        app = serving.get("app") or {}
        if app.get("file"):
            return f"{without}: app encontrado por descoberta em {app['file']}"
        return f"{without}: o app foi procurado por descoberta"
    return ""  # a report from before the contract existed


def _train(train: dict[str, Any]) -> str:
    command = f"`{str(train.get('command') or '')[:200]}`"
    if not train.get("ran"):
        return f"o treino do projeto.yaml ({command}) não rodou: {train.get('reason') or '?'}"
    seconds = number(float(train.get("seconds") or 0))
    if train.get("exit_code") == 0:
        files = [str(name) for name in train.get("new_files") or []]
        total = int(train.get("new_files_total") or len(files))
        made = ", ".join(files[:NEW_FILES_SHOWN])
        if total > NEW_FILES_SHOWN:
            made += f" e mais {total - NEW_FILES_SHOWN}"
        produced = f" e gerou {made}" if made else ", sem gerar arquivos no projeto"
        return (
            f"antes dos testes e da API, o treino ({command}, do projeto.yaml) rodou em "
            f"{seconds} s com código 0{produced}"
        )
    lines = [ln.strip() for ln in str(train.get("output_tail") or "").splitlines() if ln.strip()]
    tail = " | ".join(line[:200] for line in lines[-TRAIN_LINES:])
    what = train.get("reason") or f"o treino terminou com código {train.get('exit_code')}"
    text = f"o treino do projeto.yaml ({command}) falhou em {seconds} s: {what}"
    if tail:
        text += f" (fim da saída: {tail})"
    return text + "; a API provavelmente precisa do modelo que ele deveria gerar"


def _train_evidence(context: CheckContext) -> list[str]:
    train = context.run.get("train")
    if not isinstance(train, dict) or not train.get("ran"):
        return []
    seconds = number(float(train.get("seconds") or 0))
    evidence = [f"treino: código {train.get('exit_code')} em {seconds} s"]
    return evidence + [
        f"gerado: {name}" for name in (train.get("new_files") or [])[:NEW_FILES_SHOWN]
    ]
