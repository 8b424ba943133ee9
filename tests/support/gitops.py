"""GitHub's part in the end-to-end suite: a team's repository, its events, and which workflow runs.

A `Team` is a repository scaffolded by `reconciler init` (its workflows
unmodified) with one production target, `prod`, served by the EngageLab
emulator on loopback, and a fake GitHub (tests/support/github_service.py).
The team works as people do — branches, pull requests, merges, "Run workflow"
— and `Team` does what GitHub would do about it:

- it sends each event to the workflows GitHub would run, with the payload
  GitHub would send (`pull_request`, `push`, `workflow_dispatch`, `schedule`,
  and `workflow_run` once a run completes), honouring `on:` (types, branches,
  paths);
- it checks out what GitHub would (the test merge of a pull request; the
  default branch's head for `workflow_run`, `schedule`, `workflow_dispatch`),
  with the definitions GitHub would use (a pull request's own copy of its
  workflow; the default branch's for the others);
- it gives each run a GITHUB_TOKEN with its jobs' permissions (read-only for a
  fork), and the environments' secrets and variables (`RECONCILER_ENDPOINT`,
  the approved connection: the emulator's URL) only to runs on the default
  branch (the environments `prod` and `prod-plan` admit `main` only); a fork's
  run gets no secret at all;
- it keeps GitHub's state: pull requests, comments, issues, runs, artifacts.

What it does not do: GitHub's environment rules beyond the branch (required
reviewers approve at once, unless a story holds a workflow's runs: then they wait
until it approves them, one at a time, oldest first), concurrency groups, and the real token scopes of a
public repository (see docs/workflows.md, "How the workflows are tested").
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from reconciler.emulator import AppCredentials, Settings, create_app
from reconciler.remote.approval import APPROVAL_ENV
from tests.support.act import ActRun, HarnessError, JobEnd, Runner
from tests.support.clock import NOW, NOW_ISO
from tests.support.github_service import GitHubState, served
from tests.support.recording import Recorded, nowhere, recorded

APP_KEY = "e2e_app_key_0123456789"
#: The production master secret: a story asserts where it goes.
MASTER_SECRET = "e2e-MASTER-secret-never-leaves-loopback-7f3a"
SECRETS = {"ENGAGELAB_APP_KEY": APP_KEY, "ENGAGELAB_MASTER_SECRET": MASTER_SECRET}
REPOSITORY = "acme/schedules"
MAINTAINER = "alice"
CODEOWNERS = "/reconciler.yaml @acme/schedule-owners\n/.github/ @acme/schedule-owners\n"
_WORKFLOWS = ".github/workflows"
_PR_TYPES = ("opened", "synchronize", "reopened")


def _glob(pattern: str) -> re.Pattern[str]:
    """A GitHub filter pattern (`*` within a path segment, `**` across them) as a regex."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def _filter(patterns: list[str] | None, values: list[str]) -> bool:
    """Whether `values` pass a GitHub `paths:`/`branches:` filter (None: no filter)."""
    if patterns is None:
        return True
    for value in values:
        included = False
        for pattern in patterns:
            negated = pattern.startswith("!")
            if _glob(pattern.lstrip("!")).fullmatch(value):
                included = not negated
        if included:
            return True
    return False


