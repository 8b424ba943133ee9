"""reconciler: declarative GitOps for EngageLab scheduled pushes.

Files in a git repo are the desired state; the v4 Schedules API is the remote;
`plan` shows what would change and `apply` makes it so.
"""

__version__ = "0.1.0"
