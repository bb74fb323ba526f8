"""The graded part of ``course.yaml``: notebook assignments and the final project.

Read with the rest of the course (:func:`load_course_content`), so a typo in a grade id, a
threshold out of order or a missing data file stops ``sync_course`` with file and line
before anything is written. Notebooks are checked here with the autograder's own validator
(no Docker); their release versions are built later, by the sync.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from autograder import validate as nbvalidate
from autograder.checks import CHECKS
from autograder.holdout import DEFAULT_KEY, DEFAULT_PREDICTIONS, HoldoutSpec, HoldoutSpecError
from portal.courses.content import CourseSpec, read_course_file
from portal.courses.yaml_reader import ContentError, Reader, inside, load_yaml, reject_duplicates
from portal.surveys.content import SurveySpec, read_survey

_ASSIGNMENT_KEYS = {
    "slug",
    "title",
    "week",
    "notebook",
    "data",
    "due",
    "hard_deadline",
    "late_policy",
    "release",
    "limits",
    "finalist_bonus",
    "criteria",
    "holdout",
    "min_minutes_between_attempts",
}
_PROJECT_KEYS = {
    "slug",
    "title",
    "week",
    "rubric",
    "due",
    "hard_deadline",
    "late_policy",
    "release",
    "limits",
    "min_minutes_between_attempts",
}
_WHEN_KEYS = {"day", "time"}
_LATE_KEYS = {"grace_minutes", "penalty_percent_per_day", "max_penalty_percent"}
_LIMIT_KEYS = {"memory_mb", "cpus", "wall_seconds", "cell_timeout_seconds", "max_upload_mb"}
_CRITERION_KEYS = {"key", "title", "grade_ids", "description"}
_HOLDOUT_KEYS = {
    "features",
    "labels",
    "metric",
    "points",
    "predictions",
    "id_column",
    "key",
    "title",
}
_BAND_KEYS = {"min", "max", "points"}
_RUBRIC_KEYS = {"title", "description", "criteria"}
_RUBRIC_CRITERION_KEYS = {
    "key",
    "title",
    "points",
    "description",
    "graded_by",
    "check",
    "params",
    "levels",
}
_LEVEL_KEYS = {"points", "description"}
RELEASE_MODES = ("auto", "manual")
GRADED_BY = ("check", "instructor")


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    title: str
    max_points: Decimal
    grade_ids: tuple[str, ...] = ()
    manual: bool = False
    description: str = ""
    levels: tuple[dict[str, Any], ...] = ()
    check: str = ""
    check_params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HoldoutContent:
    """A held-out set as declared; ``spec`` is what the autograder needs."""

    spec: HoldoutSpec
    title: str

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.spec.metric,
            "thresholds": [list(t) for t in self.spec.thresholds],
            "predictions": self.spec.predictions,
            "id_column": self.spec.id_column,
            "key": self.spec.key,
            "title": self.title,
        }


@dataclass(frozen=True)
class AssignmentSpec:
    slug: str
    title: str
    kind: str  # "notebook" | "project"
    order: int
    due_at: dt.datetime
    week: int | None = None
    notebook: Path | None = None
    data: tuple[Path, ...] = ()
    hard_deadline_at: dt.datetime | None = None
    late: dict[str, int] = field(default_factory=dict)
    release_mode: str = "auto"
    limits: dict[str, Any] = field(default_factory=dict)
    min_seconds_between_attempts: int = 0
    finalist_bonus: Decimal = Decimal(0)
    criteria: tuple[CriterionSpec, ...] = ()
    holdout: HoldoutContent | None = None

    @property
    def max_points(self) -> Decimal:
        return sum((c.max_points for c in self.criteria), Decimal(0))


@dataclass(frozen=True)
class CourseContent:
    """All of ``course_content/``: the course (``portal.courses.content``) and what is graded."""

    course: CourseSpec
    assignments: list[AssignmentSpec]
    survey: SurveySpec | None = None


def load_course_content(root: Path) -> CourseContent:
    """Parse ``root/course.yaml`` with its assessments; ContentError on any problem."""
    file = read_course_file(root)
    weeks = {week.number for week in file.spec.weeks}
    return CourseContent(
        course=file.spec,
        assignments=read_assignments(file.top, file.root, file.tz, file.spec.start_date, weeks),
        survey=read_survey(file.top, file.tz),
    )


def read_assignments(
    top: Reader, root: Path, tz: zoneinfo.ZoneInfo, start_date: dt.date, weeks: set[int]
) -> list[AssignmentSpec]:
    context = _Context(root, tz, start_date, weeks)
    specs = [
        _read_notebook(
            Reader(item, top.path, f"assignments[{index}]", _ASSIGNMENT_KEYS), context, index
        )
        for index, item in enumerate(top.sequence("assignments"))
    ]
    project = top.raw("final_project", required=False)
    if project is not None:
        specs.append(
            _read_project(
                Reader(project, top.path, "final_project", _PROJECT_KEYS), context, len(specs)
            )
        )
    reject_duplicates(top, "assignments", [spec.slug for spec in specs], "assignment slug")
    return specs


@dataclass(frozen=True)
class _Context:
    root: Path
    tz: zoneinfo.ZoneInfo
    start_date: dt.date
    weeks: set[int]


def _common(reader: Reader, context: _Context, order: int) -> dict[str, Any]:
    week = reader.integer("week", required=False, default=0, minimum=1, maximum=52) or None
    if week is not None and week not in context.weeks:
        raise reader.error("week", f"week {week} is not declared in weeks")
    due_at = _when(reader, "due", context, required=True)
    hard = _when(reader, "hard_deadline", context, required=False)
    if hard is not None and due_at is not None and hard < due_at:
        raise reader.error("hard_deadline", "the hard deadline is before the due date")
    release = reader.text("release", required=False, default="auto")
    if release not in RELEASE_MODES:
        raise reader.error("release", f"'{release}' must be one of: {', '.join(RELEASE_MODES)}")
    return {
        "slug": reader.slug("slug"),
        "title": reader.text("title"),
        "order": order,
        "week": week,
        "due_at": due_at,
        "hard_deadline_at": hard,
        "late": _late(reader),
        "release_mode": release,
    }


def _when(reader: Reader, key: str, context: _Context, *, required: bool) -> dt.datetime | None:
    """``{day: 13, time: "23:59"}``: days after the course's start date, local time."""
    raw = reader.raw(key, required)
    if raw is None:
        return None
    when = Reader(raw, reader.path, f"{reader.where}.{key}", _WHEN_KEYS)
    day = when.integer("day", minimum=0, maximum=365)
    text = when.text("time", required=False, default="23:59")
    try:
        time = dt.time.fromisoformat(text)
    except ValueError:
        raise when.error("time", f"'{text}' is not a time (HH:MM)") from None
    return dt.datetime.combine(context.start_date + dt.timedelta(days=day), time, tzinfo=context.tz)


