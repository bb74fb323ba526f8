"""README quality: the five sections, length, links, and what makes it reproducible.

A section counts when a *heading* (Markdown ``#``, a setext/reStructuredText underline, or an
HTML ``<h2>``) says what the section is by one of its names in ``params.sections``, Portuguese
or English (``como_executar``: "Como executar", "Instalação", "Setup", "Getting started"...):
a sentence that merely mentions "dados" is not a section. Headings are compared as words
(:func:`heading_words`): Markdown links, emphasis and code, emoji and symbols, numbering
("3.", "1)", "III.", "Step 2:"), punctuation, accents and case do not matter; a name of
several words matches only as that phrase, and a plural matches its singular ("Results" is
"Result", "Métricas" is "Métrica"), but "data" never matches "update". Each section takes the
heading its names cover best (:func:`assign_sections`); a heading serves two sections ("Data &
Architecture") only when one of them has no heading of its own. The justification quotes the
heading each section was found under.

A section's text runs to the next heading of the same or a higher level, so the commands under
"### 1) Installation" belong to "## Setup". Words are counted outside fenced code blocks
(commands are not explanation); links are distinct Markdown link targets and bare URLs.

Levels (fractions of the criterion):

- 1.0: everything of 0.8, plus an architecture diagram (a Mermaid block, an image named
  like a diagram, or an image or a code block with arrows in the architecture section),
  commands in a code block in the "how to run" section and a discussion of limitations
  ("Limitações", "Limitations", "Known issues", "Future work", "Trabalhos futuros"...);
- 0.8: the five sections, at least ``min_words`` words and ``min_links`` links, and at least one
  command (code) in the "how to run" section;
- 0.5: one or two sections missing, or too short, without links or without commands;
- 0.0: no README, an empty one, or three or more sections missing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from autograder.checks import repofiles
from autograder.checks.base import CheckContext, CheckOutcome

FENCE = re.compile(r"^\s*(```|~~~)")
ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_HEADING = re.compile(r"^\s*<h([1-6])\b[^>]*>(.*?)</h\1>\s*$", re.IGNORECASE)
UNDERLINE = re.compile(r"^\s*(=+|-+|~+|\^+|\*+)\s*$")
MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)")
BARE_URL = re.compile(r"https?://[^\s)>\]\"'`]+")
INLINE_CODE = re.compile(r"`[^`\n]+`")
ARROWS = re.compile(r"-->|->|=>|→|▶|──|\|\s*$|<-")
LIMITATIONS = re.compile(
    r"\b(limitac\w*|limites do projeto|limitations?|known (issues?|limitations?|problems?)"
    r"|problemas conhecidos|caveats?|future (work|improvements?)|trabalhos? futuros?"
    r"|melhorias futuras|shortcomings?)\b"
)
WORD = re.compile(r"\w+")

# What a heading's words are stripped of, in order (see heading_words).
MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")  # an icon or a badge is not a word
MD_LINK_TEXT = re.compile(r"\[([^\]]*)\]\([^)]*\)")
HTML_TAG = re.compile(r"<[^>]*>")
ANCHOR = re.compile(r"\s*\{#[^}]*\}\s*$")
EMPHASIS = re.compile(r"\*+|~~|`+|(?<!\w)_+|_+(?!\w)")
NUMBERING = re.compile(  # "3.", "2.1", "Step 2:", "IV." (roman up to 39), "a)"
    r"^(?:(?:step|passo|etapa|parte?|phase|fase)\s*\d+\b|\d+(?:\.\d+)*\b"
    r"|(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3})[.)]|[a-z]\))[\s.):\-]*"
)
MAX_QUOTED = 60  # characters of a heading quoted in the justification


def _normal(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def display_heading(raw: str) -> str:
    """The heading as a reader sees it: Markdown and HTML markup gone, emoji and numbers kept."""
    text = MD_IMAGE.sub("", raw)
    text = MD_LINK_TEXT.sub(r"\1", text)
    text = ANCHOR.sub("", HTML_TAG.sub("", text))
    return " ".join(EMPHASIS.sub("", text).split())


def _stem(word: str) -> str:
    """Singular of a plural, roughly: "results" -> "result", "instalacoes" -> "instalacao"."""
    if len(word) > 4 and word.endswith("oes"):
        return word[:-3] + "ao"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# Words that say nothing about which section a heading is (they do not dilute its match).
FILLER = frozenset(
    _stem(word)
    for word in (
        *("a", "o", "as", "os", "e", "de", "do", "da", "dos", "das", "em", "no", "na", "nos"),
        *("nas", "um", "uma", "para", "por", "com", "ao", "aos", "meu", "minha", "nosso"),
        *("nossa", "seu", "sua", "projeto", "the", "and", "of", "to", "for", "in", "on"),
        *("with", "an", "our", "my", "your", "this", "project", "instructions", "instrucoes"),
        *("guide", "guia", "details", "detalhes", "section", "secao"),
    )
)


def heading_words(raw: str) -> list[str]:
    """A heading as the words that say what it is (see the module docstring)."""
    text = _normal(display_heading(raw)).replace("_", " ")
    text = "".join(
        char if char.isalnum() or char.isspace() or char in ".):-" else " " for char in text
    ).strip()
    while match := NUMBERING.match(text):  # every alternative eats at least one character
        text = text[match.end() :].lstrip()
    return [_stem(word) for word in re.findall(r"[^\W_]+", text)]


def _phrase(name: str) -> list[str]:
    return [_stem(word) for word in re.findall(r"[^\W_]+", _normal(name))]


def _covered(words: list[str], names: list[list[str]]) -> set[int]:
    """Positions of ``words`` that some name (a phrase of words) covers, as a whole phrase."""
    covered: set[int] = set()
    for name in names:
        for start in range(len(words) - len(name) + 1) if name else ():
            if words[start : start + len(name)] == name:
                covered.update(range(start, start + len(name)))
    return covered


@dataclass
class Section:
    heading: str
    level: int = 0  # 1 for "#", 2 for "##"...; 0 for the text before the first heading
    lines: list[str] = field(default_factory=list)  # body lines, fences included

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Parsed:
    sections: list[Section]
    prose_words: int
    links: set[str]

    def scope(self, index: int) -> list[str]:
        """The lines of section ``index`` and of its subsections (deeper headings)."""
        level = self.sections[index].level
        lines = list(self.sections[index].lines)
        for section in self.sections[index + 1 :]:
            if section.level <= level:
                break
            lines += section.lines
        return lines


def _heading(line: str, following: str) -> tuple[int, str] | None:
    if match := ATX_HEADING.match(line):
        return len(match.group(1)), match.group(2)
    if match := HTML_HEADING.match(line):
        return int(match.group(1)), match.group(2)
    if line.strip() and UNDERLINE.match(following) and not UNDERLINE.match(line):
        return (1 if following.strip().startswith("=") else 2), line.strip()
    return None


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
            following = lines[index + 1] if index + 1 < len(lines) else ""
            heading = _heading(line, following)
            if heading:
                sections.append(Section(heading=heading[1], level=heading[0]))
                continue
            if UNDERLINE.match(line) and index and sections[-1].heading == lines[index - 1].strip():
                continue
            words += len(WORD.findall(line))
            links.update(MD_LINK.findall(line))
            links.update(url.rstrip(".,;:") for url in BARE_URL.findall(line))
        sections[-1].lines.append(line)
    return Parsed(sections=sections, prose_words=words, links=links)


def assign_sections(headings: list[str], wanted: dict[str, list[str]]) -> dict[str, int | None]:
    """Which heading (index into ``headings``) each wanted section was found under.

    A heading is a candidate for a section when one of the section's names appears in it; its
    score is the share of the heading's meaningful words (``FILLER`` left out) that the
    section's names cover, so "Results & Metrics" is wholly Resultados and "MLflow runs" only
    half anything. Sections take candidates best score first (then the earlier heading, then
    the rubric's order), one heading each; a section left without a heading of its own then
    shares its best candidate. The same README always gives the same assignment.
    """
    words = [heading_words(heading) for heading in headings]
    candidates: list[tuple[float, int, int, str]] = []
    for order, (key, names) in enumerate(wanted.items()):
        phrases = [_phrase(name) for name in names]
        for index, heading in enumerate(words):
            covered = _covered(heading, phrases)
            if not covered:
                continue
            meaningful = [at for at, word in enumerate(heading) if word not in FILLER]
            score = len(covered.intersection(meaningful)) / len(meaningful) if meaningful else 1.0
            candidates.append((-score, index, order, key))
    candidates.sort()
    found: dict[str, int | None] = dict.fromkeys(wanted)
    used: set[int] = set()
    for _score, index, _order, key in candidates:
        if found[key] is None and index not in used:
            found[key] = index
            used.add(index)
    for _score, index, _order, key in candidates:
        if found[key] is None:
            found[key] = index
    return found


def _found_as(key: str, heading: str) -> str:
    """``Como executar ("⚙️ 3. Setup")``; just ``Dados`` when the heading is the label itself."""
    shown = display_heading(heading).replace('"', "'")
    if _normal(shown) == _normal(_label(key)):
        return _label(key)
    quoted = f"{shown[: MAX_QUOTED - 1]}…" if len(shown) > MAX_QUOTED else shown
    return f'{_label(key)} ("{quoted}")'


def _scope_by_hint(parsed: Parsed, found: dict[str, int | None], hint: str) -> list[str] | None:
    """The lines of the section whose key contains ``hint`` (``arquitet``, ``execut``)."""
    index = next((at for key, at in found.items() if hint in key and at is not None), None)
    return parsed.scope(index + 1) if index is not None else None  # sections[0]: no heading


def _has_diagram(readme: str, architecture: list[str] | None) -> bool:
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
    if re.search(r"!\[[^\]]*\]\([^)]+\)|<img\b", "\n".join(architecture)):
        return True
    inside, blocks = False, []
    for line in architecture:
        if FENCE.match(line):
            inside = not inside
            continue
        if inside:
            blocks.append(line)
    return sum(bool(ARROWS.search(line)) for line in blocks) >= 1


def _has_commands(lines: list[str] | None) -> tuple[bool, bool]:
    """(any command at all, a fenced code block) in the "how to run" section."""
    if lines is None:
        return False, False
    fenced = any(FENCE.match(line) for line in lines)
    return fenced or bool(INLINE_CODE.search("\n".join(lines))), fenced


def _wanted_sections(sections: Any) -> dict[str, list[str]]:
    """``params.sections`` as key -> names; a rubric of another shape is our bug (ValueError,
    so ``run_criterion`` leaves the criterion to the instructors), never a student's grade: a
    bare string would be read letter by letter and match every heading."""
    if not isinstance(sections, dict) or not all(
        isinstance(names, list) and names and all(isinstance(n, str) and n.strip() for n in names)
        for names in sections.values()
    ):
        raise ValueError("readme: params.sections must map each section to a list of names")
    return {str(key): names for key, names in sections.items()}


def _without_title(parsed: Parsed, headings: list[str]) -> list[str]:
    """The headings to match, the document's title left out: a first ``#`` heading above
    ``##`` sections names the project ("# ML Model Deployment as a REST API"), it is not one
    of the sections (indices are kept, so the title is blanked, not removed)."""
    sections = parsed.sections[1:]
    if len(sections) > 1 and sections[0].level == 1 and any(s.level > 1 for s in sections[1:]):
        return ["", *headings[1:]]
    return headings


def check(context: CheckContext) -> CheckOutcome:
    params = context.params
    wanted = _wanted_sections(params.get("sections", {}))
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
    headings = [section.heading for section in parsed.sections[1:]]
    found = assign_sections(_without_title(parsed, headings), wanted)
    present = [key for key, index in found.items() if index is not None]
    missing = [key for key, index in found.items() if index is None]
    run_lines = _scope_by_hint(parsed, found, "execut") or _scope_by_hint(parsed, found, "run")
    any_command, fenced = _has_commands(run_lines)
    diagram = _has_diagram(
        text,
        _scope_by_hint(parsed, found, "arquitet") or _scope_by_hint(parsed, found, "architect"),
    )
    limitations = bool(LIMITATIONS.search(_normal(text)))

    evidence = [
        name,
        f"seções: {len(present)}/{len(wanted)}",
        f"palavras: {parsed.prose_words}",
        f"links: {len(parsed.links)}",
    ]
    evidence += [
        f"seção {_label(key)}: '{display_heading(headings[index])}'"
        for key, index in found.items()
        if index is not None
    ]
    facts = [
        (
            "seções encontradas: "
            + ", ".join(
                _found_as(key, headings[index])
                for key in present
                if (index := found[key]) is not None
            )
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
