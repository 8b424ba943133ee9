"""CI: the pull-request plan, the merge check and drift issues, over the GitHub REST API.

The workflows (`reconciler init` writes them; templates in reconciler/repo/templates)
are a line or two per step (the `reconciler ci` commands, in reconciler/cli/ci.py); the
logic is here, where tests reach it:

    actions.py   the Actions runtime: the event payload, step outputs, the job summary
    github.py    a small GitHub REST client over httpx (GitHubError, never an httpx error)
    markers.py   the hidden first-line markers that find our comments and issues
    targets.py   target names CI can use (they name environments: none ends in -plan)
    pull_request.py  pull requests: collect the files, plan them with main's connection, comment
    merge.py     on merge: newest wins, apply only the reviewed plan, report a refusal
    moved.py     on merge: does main's head plan as this commit does (the trees compared)
    proof.py     on merge: the plan comment is what its plan run posted, untouched since
    drift.py     the drift check and its one issue per target
    repo_settings.py  check-repo: the repository settings the guarantees rest on, read
    repo_check.py     check-repo's findings, and their section in the drift issue
    patterns.py  CODEOWNERS and workflow path filters, as GitHub matches them

Errors:

    ReconcilerError
    └── CiError                   (reconciler.ci.errors) a CI step cannot go on
        ├── GitHubError           the GitHub API refused or could not be reached
        │   └── TooLargeError     an answer longer than its bound, not read any further
        ├── UntrustedPlanComment  a plan comment that its plan run did not post as it is
        └── EventError            the Actions environment or event payload is missing or wrong
"""

__all__: list[str] = []
