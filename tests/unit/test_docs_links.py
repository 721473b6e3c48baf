"""Every relative link of README.md and docs/*.md leads somewhere: to a file or folder that
exists and, with `#anchor`, to a heading of that page (GitHub's anchors)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)  # to a bare closing fence
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def prose(text: str) -> str:
    """The text outside fenced code blocks and code spans, where links are links."""
    text = FENCE.sub("", text)
    return re.sub(r"(`+).+?\1", "", text, flags=re.S)


def anchors(page: Path) -> set:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, and a
    repeated heading numbered (-1, -2, ...)."""
    seen = {}
    found = set()
    text = FENCE.sub("", page.read_text())
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else "%s-%d" % (slug, count))
    return found


def broken_links(page: Path) -> list:
    broken = []
    for target in LINK.findall(prose(page.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check
            continue
        path, _, anchor = target.partition("#")
        goal = (page.parent / path).resolve() if path else page
        if not goal.exists():
            broken.append("%s: no such file" % target)
        elif anchor and goal.suffix == ".md" and anchor not in anchors(goal):
            broken.append("%s: no such heading in %s" % (target, goal.name))
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_somewhere(page):
    assert broken_links(page) == []


def test_a_broken_link_is_seen(tmp_path):
    (tmp_path / "other.md").write_text("# A heading\n\n## Twice\n\n## Twice\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page: `code` and more\n\n"
        "[fine](other.md#a-heading) [second](other.md#twice-1) [here](#page-code-and-more)\n"
        "[gone](missing.md) ![gone](img/none.png) [no heading](other.md#nowhere)\n"
        "[twice too many](other.md#twice-2) [web](https://example.com/x)\n"
        "`[in code](nowhere.md)`\n\n```md\n[fenced](nowhere.md)\n```\n\n## Heading after a fence\n"
        "```sh\n# not a heading\n```\n[after](#heading-after-a-fence) [comment](#not-a-heading)\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "img/none.png: no such file",
        "other.md#nowhere: no such heading in other.md",
        "other.md#twice-2: no such heading in other.md",
        "#not-a-heading: no such heading in page.md",
    ]
