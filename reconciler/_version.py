"""The version of reconciler (one place: the package, the wheel and the User-Agent read it).

Between releases it is the next release's `.devN`; a release sets it to `X.Y.Z` and tags that
commit `vX.Y.Z` (the release workflow refuses a tag that differs).
"""

__all__ = ["__version__"]

__version__ = "0.2.0.dev0"
