"""Command line: the click group and one module per command; it parses, calls, renders.

    group.py     the `reconciler` group, its global options, errors as one line, and
                 COMMANDS: every command, loaded when named
    common.py    State, the clock, exit codes, options plan and apply share
    validate.py, targets.py, plan.py, apply.py, import_.py, history.py, calendar.py,
    init.py      one command each
    ci.py        `reconciler ci …`
    emulator.py  `reconciler emulator serve`

Nothing here decides anything: every command is a few calls into the library
and a view's FORMATS for its output. The `reconciler` script is
`reconciler.cli.group:main`.
"""

from reconciler._compat import forward

__all__: list[str] = []

# The names of the old flat module of this name, for one release (with a DeprecationWarning).
__getattr__ = forward(__name__)
