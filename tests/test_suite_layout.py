"""The suite's own layout: pytest imports test and helper modules by basename (rootdir, no packages)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).parent


def test_no_two_modules_of_the_suite_share_a_name():
    """Two ``test_video.py`` (or two ``clirun.py``) collide: one shadows the other, or collection stops."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("*.py"):
        if path.name not in ("conftest.py", "__init__.py"):
            found[path.name].append(str(path.relative_to(TESTS)))
    assert {name: paths for name, paths in found.items() if len(paths) > 1} == {}