def _late(reader: Reader) -> dict[str, int]:
    raw = reader.raw("late_policy", required=False)
    if raw is None:
        return {}
    late = Reader(raw, reader.path, f"{reader.where}.late_policy", _LATE_KEYS)
    return {
        "late_grace_minutes": late.integer("grace_minutes", required=False, maximum=10_080),
        "late_penalty_percent_per_day": late.integer(
            "penalty_percent_per_day", required=False, maximum=100
        ),
        "late_penalty_max_percent": late.integer(
            "max_penalty_percent", required=False, default=100, maximum=100
        ),
    }


def _decimal(reader: Reader, key: str, *, required: bool = True, default: str = "0") -> Decimal:
    value = reader.raw(key, required)
    if value is None:
        return Decimal(default)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise reader.error(key, f"'{value}' is not a number") from None
    if isinstance(value, bool) or not number.is_finite() or number < 0 or number > 1000:
        raise reader.error(key, "expected a number from 0 to 1000")
    return number


# -- notebooks ----------------------------------------------------------------------------


def _read_notebook(reader: Reader, context: _Context, order: int) -> AssignmentSpec:
    common = _common(reader, context, order)
    notebook_path = inside(reader, "notebook", context.root, reader.text("notebook"))
    cells = _grade_cells(reader, notebook_path)
    data = tuple(
        _data_file(reader, index, value, context.root)
        for index, value in enumerate(reader.sequence("data"))
    )
    names = [path.name for path in data]
    reject_duplicates(reader, "data", names, "data file name")
    holdout = _holdout(reader, context.root)
    criteria = _notebook_criteria(reader, cells)
    if holdout is not None:
        if holdout.spec.key in cells:
            raise reader.error("holdout", f"key '{holdout.spec.key}' is also a grade id")
        criteria.append(
            CriterionSpec(
                key=holdout.spec.key,
                title=holdout.title,
                max_points=Decimal(str(holdout.spec.max_points)),
                grade_ids=(holdout.spec.key,),
                description=_holdout_description(holdout),
            )
        )
    limits = _limits(reader)
    minutes = reader.integer("min_minutes_between_attempts", required=False, maximum=10_080)
    return AssignmentSpec(
        kind="notebook",
        notebook=notebook_path,
        data=data,
        limits=limits,
        min_seconds_between_attempts=60 * minutes,
        finalist_bonus=_decimal(reader, "finalist_bonus", required=False),
        criteria=tuple(criteria),
        holdout=holdout,
        **common,
    )


