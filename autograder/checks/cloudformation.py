"""The infrastructure-as-code criterion (rubric check ``packaging``, ``params.part:
cloudformation``).

Templates are the files matching ``params.template_globs`` that look like CloudFormation
(``AWSTemplateFormatVersion``, or ``Resources`` with ``AWS::`` types). Copies of them (never
the checkout itself, which may hold a ``.cfnlintrc``) are validated by cfn-lint in a
subprocess with a timeout. 0.8: at most ``params.max_cfn_lint_errors`` errors; 1.0: plus
``Parameters``, ``Outputs``, tags on resources and deploy/removal commands in the README.
0.5: validation errors. 0.0: no template. If cfn-lint itself cannot run, the check raises
:class:`CfnLintUnavailable` and ``checks.run_criterion`` leaves the criterion to the
instructors (see there why that is not retried).
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from autograder.checks import repofiles
from autograder.checks.base import CheckContext, CheckOutcome, leveled
from autograder.checks.tools import ToolUnavailable, run_json_tool

CFN_LINT_TIMEOUT_SECONDS = 180
MAX_TEMPLATES = 20
MAX_LISTED = 8


class CfnLintUnavailable(ToolUnavailable):
    """cfn-lint could not run: ours to fix, never the student's grade."""


class _CfnLoader(yaml.SafeLoader):
    """safe_load that accepts CloudFormation's short tags (!Ref, !Sub...) as plain values."""


def _plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    raise yaml.constructor.ConstructorError(
        None, None, f"unexpected {type(node).__name__}", node.start_mark
    )


_CfnLoader.add_multi_constructor("!", _plain)

CFN_MARKERS = re.compile(r"AWSTemplateFormatVersion|[\"']?Type[\"']?\s*:\s*[\"']?AWS::\w+::")


def load_template(name: str, text: str) -> dict[str, Any] | None:
    """The template as a dict (JSON, or YAML with short tags), None when it does not parse."""
    try:
        if name.endswith(".json"):
            document = json.loads(text)
        else:
            document = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 (a SafeLoader)
    except (ValueError, yaml.YAMLError):
        return None
    return document if isinstance(document, dict) else None


def find_templates(repo: Path, globs: list[str]) -> list[tuple[str, str]]:
    """(relative path, text) of the CloudFormation templates among files matching ``globs``."""
    templates = []
    for path in repofiles.walk(repo):
        name = repofiles.relative(repo, path)
        if name.startswith(".github/") or not repofiles.glob_match(name, globs):
            continue
        text = repofiles.read_text(path)
        if text and (
            ("AWSTemplateFormatVersion" in text)
            or ("Resources" in text and CFN_MARKERS.search(text))
        ):
            templates.append((name, text))
            if len(templates) >= MAX_TEMPLATES:
                break
    return templates


def run_cfn_lint(templates: list[tuple[str, str]], timeout: float) -> list[dict[str, Any]]:
    """cfn-lint's findings (JSON) for copies of the templates, in a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="cfn-lint-") as scratch:
        root = Path(scratch)
        names = []
        for index, (name, text) in enumerate(templates):
            copy = root / f"{index:02d}-{Path(name).name}"
            copy.write_text(text, encoding="utf-8")
            names.append(copy.name)
        command = [
            sys.executable,
            "-c",
            "import sys; from cfnlint.runner import main; sys.exit(main())",
            "--format",
            "json",
            "--",
            *names,
        ]
        findings = run_json_tool(
            command, cwd=root, timeout=timeout, name="cfn-lint", unavailable=CfnLintUnavailable
        )
    by_copy = {f"{index:02d}-{Path(name).name}": name for index, (name, _) in enumerate(templates)}
    for finding in findings:
        finding["Filename"] = by_copy.get(Path(finding.get("Filename", "")).name, "?")
    return findings


def check(context: CheckContext) -> CheckOutcome:
    params = context.params
    globs = params.get("template_globs", ["**/*.yaml", "**/*.yml", "**/*.json", "**/*.template"])
    allowed = int(params.get("max_cfn_lint_errors", 0))
    templates = find_templates(context.repo, globs)
    if not templates:
        return CheckOutcome(
            0.0,
            (
                "Nenhum template CloudFormation encontrado (arquivo YAML/JSON com "
                "AWSTemplateFormatVersion ou Resources com tipos AWS::). Para pontuar, crie p.ex. "
                "infra/cloudformation.yaml com os recursos do projeto, parâmetros e outputs, "
                "validado com cfn-lint."
            ),
            ["template ausente"],
        )
    findings = run_cfn_lint(
        templates, float(params.get("timeout_seconds", CFN_LINT_TIMEOUT_SECONDS))
    )
    errors = [item for item in findings if item.get("Level") == "Error"]
    warnings = [item for item in findings if item.get("Level") == "Warning"]

    def where(item: dict[str, Any]) -> str:
        line = item.get("Location", {}).get("Start", {}).get("LineNumber", "?")
        return f"{item['Filename']}:{line} {item.get('Rule', {}).get('Id', '?')}"

    evidence = [name for name, _ in templates] + [where(item) for item in errors[:MAX_LISTED]]
    parameters = outputs = tagged = 0
    resources = 0
    for name, text in templates:
        document = load_template(name, text) or {}
        parameters += len(document.get("Parameters") or {})
        outputs += len(document.get("Outputs") or {})
        for resource in (document.get("Resources") or {}).values():
            resources += 1
            if isinstance(resource, dict) and "Tags" in (resource.get("Properties") or {}):
                tagged += 1
    notes = [
        f"{repofiles.plural(len(templates), 'template')}: "
        + ", ".join(name for name, _ in templates[:MAX_LISTED]),
        f"cfn-lint: {repofiles.plural(len(errors), 'erro')} (máximo {allowed}) e "
        f"{repofiles.plural(len(warnings), 'aviso')}",
        f"{repofiles.plural(resources, 'recurso')}, "
        f"{repofiles.plural(parameters, 'parâmetro')}, {repofiles.plural(outputs, 'output')}, "
        f"{tagged} com tags",
    ]
    if errors:
        notes.append(
            "erros: "
            + "; ".join(
                f"{where(item)}: {str(item.get('Message', ''))[:160]}" for item in errors[:5]
            )
        )
    if len(errors) > allowed:
        return leveled(
            notes,
            [f"corrija os erros do cfn-lint (rode `cfn-lint {templates[0][0]}` localmente)"],
            0.5,
            evidence,
            capitalize=False,
        )
    readme = repofiles.readme_text(context.repo).lower()
    deploy = bool(
        re.search(r"cloudformation (deploy|create-stack)|sam deploy|create-stack", readme)
    )
    remove = bool(re.search(r"delete-stack|sam delete|cloudformation delete", readme))
    extras = []
    if not parameters:
        extras.append("parametrize o template (seção Parameters)")
    if not outputs:
        extras.append("exponha os valores úteis em Outputs")
    if not tagged:
        extras.append("marque os recursos com Tags")
    if not (deploy and remove):
        extras.append(
            "documente no README os comandos de deploy e de remoção da stack "
            "(aws cloudformation deploy / delete-stack)"
        )
    else:
        notes.append("README com comandos de deploy e remoção")
    return leveled(notes, extras, 0.8 if extras else 1.0, evidence, capitalize=False)
