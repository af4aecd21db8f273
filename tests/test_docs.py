"""Every document the code cites is in the repository, and so is the heading it names.

Code cites ``docs/PAGE.md#heading-anchor``, resolved from the repository root
(docs/README.md#citing-these-pages-from-code). Any other ``something.md`` in a comment or
docstring (a bare ``NAME.md``, a path into a folder the repository does not have), or a path
under ``docs/`` or ``research/`` that is not there, names a document a reader cannot open,
and fails here. Links between the pages of ``docs/`` are
checked the same way, relative to ``docs/``. Web addresses are left alone.
"""

from __future__ import annotations

import doctest
import re
import sys
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
CODE_FOLDERS = ("db", "scrapers", "monitor", "config", "bench", "tests")
TEXT_SUFFIXES = frozenset({".py", ".yaml", ".yml", ".j2", ".mako", ".toml", ".cfg", ".ini", ".txt", ".md"})

URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+")
MD_CITATION = re.compile(
    r"(?<![\w/.-])((?:[\w.-]+/)*[\w-][\w.-]*\.md\b|(?:docs|research)/[\w./-]*[\w/])(?:#([\w-]*))?"
)
MD_LINK = re.compile(r"\]\(([^)\s]+\.md)(?:#([\w-]*))?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading.

    >>> github_anchor("429 and Retry-After"), github_anchor("Finnish and Swedish morphology")
    ('429-and-retry-after', 'finnish-and-swedish-morphology')
    """
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    """The anchors of a Markdown page's headings (fenced code blocks skipped)."""
    found = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        m = None if fenced else HEADING.match(line)
        if m:
            found.add(github_anchor(m.group(1)))
    return frozenset(found)


def citations(text: str, *, links_only: bool) -> list[tuple[int, str, str | None]]:
    """(line number, cited .md path, anchor or None) for each citation in ``text``.

    >>> citations("see docs/ted.md#limits and sources.md, not https://x.org/a.md", links_only=False)
    [(1, 'docs/ted.md', 'limits'), (1, 'sources.md', None)]
    >>> citations("from research/keywords.yaml, see docs/fixtures/", links_only=False)
    [(1, 'research/keywords.yaml', None), (1, 'docs/fixtures/', None)]
    >>> citations("[TED](ted.md#fields) or `deviations.md`", links_only=True)
    [(1, 'ted.md', 'fields')]
    """
    pattern = MD_LINK if links_only else MD_CITATION
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        line = URL.sub(" ", line)
        for m in pattern.finditer(line):
            out.append((number, m.group(1), m.group(2) or None))
    return out


def problems(path: Path, base: Path, *, links_only: bool = False) -> list[str]:
    """What is wrong with the citations in one file, resolving them from ``base``."""
    out = []
    name = path.relative_to(REPO) if path.is_relative_to(REPO) else path.name
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, cited, anchor in citations(text, links_only=links_only):
        target = (base / cited).resolve()
        if not target.exists() or not target.is_relative_to(REPO):
            out.append(f"{name}:{number}: cites {cited}, which is not in the repository")
        elif anchor is not None and anchor not in anchors(target):
            out.append(f"{name}:{number}: cites {cited}#{anchor}, but {cited} has no such heading")
    return out


def code_files() -> list[Path]:
    this = Path(__file__).resolve()
    files = []
    for folder in CODE_FOLDERS:
        for path in sorted((REPO / folder).rglob("*")):
            wanted = path.suffix in TEXT_SUFFIXES and "__pycache__" not in path.parts
            # This file's own examples are deliberately bad citations.
            if wanted and path.is_file() and path.resolve() != this:
                files.append(path)
    return files


def test_code_cites_only_documents_in_the_repository() -> None:
    found = [p for path in code_files() for p in problems(path, REPO)]
    assert not found, "\n".join(found)


def test_docs_link_only_to_pages_and_headings_that_exist() -> None:
    found = [p for page in sorted(DOCS.glob("*.md")) for p in problems(page, DOCS, links_only=True)]
    assert not found, "\n".join(found)


def test_the_docs_index_lists_every_page() -> None:
    listed = {cited for _, cited, _ in citations((DOCS / "README.md").read_text(), links_only=True)}
    pages = {page.name for page in DOCS.glob("*.md")} - {"README.md"}
    assert pages <= listed, f"docs/README.md does not list {sorted(pages - listed)}"


def test_a_bad_citation_is_caught(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "# Field map: eforms.md §3 and docs/research/eforms.md\n"
        "# see docs/ted.md#no-such-heading and docs/ted.md#limits\n",
        encoding="utf-8",
    )
    assert [p.split(": ", 1)[1] for p in problems(sample, REPO)] == [
        "cites eforms.md, which is not in the repository",
        "cites docs/research/eforms.md, which is not in the repository",
        "cites docs/ted.md#no-such-heading, but docs/ted.md has no such heading",
    ]


def test_doctests() -> None:
    failed, tried = doctest.testmod(sys.modules[__name__])
    assert tried and not failed
