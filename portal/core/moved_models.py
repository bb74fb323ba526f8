"""Moving a model to another app without touching its table (used by migrations).

A moved model keeps its table (``Meta.db_table``); the migrations only move it in Django's
state (``SeparateDatabaseAndState``). Its content type must follow, or permissions and the
admin's history would stay attached to the old app label.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def move_content_types(moves: Iterable[tuple[str, str, str]]) -> migrations.RunPython:
    """A migration operation relabelling content types: ``(model, old_app, new_app)``.

    Reversible; a no-op on a new database (content types are created after migrating).
    """
    moves = tuple(moves)

    def relabel(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor, backwards: bool) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        for model, old, new in moves:
            source, target = (new, old) if backwards else (old, new)
            rows = content_type.objects.using(db).filter(app_label=source, model=model)
            if content_type.objects.using(db).filter(app_label=target, model=model).exists():
                continue  # already there (created by a post_migrate): leave both alone
            rows.update(app_label=target)

    return migrations.RunPython(
        lambda apps, editor: relabel(apps, editor, backwards=False),
        lambda apps, editor: relabel(apps, editor, backwards=True),
    )