def _grade_cells(reader: Reader, path: Path) -> dict[str, tuple[float, bool]]:
    """grade id -> (points, manual) of the source notebook, which must be usable."""
    try:
        notebook = nbvalidate.load_notebook(path)
    except nbvalidate.NotebookError as exc:
        raise reader.error("notebook", str(exc)) from None
    problems = nbvalidate.errors(nbvalidate.validate_source(notebook))
    if problems:
        raise reader.error("notebook", "; ".join(str(p) for p in problems))
    return grade_cells(notebook)


def grade_cells(notebook: dict[str, Any]) -> dict[str, tuple[float, bool]]:
    """grade id -> (points, graded by a person) of a source notebook, in notebook order."""
    return {
        nbvalidate.grade_id(cell): (nbvalidate.points(cell), nbvalidate.is_manual(cell))
        for cell in notebook.get("cells", [])
        if nbvalidate.is_grade(cell) and nbvalidate.grade_id(cell)
    }


def criteria_per_cell(cells: dict[str, tuple[float, bool]]) -> list[CriterionSpec]:
    """One criterion per grade cell, titled after its id (``teste_x_y`` -> ``Teste x y``)."""
    return [
        CriterionSpec(
            key=gid[:50],
            title=_title(gid),
            max_points=Decimal(str(points)),
            grade_ids=(gid,),
            manual=manual,
        )
        for gid, (points, manual) in cells.items()
    ]


def _data_file(reader: Reader, index: int, value: Any, root: Path) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise reader.error("data", f"item {index} must be a file path")
    return inside(reader, "data", root, value.strip())


def _notebook_criteria(reader: Reader, cells: dict[str, tuple[float, bool]]) -> list[CriterionSpec]:
    """The declared criteria (each grade cell in exactly one), or one per grade cell."""
    items = reader.sequence("criteria")
    if not items:
        return criteria_per_cell(cells)
    criteria, used = [], {}
    for index, item in enumerate(items):
        spec = Reader(item, reader.path, f"{reader.where}.criteria[{index}]", _CRITERION_KEYS)
        grade_ids = spec.sequence("grade_ids", required=True)
        if not grade_ids:
            raise spec.error("grade_ids", "list at least one grade id")
        for gid in grade_ids:
            if gid not in cells:
                known = ", ".join(cells)
                raise spec.error(
                    "grade_ids",
                    f"'{gid}' is not a grade cell of the notebook (grade cells: {known})",
                )
            if gid in used:
                raise spec.error("grade_ids", f"'{gid}' is already in criterion '{used[gid]}'")
            used[gid] = spec.text("key")
        manual = {cells[gid][1] for gid in grade_ids}
        if len(manual) > 1:
            raise spec.error("grade_ids", "do not mix manually graded answers with tests")
        criteria.append(
            CriterionSpec(
                key=spec.slug("key"),
                title=spec.text("title"),
                max_points=sum((Decimal(str(cells[gid][0])) for gid in grade_ids), Decimal(0)),
                grade_ids=tuple(grade_ids),
                manual=manual.pop(),
                description=spec.text("description", required=False),
            )
        )
    missing = [gid for gid in cells if gid not in used]
    if missing:
        raise reader.error("criteria", f"grade cells in no criterion: {', '.join(missing)}")
    reject_duplicates(reader, "criteria", [c.key for c in criteria], "criterion key")
    return criteria


def _title(grade_id: str) -> str:
    words = grade_id.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def _limits(reader: Reader) -> dict[str, Any]:
    raw = reader.raw("limits", required=False)
    if raw is None:
        return {}
    limits = Reader(raw, reader.path, f"{reader.where}.limits", _LIMIT_KEYS)
    values: dict[str, Any] = {}
    if "memory_mb" in raw:
        values["memory_mb"] = limits.integer("memory_mb", minimum=128, maximum=16_384)
    if "cpus" in raw:
        cpus = raw["cpus"]
        if isinstance(cpus, bool) or not isinstance(cpus, int | float) or not 0.1 <= cpus <= 8:
            raise limits.error("cpus", "expected a number from 0.1 to 8")
        values["cpus"] = float(cpus)
    if "wall_seconds" in raw:
        values["wall_timeout_seconds"] = limits.integer("wall_seconds", minimum=10, maximum=3600)
    if "cell_timeout_seconds" in raw:
        values["cell_timeout_seconds"] = limits.integer(
            "cell_timeout_seconds", minimum=5, maximum=3600
        )
    if "max_upload_mb" in raw:
        values["max_upload_bytes"] = (
            limits.integer("max_upload_mb", minimum=1, maximum=100) * 1024 * 1024
        )
    return values


