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
"""

from __future__ import annotations

from typing import Any

from autograder.checks.base import CheckContext, CheckOutcome

FRAMEWORK_NAMES = {"fastapi": "FastAPI", "flask": "Flask"}
LOG_LINES = 5


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
    framework = FRAMEWORK_NAMES.get(str(app.get("framework")), str(app.get("framework")))
    factory = "()" if app.get("factory") else ""
    return f"API {framework} em {app.get('file')} ({app.get('attribute')}{factory})"


def check(context: CheckContext) -> CheckOutcome:
    serving = context.run.get("serving")
    if not isinstance(serving, dict):
        reason = context.run.get("reason") or "o projeto não foi executado no sandbox"
        return CheckOutcome(0.0, f"A API não foi testada: {reason}.", ["API não testada"])
    if not serving.get("found"):
        reason = serving.get("reason") or "nenhuma aplicação FastAPI ou Flask encontrada"
        text = (
            f"Sem API: {reason} (procurado `app = FastAPI(...)`, `Flask(__name__)` ou uma "
            "função create_app)."
        )
        return CheckOutcome(0.0, text, ["nenhuma app FastAPI/Flask"])
    name = _app_name(serving)
    evidence = [f"app: {(serving.get('app') or {}).get('file')}"]
    if not serving.get("started"):
        reason = serving.get("reason") or "a API não subiu"
        tail = _log_tail(serving)
        text = f"{name} não subiu: {reason}."
        if tail:
            text += f" Últimas linhas do log: {tail}"
            evidence.append(f"log: {tail[-300:]}")
        return CheckOutcome(0.0, text, evidence)

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
            _sentence(text, ["nem o health check nem o predict responderam com sucesso", *notes]),
            evidence,
        )
    if not (health_ok and predict_ok):
        return CheckOutcome(
            0.5, _sentence(text, ["só parte dos endpoints funciona", *notes]), evidence
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
    return CheckOutcome(fraction, _sentence(text, notes), evidence)


def _sentence(text: str, notes: list[str]) -> str:
    if not notes:
        return text + "."
    joined = "; ".join(notes)
    return f"{text}. {joined[:1].upper()}{joined[1:]}."
