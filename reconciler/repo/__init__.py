"""Repo: the schedules repository itself: starting one (scaffold, import) and what pins it.

importer.py    the app's schedules written as schedule files (all or nothing)
scaffold.py    `reconciler init`: config, a sample, workflows, pre-commit, README
build_info.py  where the action lives, and the commit this copy was built from
templates/     what `reconciler init` writes (this repository's workflows too)
"""

__all__: list[str] = []
