"""A final project's dependencies: what it declares, and the install step that provides them.

``declared`` reads the checkout (requirements files in any encoding, pyproject.toml,
environment.yml, projeto.yaml's ``install``; the Python version); ``install`` downloads wheels
from the configured index on the host and installs them in the grading container, cached by
what was asked; ``index`` explains what cannot be installed. ``docs/projects.md`` has the
design.
"""

from autograder.dependencies.install import (
    InstallReport,
    InstallSettings,
    prepare_environment,
    settings_from_env,
)

__all__ = ["InstallReport", "InstallSettings", "prepare_environment", "settings_from_env"]
