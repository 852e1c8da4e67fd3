"""The documentation site's nav (mkdocs.yml) lists every page under docs/, without mkdocs.

`mkdocs build --strict` (`bash tools/dev.sh docs`) also refuses a page missing from the
nav, but only where mkdocs is installed; these checks run with the test suite.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# Pages under docs/ deliberately left out of the nav, each with its reason. None today.
NOT_IN_NAV: dict[str, str] = {}

# A markdown link or image target: [text](target) or ![alt](target).
_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _config() -> dict[str, Any]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    assert isinstance(config, dict)
    return config


def _nav_pages(node: object) -> list[str]:
    """Every page path in a nav entry (strings, lists, one-key titled mappings), in order."""
    if isinstance(node, str):
        return [node] if node.endswith(".md") else []
    if isinstance(node, list):
        return [page for item in node for page in _nav_pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in _nav_pages(value)]
    return []


def _pages_on_disk() -> set[str]:
    return {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}


def test_docs_dir_is_docs() -> None:
    """The site is built from docs/ (the default), the folder these tests look at."""
    assert _config().get("docs_dir", "docs") == "docs"


def test_every_page_is_in_the_nav() -> None:
    """No page under docs/ is forgotten: each is in the nav or excluded on purpose."""
    missing = _pages_on_disk() - set(_nav_pages(_config()["nav"])) - set(NOT_IN_NAV)
    assert not missing, f"pages missing from mkdocs.yml's nav: {sorted(missing)}"


def test_nav_names_only_existing_pages() -> None:
    """Every page the nav names exists under docs/."""
    absent = set(_nav_pages(_config()["nav"])) - _pages_on_disk()
    assert not absent, f"mkdocs.yml's nav names pages that do not exist: {sorted(absent)}"


def test_no_page_is_twice_in_the_nav() -> None:
    """Each page has one place in the nav."""
    pages = _nav_pages(_config()["nav"])
    twice = sorted({page for page in pages if pages.count(page) > 1})
    assert not twice, f"pages listed more than once: {twice}"


def test_excluded_pages_exist_and_stay_out() -> None:
    """The exclusion list names real pages that the nav does not list."""
    nav = set(_nav_pages(_config()["nav"]))
    for page in NOT_IN_NAV:
        assert page in _pages_on_disk(), f"{page} is excluded but does not exist"
        assert page not in nav, f"{page} is excluded but listed in the nav"


@pytest.mark.parametrize("page", sorted(_pages_on_disk()))
def test_links_stay_inside_docs(page: str) -> None:
    """A relative link never leaves docs/ (the site has no such page; name the file as code)."""
    text = re.sub(r"```.*?```|`[^`\n]*`", "", (DOCS / page).read_text(encoding="utf-8"), flags=re.S)
    for target in _LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:|#", target):
            continue  # an absolute URL, or an anchor on the same page
        path = target.split("#", 1)[0]
        resolved = (DOCS / page).parent.joinpath(path).resolve()
        assert resolved.is_relative_to(DOCS.resolve()), f"{page} links outside docs/: {target}"
