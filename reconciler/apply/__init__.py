"""Apply: the one sync path, and carrying out a plan's changes.

    manager.py   sync: read the files -> plan -> reviewed-plan check -> guards -> confirm
                 -> apply -> verify; several targets at once (each_target, JointApproval)
    executor.py  apply_plan: the changes in batches (deletes, replaces, updates, creates),
                 and the reviewed-plan checks (check_still_valid, check_checksum)

(The stage is called `apply`, not `sync`: `reconciler.sync` is the function of the
Python API, and a subpackage of that name would shadow it.)
"""

from reconciler._compat import forward

__all__: list[str] = []

# The names of the old flat module of this name, for one release (with a DeprecationWarning).
__getattr__ = forward(__name__)