def triggers(workflow: Mapping[Any, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # PyYAML (YAML 1.1) reads `on` as True
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {name: {} for name in on}
    return {str(k): (v or {}) for k, v in dict(on).items()}


@dataclass
class Pull:
    """A pull request as the team knows it."""

    number: int
    branch: str
    head: str
    fork: str | None = None

    @property
    def ref(self) -> str:
        return f"refs/heads/{'fork/' + self.fork.split('/')[0] + '/' if self.fork else ''}{self.branch}"


@dataclass
class Run:
    """A finished workflow run: GitHub's record of it and what act reported."""

    id: int
    workflow: str
    event: str
    conclusion: str
    head_sha: str
    act: ActRun
    payload: dict[str, Any]

    def jobs(self, name: str) -> list[str]:
        return self.act.result_of(name)

    def output(self, job: str) -> str:
        return self.act.output_of(job)

    def __repr__(self) -> str:
        jobs = ", ".join(f"{j.job}={j.result}" for j in self.act.jobs)
        return f"<run {self.id} {self.workflow} ({self.event}): {self.conclusion} [{jobs}]>"


@dataclass
class Team:
    """One team's repository on the fake GitHub, its production app on the emulator, and act."""

    folder: Path
    runner: Runner
    github: GitHubState
    emulator: Recorded
    emulator_url: str
    elsewhere: Recorded
    elsewhere_url: str
    runs: list[Run] = field(default_factory=list)
    #: RECONCILER_NOW of every run: a story moves it (and the emulator's clock) a day on.
    now: str = NOW_ISO
    #: (method, path) of requests a story expects the fake GitHub to refuse.
    expected_refusals: list[tuple[str, str]] = field(default_factory=list)
    #: The environments' variables (an admin's Settings → Environments); a story may change them.
    variables: dict[str, str] = field(default_factory=dict)
    #: Workflows whose runs wait for the environment's reviewers (`hold`) until `approve`.
    holding: set[str] = field(default_factory=set)
    waiting: list[tuple[str, Callable[[], Run]]] = field(default_factory=list)

    @property
    def repo(self) -> Path:
        return self.folder / "repo"

    # --- git -----------------------------------------------------------------------------

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd or self.repo,
            capture_output=True,
            text=True,
            check=False,
            env={
                "GIT_AUTHOR_NAME": "Alice",
                "GIT_AUTHOR_EMAIL": "alice@example.test",
                "GIT_COMMITTER_NAME": "Alice",
                "GIT_COMMITTER_EMAIL": "alice@example.test",
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "HOME": str(self.folder),
            },
        )
        if done.returncode != 0:
            raise HarnessError(f"git {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    def head(self, ref: str = "main") -> str:
        return self.git("rev-parse", ref)

    def commit(self, ref: str, files: Mapping[str, str | None], message: str, base: str) -> str:
        """A commit on top of `base` writing `files` (None deletes), stored as `ref`."""
        tree = self.folder / "edit"
        self.git("worktree", "add", "--quiet", "--detach", str(tree), base)
        try:
            for name, text in files.items():
                path = tree / name
                if text is None:
                    path.unlink()
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="utf-8")
            self.git("add", "-A", cwd=tree)
            self.git("commit", "--quiet", "-m", message, cwd=tree)
            sha = self.git("rev-parse", "HEAD", cwd=tree)
        finally:
            self.git("worktree", "remove", "--force", str(tree))
        self.git("update-ref", ref, sha)
        return sha

    def merge_commit(self, base: str, head: str, message: str) -> str:
        tree = self.git("merge-tree", "--write-tree", base, head).splitlines()[0]
        return self.git("commit-tree", tree, "-p", base, "-p", head, "-m", message)

    def changed(self, before: str, after: str) -> list[str]:
        return self.git("diff", "--name-only", f"{before}...{after}").splitlines()

    def read(self, sha: str, path: str) -> str:
        return self.git("show", f"{sha}:{path}")

    # --- the team's moves ------------------------------------------------------------------

    def seed(self, files: Mapping[str, str | None], console: Console | None = None) -> str:
        """History before the story: `files` committed on main (no event), and each schedule
        in them created in the app by hand when `console` is given (as `import` would leave
        it: files and app agree)."""
        before = self.head()
        after = self.commit("refs/heads/main", files, "earlier work", before)
        self.github.heads["main"] = after
        for text in files.values():
            if console is not None and text is not None:
                for body in yaml.safe_load_all(text):
                    console.create(body)
        return after

    def open_pull_request(
        self, branch: str, files: Mapping[str, str | None], *, fork: str | None = None
    ) -> Pull:
        """A branch off main with `files`, opened as a pull request (and its workflows run)."""
        base = self.head()
        pull = Pull(0, branch, "", fork)
        pull.head = self.commit(pull.ref, files, f"{branch}: change schedules", base)
        data = self.github.open_pull(branch, pull.head, base, head_repo=fork)
        pull.number = int(data["number"])
        self._pull_request_event(pull, "opened")
        return pull

    def push_to(self, pull: Pull, files: Mapping[str, str | None]) -> None:
        """Another commit on the pull request's branch (a `synchronize` event)."""
        pull.head = self.commit(pull.ref, files, f"{pull.branch}: more", pull.head)
        data = self.github.pulls[pull.number]
        data["head"]["sha"] = pull.head
        data["updated_at"] = self.github.tick()
        self._pull_request_event(pull, "synchronize")

    def merge(self, pull: Pull) -> str:
        """Merge the pull request (a merge commit on main) and push main; the merge commit."""
        before = self.head()
        merged = self.merge_commit(before, pull.head, f"Merge pull request #{pull.number}")
        self.git("update-ref", "refs/heads/main", merged)
        data = self.github.pulls[pull.number]
        now = self.github.tick()
        data.update(state="closed", merged=True, merged_at=now, closed_at=now, updated_at=now)
        data["merge_commit_sha"] = merged
        self.push_main(before, merged)
        return merged

    def close(self, pull: Pull) -> None:
        """Close without merging (`closed` is not among pull_request's default types)."""
        data = self.github.pulls[pull.number]
        now = self.github.tick()
        data.update(state="closed", closed_at=now, updated_at=now)
        self._pull_request_event(pull, "closed")

    def push_main(self, before: str, after: str) -> None:
        self.github.heads["main"] = after
        payload = {
            "ref": "refs/heads/main",
            "before": before,
            "after": after,
            "created": False,
            "deleted": False,
            "forced": False,
            "head_commit": {"id": after},
            "commits": [{"id": after}],
        }
        changed = self.changed(before, after)
        self._deliver("push", payload, after, after, changed=changed, branch="main")

    def dispatch(self, workflow: str, inputs: Mapping[str, str]) -> Run:
        """Actions → `workflow` → Run workflow on main, with `inputs` (strings, as GitHub sends)."""
        payload = {
            "inputs": dict(inputs),
            "ref": "refs/heads/main",
            "workflow": f"{_WORKFLOWS}/{workflow}",
        }
        head = self.head()
        return self._run(workflow, "workflow_dispatch", payload, head, head, branch="main")

    def schedule(self, workflow: str) -> Run:
        """The cron of `workflow` fires (on the default branch)."""
        head = self.head()
        definition = yaml.safe_load(self.read(head, f"{_WORKFLOWS}/{workflow}"))
        cron = triggers(definition)["schedule"][0]["cron"]
        payload = {"schedule": cron, "workflow": f"{_WORKFLOWS}/{workflow}"}
        return self._run(workflow, "schedule", payload, head, head, branch="main")

    def rerun(self, run: Run) -> Run:
        """Re-run all jobs of `run`: the same event, payload and commit, a new attempt."""
        return self._run(
            run.workflow,
            run.event,
            run.payload,
            run.head_sha,
            run.head_sha,
            branch="main",
            attempt_of=run.id,
        )

    def hold(self, workflow: str) -> None:
        """From now on, a run of `workflow` waits for the environment's reviewers (GitHub
        starts it at the event, for the event's commit; its job waits) until `approve`."""
        self.holding.add(workflow)

    def approve(self) -> Run:
        """The reviewers approve the run that has waited longest: it runs now, for its commit,
        whatever main's head has become since."""
        _, start = self.waiting.pop(0)
        return start()

    # --- GitHub's part ---------------------------------------------------------------------

    def _pull_request_event(self, pull: Pull, action: str) -> None:
        data = self.github.pulls[pull.number]
        payload = {"action": action, "number": pull.number, "pull_request": data}
        if data["state"] == "closed" and not data.get("merged"):
            merge = None
        else:
            base = self.head()
            merge = self.merge_commit(base, pull.head, f"Merge {pull.head} into {base}")
            data["merge_commit_sha"] = merge
        changed = self.changed(data["base"]["sha"], pull.head)
        self._deliver(
            "pull_request",
            payload,
            merge or pull.head,
            merge or pull.head,
            changed=changed,
            branch="main",
            action=action,
            pull=pull,
        )

    def _workflows(self, sha: str) -> dict[str, dict[str, Any]]:
        names = self.git("ls-tree", "--name-only", f"{sha}:{_WORKFLOWS}").splitlines()
        return {
            name: yaml.safe_load(self.read(sha, f"{_WORKFLOWS}/{name}"))
            for name in names
            if name.endswith((".yml", ".yaml"))
        }

    def _deliver(
        self,
        event: str,
        payload: dict[str, Any],
        checkout: str,
        definitions: str,
        *,
        changed: list[str],
        branch: str,
        action: str | None = None,
        pull: Pull | None = None,
    ) -> None:
        """Run every workflow of `definitions` that `event` triggers, then what they trigger."""
        for name, workflow in sorted(self._workflows(definitions).items()):
            on = triggers(workflow)
            if event not in on:
                continue
            spec = on[event] or {}
            if action is not None and action not in spec.get("types", _PR_TYPES):
                continue
            if not _filter(spec.get("branches"), [branch]):
                continue
            if not _filter(spec.get("paths"), changed):
                continue
            if name in self.holding:
                self.waiting.append(
                    (
                        name,
                        lambda name=name: self._run(  # type: ignore[misc]
                            name, event, payload, checkout, definitions, branch=branch, pull=pull
                        ),
                    )
                )
                continue
            self._run(name, event, payload, checkout, definitions, branch=branch, pull=pull)

    def _run(
        self,
        workflow: str,
        event: str,
        payload: dict[str, Any],
        checkout: str,
        definitions: str,
        *,
        branch: str,
        pull: Pull | None = None,
        attempt_of: int | None = None,
    ) -> Run:
        definition = yaml.safe_load(self.read(definitions, f"{_WORKFLOWS}/{workflow}"))
        fork = pull.fork if pull is not None else None
        head_branch = pull.branch if pull is not None else branch
        pull_requests = []
        if pull is not None and fork is None:
            data = self.github.pulls[pull.number]
            pull_requests = [
                {
                    "number": pull.number,
                    "id": pull.number,
                    "head": data["head"],
                    "base": data["base"],
                }
            ]
        run, token, runtime = self.github.start_run(
            workflow=definition,
            path=f"{_WORKFLOWS}/{workflow}",
            event=event,
            head_sha=pull.head if pull is not None else checkout,
            head_branch=head_branch,
            head_repository=fork or self.github.repository,
            pull_requests=pull_requests,
            read_only=fork is not None,
            attempt_of=attempt_of,
        )
        full = {
            **payload,
            "repository": self.github.repo_json(),
            "sender": {"login": MAINTAINER, "type": "User"},
        }
        secrets = {"GITHUB_TOKEN": token}
        variables: dict[str, str] = {}
        if event != "pull_request":
            self._check_environment_secrets(workflow, definition)
            secrets.update(SECRETS)
            variables.update(self.variables)
        act = self._act(workflow, event, full, checkout, run, runtime, secrets, variables)
        text = self.read(definitions, f"{_WORKFLOWS}/{workflow}")
        conclusion = _conclusion(act, text)
        self.github.finish_run(run["id"], conclusion, token, runtime)
        done = Run(run["id"], workflow, event, conclusion, run["head_sha"], act, payload)
        self.runs.append(done)
        if event != "workflow_run":
            self._workflow_run(definition.get("name", workflow), run["id"])
        return done

    def _check_environment_secrets(self, workflow: str, definition: dict[str, Any]) -> None:
        """act hands secrets and variables to every job of a run; GitHub gives a job only its
        environment's. Ours live in environments, so a job that reads one without an
        environment would get nothing on GitHub: the harness cannot pretend otherwise."""
        for name, job in definition["jobs"].items():
            text = yaml.safe_dump(job)
            reads = set(re.findall(r"(?:secrets|vars)\.(\w+)", text)) - {"GITHUB_TOKEN"}
            if reads and "environment" not in job:
                raise HarnessError(
                    f"{workflow}: job {name} reads {sorted(reads)} outside an environment: on "
                    "GitHub it would get nothing, act would hand them over"
                )

    def _act(
        self,
        workflow: str,
        event: str,
        payload: dict[str, Any],
        checkout: str,
        run: dict[str, Any],
        runtime: str,
        secrets: dict[str, str],
        variables: dict[str, str],
    ) -> ActRun:
        tree = self.folder / f"checkout-{run['id']}-{run['run_attempt']}"
        self.git("worktree", "add", "--quiet", "--detach", str(tree), checkout)
        api = self.github.api
        env = {
            "GITHUB_REPOSITORY": self.github.repository,
            "GITHUB_API_URL": api,
            "GITHUB_SERVER_URL": api,
            "GITHUB_GRAPHQL_URL": f"{api}/graphql",
            "GITHUB_RUN_ID": str(run["id"]),
            "GITHUB_RUN_ATTEMPT": str(run["run_attempt"]),
            "GITHUB_RUN_NUMBER": str(len(self.runs) + 1),
            "ACTIONS_RESULTS_URL": f"{api}/_results/",
            "ACTIONS_RUNTIME_URL": f"{api}/_results/",
            "ACTIONS_RUNTIME_TOKEN": runtime,
            "RECONCILER_NOW": self.now,
            **self.runner.pip_env(),
        }
        try:
            return self.runner.run(
                tree,
                f"{_WORKFLOWS}/{workflow}",
                event,
                payload,
                env=env,
                secrets=secrets,
                variables=variables,
                actor=MAINTAINER,
                cache=self.folder / "actions-cache",
            )
        finally:
            self.git("worktree", "remove", "--force", str(tree))

    def _workflow_run(self, name: str, run_id: int) -> None:
        """GitHub's `workflow_run` (completed): main's workflows that listen to `name`."""
        main = self.head()
        completed = self.github.runs[run_id]
        for workflow, definition in sorted(self._workflows(main).items()):
            spec = triggers(definition).get("workflow_run")
            if not spec or name not in spec.get("workflows", []):
                continue
            if "completed" not in spec.get("types", ["completed", "requested"]):
                continue
            payload = {
                "action": "completed",
                "workflow_run": dict(completed),
                "workflow": {"name": name, "path": completed["path"]},
            }
            self._run(workflow, "workflow_run", payload, main, main, branch="main")

    # --- reading ---------------------------------------------------------------------------

    def refused(self) -> list[str]:
        """Requests the fake GitHub refused (401, 403, 5xx) that no story expected."""
        return [
            f"{c.method} {c.path} from run {c.run_id} job {c.job}: HTTP {c.status}"
            for c in self.github.requests
            if (c.status in (401, 403) or c.status >= 500)
            and (c.method, c.path) not in self.expected_refusals
        ]

    @property
    def console(self) -> Console:
        return Console(self.emulator_url)

    def last(self, workflow: str) -> Run:
        return next(r for r in reversed(self.runs) if r.workflow == workflow)

    def runs_since(self, mark: int) -> list[Run]:
        return self.runs[mark:]


def _matrix_lines(text: str) -> dict[int, str]:
    """The line (1-based) of each job's `strategy.matrix` value in a workflow's text."""
    found: dict[int, str] = {}
    root = yaml.compose(text)
    jobs = next((v for k, v in root.value if k.value == "jobs"), None) if root else None
    for key, job in jobs.value if jobs is not None else []:
        strategy = next((v for k, v in job.value if k.value == "strategy"), None)
        for k, v in strategy.value if strategy is not None else []:
            if k.value == "matrix":
                found[v.start_mark.line + 1] = key.value
    return found


def _conclusion(act: ActRun, text: str) -> str:
    """The run's conclusion as GitHub would give it.

    act evaluates a job's matrix even when the jobs it needs did not succeed (GitHub
    skips such a job without evaluating it), and then exits 1. So a matrix that act
    could not evaluate fails the run only when every job it needs succeeded; such a
    job is recorded as failed (GitHub: "Error when evaluating 'strategy'")."""
    definition = yaml.safe_load(text)
    succeeded = {j.job for j in act.jobs if j.result == "success"}
    explained = True
    if act.returncode != 0:
        explained = False
        lines = _matrix_lines(text)
        for number in map(int, re.findall(r"line (\d+): cannot unmarshal", act.log)):
            job = lines.get(number)
            if job is None:
                continue
            needs = definition["jobs"][job].get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            if all(n in succeeded for n in needs):
                act.extra.append(JobEnd(job, {}, "failure"))
            explained = True
    results = [j.result for j in act.jobs]
    if "failure" in results or not explained:
        return "failure"
    return "success" if "success" in results else "skipped"


@dataclass
class Console:
    """Someone editing the production app by hand (the EngageLab console), over the real API."""

    url: str

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(APP_KEY, MASTER_SECRET), timeout=10)

    def schedules(self) -> dict[str, dict[str, Any]]:
        """Every active schedule of the app, by name (the full bodies)."""
        with self._client() as http:
            state = http.get("/_emulator/state").json()
        found = state["apps"][APP_KEY]["schedules"]
        return {s["name"]: s for s in found if not s.get("expired")}

    def create(self, body: dict[str, Any]) -> str:
        with self._client() as http:
            answer = http.post("/v4/schedules", json=body)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["schedule_id"])

    def update(self, schedule_id: str, body: dict[str, Any]) -> None:
        with self._client() as http:
            answer = http.put(f"/v4/schedules/{schedule_id}", json=body)
        assert answer.status_code == 200, answer.text

    def delete(self, schedule_id: str) -> None:
        with self._client() as http:
            answer = http.delete(f"/v4/schedules/{schedule_id}")
        assert answer.status_code == 200, answer.text

    def emulate(self, *, now: str | None = None, faults: list[str] | None = None) -> None:
        """The emulator's admin API (not the console's): its clock, its run faults."""
        with self._client() as http:
            if faults is not None:
                answer = http.put("/_emulator/faults", json={"faults": faults})
                assert answer.status_code == 200, answer.text
            if now is not None:
                answer = http.put("/_emulator/clock", json={"now": now})
                assert answer.status_code == 200, answer.text


