"""Helpers shared by the test modules: builders, the emulator in-process, the CLI in a repo.

Test modules import from here and never from one another (tests/test_layout.py checks it).
One module a job: clock (the fixed NOW), plan (planner inputs), documents (schedule files as
YAML text), api (the API client against the in-process emulator), faults (fault kinds and a
workload to ride them out), emulator (the emulator's own HTTP API, synchronously), cli (a repo
and the CLI).
"""
