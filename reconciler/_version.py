"""The version of reconciler (one place: the package, the wheel and the User-Agent read it)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
