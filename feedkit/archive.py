"""RFC 5005 archived feeds: a small subscription document plus archive pages (pure).

`plan_archives` splits one planned feed holding *all* its entries (newest first) into:

- the subscription document: same file name, id and title, its newest `max_entries` entries,
  its own links (a WebSub hub, …) and a `prev-archive` link to the newest archive page;
- archive pages `archive/<stem>/<N><suffix>` beside it (`zh.atom.xml` ->
  `archive/zh/1.atom.xml`, `tag/ai/zh.atom.xml` -> `tag/ai/archive/zh/1.atom.xml`), numbered
  from the *oldest* entry: page 1 holds the oldest `page_size` entries, page 2 the next ones, …;
  only the newest page may be partly filled.  Entries keep newest-first order inside a page.

Each page is marked `fh:archive` and links `current` (the subscription document),
`prev-archive` (page N-1, unless N = 1) and `next-archive` (page N+1, only once it exists:
RFC 5005 section 4 wants it "unless there are no following archives", never a dangling one).
A page's `updated` is its newest entry's, its title the feed title and the dates it spans (ISO
dates, so no language is mixed in), its id `base_url + file name`, else a `urn:uuid:` derived
from the subscription feed id and the page number.  Archive pages carry none of the subscription
document's other links (a hub announces changes; a page is not meant to change).

What changes from one run to the next, given how the entries change:

- New (newer) entries: the subscription document changes, the newest page fills up and, once it
  is full, the next new entry starts page N+1 -- at which point page N gains its `next-archive`
  link.  That one rewrite is the only one: a page that has a successor never changes again.  Its
  set of entries never changes at all once it is full (RFC 5005 4: "SHOULD NOT change").
- An entry is deleted, or one turns up dated older than entries already archived: pages are
  recomputed from the current entry set, so every page from that point on shifts by one entry.
  That is the honest behaviour of a stateless planner; pinning pages would need the store to
  remember which entry went into which page.  A reader that stops walking `prev-archive` at the
  first page it has already fetched (RFC 5005 4.2) may miss a backdated entry, and keeps a
  deleted one, as with any feed.
- An archived entry is edited: only the page holding it changes (its entry and `updated`).

Links are absolute when `base_url` is set.  Without one they are relative references
(`2.atom.xml`, `../../zh.atom.xml`, `archive/zh/3.atom.xml`) that readers resolve against the
document's own location (RFC 4287 allows relative IRIs in `href`); they are correct when the
output folder is served as is, but a feed validator (and tests/conformance.py) wants absolute
URLs, so set `base_url` when publishing archives.
"""

from __future__ import annotations

from dataclasses import replace

from feedkit.ids import urn_uuid5
from feedkit.model import PlannedEntry, PlannedFeed

ATOM_TYPE = "application/atom+xml"
ARCHIVE_FOLDER = "archive"


def plan_archives(
    feed: PlannedFeed, *, max_entries: int, page_size: int, base_url: str
) -> list[PlannedFeed]:
    """The subscription document, then archive pages 1..N (oldest first).

    `feed` holds every entry of the logical feed, newest first, and carries the subscription
    document's identity (file name, id, title, links)."""
    if max_entries < 0:
        raise ValueError(f"max_entries must be 0 or more, got {max_entries}")
    if page_size < 1:
        raise ValueError(f"archive page size must be 1 or more, got {page_size}")
    current = feed.entries[:max_entries]
    oldest_first = feed.entries[max_entries:][::-1]
    pages = [oldest_first[i : i + page_size] for i in range(0, len(oldest_first), page_size)]
    names = [archive_filename(feed.filename, n) for n in range(1, len(pages) + 1)]

    def href(source: str, target: str) -> str:
        return base_url + target if base_url else _relative(source, target)

    links = feed.links
    if names:
        links += (("prev-archive", href(feed.filename, names[-1]), ATOM_TYPE),)
    subscription = replace(
        feed,
        entries=current,
        updated=max((e.updated for e in current), default=feed.updated),
        links=links,
        archive=False,
    )
    documents = [subscription]
    for index, (name, page) in enumerate(zip(names, pages, strict=True)):
        page_links = [("current", href(name, feed.filename), ATOM_TYPE)]
        if index > 0:
            page_links.append(("prev-archive", href(name, names[index - 1]), ATOM_TYPE))
        if index + 1 < len(names):
            page_links.append(("next-archive", href(name, names[index + 1]), ATOM_TYPE))
        documents.append(
            replace(
                feed,
                filename=name,
                id=base_url + name if base_url else _page_urn(feed.id, index + 1),
                title=f"{feed.title} · {_span(page)}",
                self_url=base_url + name if base_url else "",
                updated=max(e.updated for e in page),
                entries=page[::-1],
                links=tuple(page_links),
                archive=True,
            )
        )
    return documents


def archive_filename(filename: str, page: int) -> str:
    """Where page `page` of the feed `filename` goes: `tag/ai/zh.atom.xml`, 2 ->
    `tag/ai/archive/zh/2.atom.xml`."""
    folder, _, base = filename.rpartition("/")
    stem, dot, suffix = base.partition(".")
    prefix = f"{folder}/" if folder else ""
    return f"{prefix}{ARCHIVE_FOLDER}/{stem}/{page}{dot}{suffix}"


def _relative(source: str, target: str) -> str:
    """`target` as a reference relative to the document `source` (both output-relative)."""
    source_dirs = source.split("/")[:-1]
    target_parts = target.split("/")
    common = 0
    while (
        common < len(source_dirs)
        and common < len(target_parts) - 1
        and source_dirs[common] == target_parts[common]
    ):
        common += 1
    ups = [".."] * (len(source_dirs) - common)
    return "/".join(ups + target_parts[common:])


def _page_urn(feed_id: str, page: int) -> str:
    return urn_uuid5(f"feedkit-archive:{feed_id}#{page}")


def _span(page: tuple[PlannedEntry, ...]) -> str:
    """The publication dates a page spans (UTC), e.g. `2024-05-01 – 2024-06-10`."""
    first = min(e.published for e in page).date().isoformat()
    last = max(e.published for e in page).date().isoformat()
    return first if first == last else f"{first} – {last}"
