"""Config: reconciler.yaml resolved into targets.

    targets.py  Target (one app, every override applied), Safety, Config
    load.py     load_config: the file read, checked against config.schema.json, resolved
    effective.py  the settings a plan depends on (in its checksum), and their changes

Config sits above policy (it reads `policies:` through the rules' parsers) and
remote (a target's provider gives its credentials' default variable names).
"""

from reconciler._compat import forward

__all__: list[str] = []

# The names of the old flat module of this name, for one release (with a DeprecationWarning).
__getattr__ = forward(__name__)