def team_config(endpoint: str) -> str:
    """reconciler.yaml of a team that went to production: one target, `prod`."""
    return yaml.safe_dump(
        {
            "default_target": "prod",
            "targets": {
                "prod": {
                    "endpoint": endpoint,
                    "app_key_env": "ENGAGELAB_APP_KEY",
                    "master_secret_env": "ENGAGELAB_MASTER_SECRET",
                    "site_timezone": "UTC",
                }
            },
            "schedules": "schedules.d/**/*.yaml",
            "prune": True,
            "safety": {"max_delete_percent": 30, "max_update_percent": 50, "min_existing": 10},
        },
        sort_keys=False,
    )


@contextmanager
def team(runner: Runner, folder: Path, scaffold: Path) -> Iterator[Team]:
    """A team's repository made from `scaffold` (what `reconciler init` wrote), on main, with
    `prod` pointing at the emulator; the servers run until the context ends."""
    settings = Settings(apps=(AppCredentials(APP_KEY, MASTER_SECRET),), now=NOW)
    with ExitStack() as stack:
        emulator_url, emulator = stack.enter_context(recorded(create_app(settings)))
        elsewhere_url, elsewhere = stack.enter_context(recorded(nowhere()))
        github = stack.enter_context(served(GitHubState(folder / "github", REPOSITORY)))
        repo = folder / "repo"
        shutil.copytree(scaffold, repo)
        github.settings.git_dir = repo
        (repo / "reconciler.yaml").write_text(team_config(emulator_url), encoding="utf-8")
        # As docs/getting-started.md asks: the configuration and the workflows have owners.
        (repo / ".github" / "CODEOWNERS").write_text(CODEOWNERS, encoding="utf-8")
        for sample in (repo / "schedules.d").glob("*.yaml"):
            sample.unlink()
        the_team = Team(folder, runner, github, emulator, emulator_url, elsewhere, elsewhere_url)
        # The admin approved prod's connection in its environments (prod and prod-plan).
        the_team.variables[APPROVAL_ENV] = emulator_url
        the_team.git("init", "--quiet", "--initial-branch=main")
        the_team.git("add", "-A")
        the_team.git("commit", "--quiet", "-m", "reconciler init, and our production app")
        github.heads["main"] = the_team.head()
        yield the_team
