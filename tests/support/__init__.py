"""Helpers shared by the test modules: builders, the emulator in-process, the CLI in a repo.

Test modules import from here and never from one another.
"""
