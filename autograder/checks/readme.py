"""README quality: the five sections, length, links, and what makes it reproducible.

A section counts when a *heading* (Markdown ``#``, or a setext/reStructuredText underline)
contains one of its keywords from ``params.sections`` (accents and case ignored, whole words):
a sentence that merely mentions "dados" is not a section. Words are counted outside fenced
code blocks (commands are not explanation); links are distinct Markdown link targets and
bare URLs.

Levels (fractions of the criterion):

- 1.0: everything of 0.8, plus an architecture diagram (a Mermaid block, an image named
  like a diagram, or an image or a code block with arrows in the architecture section),
  commands in a code block in the "how to run" section and a discussion of limitations;
- 0.8: the five sections, at least ``min_words`` words and ``min_links`` links, and at least one
  command (code) in the "how to run" section;
- 0.5: one or two sections missing, or too short, without links or without commands;
- 0.0: no README, an empty one, or three or more sections missing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from autograder.checks import repofiles
from autograder.checks.base import CheckContext, CheckOutcome

FENCE = re.compile(r"^\s*(```|~~~)")
ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
UNDERLINE = re.compile(r"^\s*(=+|-+|~+|\^+|\*+)\s*$")
MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)")
BARE_URL = re.compile(r"https?://[^\s)>\]\"'`]+")
INLINE_CODE = re.compile(r"`[^`\n]+`")
ARROWS = re.compile(r"-->|->|=>|→|▶|──|\|\s*$|<-")
LIMITATIONS = re.compile(r"\b(limitac\w*|limites do projeto|limitations?|trabalhos? futuros?)\b")
WORD = re.compile(r"\w+")


def _normal(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


@dataclass
class Section:
    heading: str
    lines: list[str] = field(default_factory=list)  # body lines, fences included

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Parsed:
    sections: list[Section]
    prose_words: int
    links: set[str]


def parse(text: str) -> Parsed:
    """Split a README into sections by heading and count prose words and links."""
    sections = [Section(heading="")]
    lines = text.splitlines()
    in_fence = False
    words = 0
    links: set[str] = set()
    for index, line in enumerate(lines):
        if FENCE.match(line):
            in_fence = not in_fence
            sections[-1].lines.append(line)
            continue
        if not in_fence:
            heading = ATX_HEADING.match(line)
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if heading:
                sections.append(Section(heading=heading.group(2)))
                continue
            if line.strip() and UNDERLINE.match(following) and not UNDERLINE.match(line):
                sections.append(Section(heading=line.strip()))
                continue
            if UNDERLINE.match(line) and index and sections[-1].heading == lines[index - 1].strip():
                continue
            words += len(WORD.findall(line))
            links.update(MD_LINK.findall(line))
            links.update(url.rstrip(".,;:") for url in BARE_URL.findall(line))
        sections[-1].lines.append(line)
    return Parsed(sections=sections, prose_words=words, links=links)


def _find_sections(parsed: Parsed, wanted: dict[str, list[str]]) -> dict[str, Section | None]:
    found: dict[str, Section | None] = {}
    for key, keywords in wanted.items():
        patterns = [re.compile(rf"\b{re.escape(_normal(word))}\b") for word in keywords]
        found[key] = next(
            (
                section
                for section in parsed.sections[1:]
                if any(pattern.search(_normal(section.heading)) for pattern in patterns)
            ),
            None,
        )
    return found


def _section_by_hint(found: dict[str, Section | None], hint: str) -> Section | None:
    """The section whose key contains ``hint`` (``arquitetura``, ``executar``)."""
    return next((section for key, section in found.items() if hint in key and section), None)


def _has_diagram(readme: str, architecture: Section | None) -> bool:
    """A Mermaid block, an image named like a diagram (not a CI badge), or, in the
    architecture section, any image or a code block drawn with arrows."""
    if re.search(r"```\s*mermaid", readme, re.IGNORECASE):
        return True
    if re.search(
        r"!\[[^\]]*\]\([^)]*(arquitet|architect|diagram)[^)]*\)"
        r"|!\[[^\]]*(arquitet|architect|diagram)[^\]]*\]",
        _normal(readme),
    ):
        return True
    if architecture is None:
        return False
    if re.search(r"!\[[^\]]*\]\([^)]+\)|<img\b", architecture.text):
        return True
    inside, blocks = False, []
    for line in architecture.lines:
        if FENCE.match(line):
            inside = not inside
            continue
        if inside:
            blocks.append(line)
    return sum(bool(ARROWS.search(line)) for line in blocks) >= 1


def _has_commands(section: Section | None) -> tuple[bool, bool]:
    """(any command at all, a fenced code block) in the "how to run" section."""
    if section is None:
        return False, False
    fenced = any(FENCE.match(line) for line in section.lines)
    return fenced or bool(INLINE_CODE.search(section.text)), fenced


def check(context: CheckContext) -> CheckOutcome:
    params = context.params
    wanted: dict[str, list[str]] = params.get("sections", {})
    min_words = int(params.get("min_words", 0))
    min_links = int(params.get("min_links", 0))
    path = repofiles.find_readme(context.repo)
    if path is None:
        return CheckOutcome(
            0.0,
            (
                "Nenhum README encontrado na raiz do repositório. Para pontuar, crie um README.md "
                f"com as seções {', '.join(_label(key) for key in wanted)}, pelo menos "
                f"{min_words} palavras e {repofiles.plural(min_links, 'link')}."
            ),
            ["README ausente"],
        )
    name = repofiles.relative(context.repo, path)
    text = repofiles.read_text(path)
    if text is None:
        return CheckOutcome(
            0.0,
            (
                f"{name} não pôde ser lido (arquivo binário ou maior que "
                f"{repofiles.MAX_FILE_BYTES // 1_000_000} MB). Escreva o README em texto "
                "(Markdown) com as seções pedidas."
            ),
            [name],
        )

    parsed = parse(text)
    found = _find_sections(parsed, wanted)
    present = [key for key, section in found.items() if section]
    missing = [key for key, section in found.items() if not section]
    run_section = _section_by_hint(found, "execut") or _section_by_hint(found, "run")
    any_command, fenced = _has_commands(run_section)
    diagram = _has_diagram(
        text, _section_by_hint(found, "arquitet") or _section_by_hint(found, "architect")
    )
    limitations = bool(LIMITATIONS.search(_normal(text)))

    evidence = [
        name,
        f"seções: {len(present)}/{len(wanted)}",
        f"palavras: {parsed.prose_words}",
        f"links: {len(parsed.links)}",
    ]
    evidence += [
        f"seção {_label(key)}: '{section.heading}'" for key, section in found.items() if section
    ]
    facts = [
        (
            f"seções encontradas: {', '.join(_label(key) for key in present)}"
            if present
            else "nenhuma das seções pedidas foi encontrada nos títulos"
        ),
        f"{parsed.prose_words} palavras fora de blocos de código (mínimo {min_words})",
        f"{repofiles.plural(len(parsed.links), 'link')} (mínimo {min_links})",
    ]
    if missing:
        facts.append("faltam: " + ", ".join(_label(key) for key in missing))

    gaps = []
    if missing:
        gaps.append(
            "acrescente as seções "
            + ", ".join(_label(key) for key in missing)
            + " (um título Markdown para cada, p.ex. `## Objetivo`)"
        )
    if parsed.prose_words < min_words:
        gaps.append(
            f"desenvolva o texto até pelo menos {min_words} palavras "
            f"(faltam {min_words - parsed.prose_words})"
        )
    if len(parsed.links) < min_links:
        gaps.append(
            f"inclua pelo menos {repofiles.plural(min_links, 'link')} "
            "(p.ex. para a fonte dos dados)"
        )
    if not any_command:
        gaps.append("coloque na seção de execução os comandos exatos, em bloco de código")
    if parsed.prose_words == 0 or len(missing) >= 3:
        fraction = 0.0
    elif gaps:
        fraction = 0.5
    else:
        if not diagram:
            gaps.append(
                "acrescente um diagrama de arquitetura (imagem, Mermaid ou desenho "
                "em bloco de código)"
            )
        if not fenced:
            gaps.append("ponha os comandos de execução em bloco de código")
        if not limitations:
            gaps.append("discuta as limitações do projeto")
        fraction = 0.8 if gaps else 1.0
    todo = "; ".join(gaps)
    if diagram:
        facts.append("diagrama de arquitetura presente")
    if limitations:
        facts.append("limitações discutidas")

    justification = f"{name}: " + "; ".join(facts) + "."
    if todo:
        justification += f" Para subir de nível: {todo}."
    else:
        justification += " Nível máximo desta verificação."
    return CheckOutcome(fraction, justification, evidence)