def _holdout(reader: Reader, root: Path) -> HoldoutContent | None:
    raw = reader.raw("holdout", required=False)
    if raw is None:
        return None
    held = Reader(raw, reader.path, f"{reader.where}.holdout", _HOLDOUT_KEYS)
    metric = held.text("metric", required=False, default="roc_auc")
    bands = []
    for index, item in enumerate(held.sequence("points", required=True)):
        band = Reader(item, held.path, f"{held.where}.points[{index}]", _BAND_KEYS)
        bound_key = "max" if "max" in item else "min"
        bound = band.raw(bound_key, required=True)
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise band.error(bound_key, "expected a number")
        bands.append((float(bound), float(_decimal(band, "points"))))
    try:
        spec = HoldoutSpec(
            features=inside(held, "features", root, held.text("features")),
            labels=inside(held, "labels", root, held.text("labels")),
            thresholds=tuple(bands),
            metric=metric,
            predictions=held.text("predictions", required=False, default=DEFAULT_PREDICTIONS),
            id_column=held.text("id_column", required=False, default="customerID"),
            key=held.text("key", required=False, default=DEFAULT_KEY),
        )
    except HoldoutSpecError as exc:
        raise ContentError(reader.path, held.data.line, f"{held.where}: {exc}") from None
    title = held.text("title", required=False, default="Desempenho no conjunto de avaliação oculto")
    return HoldoutContent(spec=spec, title=title)


def _holdout_description(holdout: HoldoutContent) -> str:
    relation = "≥" if holdout.spec.higher_is_better else "≤"
    bands = "; ".join(
        f"{relation} {bound:g}: {points:g} pontos" for bound, points in holdout.spec.thresholds
    )
    return (
        f"{holdout.spec.metric_name} das previsões gravadas em "
        f"{holdout.spec.predictions}, calculada pelo corretor fora do notebook. {bands}."
    )


# -- the final project ------------------------------------------------------------------------


def _read_project(reader: Reader, context: _Context, order: int) -> AssignmentSpec:
    common = _common(reader, context, order)
    rubric_path = inside(reader, "rubric", context.root, reader.text("rubric"))
    minutes = reader.integer("min_minutes_between_attempts", required=False, maximum=10_080)
    return AssignmentSpec(
        kind="project",
        criteria=read_rubric(rubric_path),
        limits=_limits(reader),
        min_seconds_between_attempts=60 * minutes,
        **common,
    )


def read_rubric(path: Path) -> tuple[CriterionSpec, ...]:
    """``final_project/rubric.yaml``: criteria with points, levels and how each is graded."""
    top = Reader(load_yaml(path), path, "rubric", _RUBRIC_KEYS)
    top.text("title")
    criteria = []
    for index, item in enumerate(top.sequence("criteria", required=True)):
        spec = Reader(item, path, f"criteria[{index}]", _RUBRIC_CRITERION_KEYS)
        points = _decimal(spec, "points")
        if points <= 0:
            raise spec.error("points", "a criterion is worth more than 0 points")
        graded_by = spec.choice("graded_by", GRADED_BY)
        check = spec.text("check", required=graded_by == "check")
        if graded_by == "check" and check not in CHECKS:
            raise spec.error("check", f"'{check}' must be one of: {', '.join(CHECKS)}")
        if graded_by == "instructor" and check:
            raise spec.error("check", "an instructor-graded criterion has no check")
        params = spec.raw("params", required=False) or {}
        if not isinstance(params, dict):
            raise spec.error("params", "expected a mapping")
        criteria.append(
            CriterionSpec(
                key=spec.slug("key"),
                title=spec.text("title"),
                max_points=points,
                manual=graded_by == "instructor",
                description=spec.text("description"),
                levels=_levels(spec, points),
                check=check,
                check_params=_plain(params),
            )
        )
    if not criteria:
        raise top.error("criteria", "the rubric needs at least one criterion")
    reject_duplicates(top, "criteria", [c.key for c in criteria], "criterion key")
    return tuple(criteria)


def _levels(spec: Reader, points: Decimal) -> tuple[dict[str, Any], ...]:
    levels = []
    for index, item in enumerate(spec.sequence("levels", required=True)):
        level = Reader(item, spec.path, f"{spec.where}.levels[{index}]", _LEVEL_KEYS)
        value = _decimal(level, "points")
        if value > points:
            raise level.error("points", f"{value} is above the criterion's {points} points")
        levels.append({"points": str(value), "description": level.text("description")})
    values = [Decimal(level["points"]) for level in levels]
    if len(levels) < 2 or values != sorted(values, reverse=True) or len(set(values)) != len(values):
        raise spec.error("levels", "list at least two levels, from the most points down")
    if values[0] != points:
        raise spec.error("levels", f"the first level must be worth the full {points} points")
    return tuple(levels)


def _plain(value: Any) -> Any:
    """YAML's line-numbered containers as plain dicts and lists (JSON-serialisable)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
