"""The shapes of an export, named once.

Two layers:

- the *facts* (:class:`Snapshot` and what it holds): the text, its hash, the decision that
  approved it (and the amendments decided in its meeting), the audit chain head, comments,
  suggestions and contributors, in no language and no zone;
- the *document* (:class:`ExportDocument`): what a reader sees, as format-independent blocks
  (headings, paragraphs, lists, tables, quotes) with their inline spans. ``compose`` turns facts
  into a document once, in the reader's language and time zone; each renderer turns that
  document into the bytes of one format, and knows nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# Facts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    organisation: str
    country: str  # FR or TG ("?" for a member the application no longer knows)


@dataclass(frozen=True)
class Vote:
    organisation: str
    country: str
    member: str
    choice: str  # approve, abstain or object
    reason: str


@dataclass(frozen=True)
class NonVoter:
    """An organisation that had a vote on the proposal and did not cast it."""

    organisation: str
    country: str


@dataclass(frozen=True)
class Meeting:
    id: str
    title: str
    date: str  # YYYY-MM-DD


@dataclass(frozen=True)
class Decision:
    """The decision that accepted a proposal, with its full tally."""

    proposal_id: str
    outcome: str
    decided_at: datetime
    decided_by: Person | None  # None: closed by the operator, from the command line
    meeting: Meeting | None
    rule: Mapping[str, Any]  # quorum, mode, ballot
    voting_organisations: int
    voted: int
    quorum_met: bool
    approve: int
    abstain: int
    object: int
    votes: tuple[Vote, ...]
    not_voted: tuple[NonVoter, ...] = ()  # organisations with a vote that did not vote


@dataclass(frozen=True)
class Approval:
    """An approved version: what the proposal pinned, and whether the text rebuilt from the
    events still matches it."""

    number: int
    label: str
    pinned_sha256: str
    ok: bool
    problem: str
    decision: Decision


@dataclass(frozen=True)
class ChainSeal:
    """The audit chain head shown on the cover: the one the decision sealed (versions), or
    the stored head when the export was made (any other point)."""

    link: str | None  # None for a decision stored before the chain existed
    position: int | None
    sealed_by_decision: bool


@dataclass(frozen=True)
class NoteReply:
    author: Person
    created_at: datetime
    body: str


@dataclass(frozen=True)
class Remark:
    """What a comment thread and a suggestion appended to the export share: who, when, where
    (section and quote), in what state, and the replies."""

    id: str
    author: Person
    created_at: datetime
    status: str  # a thread: open or resolved; a suggestion: open, accepted, rejected, withdrawn
    section: str
    quote: str  # of a suggestion: empty for an insertion
    replies: tuple[NoteReply, ...]


@dataclass(frozen=True)
class Note(Remark):
    """A comment thread, appended to the export as a numbered note."""

    body: str


@dataclass(frozen=True)
class SuggestionNote(Remark):
    """A suggestion, appended to the export with its fate (``suggestions=open|all``)."""

    replacement: str  # empty: a deletion
    reason: str
    decided_by: Person | None  # None: not decided, or by the operator
    decided_at: datetime | None
    decision_reason: str
    by_committee: bool  # decided by a vote on amendments


@dataclass(frozen=True)
class AmendmentResult:
    """An amendment the committee decided in the meeting of a version's decision."""

    author: Person
    quote: str
    replacement: str
    outcome: str  # accepted or rejected
    applied: bool  # accepted and written into the text
    approve: int
    abstain: int
    object: int


@dataclass(frozen=True)
class Contributor:
    organisation: str
    country: str
    member: str
    characters: int  # of the exported text that this member's contributions inserted


@dataclass(frozen=True)
class SourcedInterview:
    """An interview cited by the text: when, whom it heard, which sections draw on it. Its
    notes are never part of an export."""

    date: str  # YYYY-MM-DD
    mode: str  # on_site, video or phone
    organisations: tuple[tuple[str, str], ...]  # (name, country)
    sections: tuple[str, ...]


@dataclass(frozen=True)
class SectionSources:
    heading: str
    interviews: int
    countries: Mapping[str, int]  # FR, TG: cited interviews that heard that country


@dataclass(frozen=True)
class SourcesAnnex:
    """The "Sources" annex: the interviews the exported text cites, and its coverage."""

    cited: tuple[SourcedInterview, ...]
    sections: tuple[SectionSources, ...]
    recorded: int  # interviews recorded, cited or not


@dataclass(frozen=True)
class ChangesSince:
    """ "Évolutions depuis la vN": the change note from version ``number`` to this text."""

    number: int
    note: str  # Markdown, without its title


@dataclass(frozen=True)
class Snapshot:
    """Everything an export says, gathered once from the store."""

    document_id: str
    title: str
    markdown: str
    sha256: str  # of the Markdown's UTF-8 bytes
    position: int  # contributions included
    current: bool  # the latest position (no version or position was asked for)
    at: datetime  # the decision's time (versions), else the time of the point
    approval: Approval | None
    chain: ChainSeal
    notes: tuple[Note, ...] | None = None  # None: not asked for
    contributors: tuple[Contributor, ...] | None = None
    suggestions: tuple[SuggestionNote, ...] | None = None  # None: not asked for
    amendments: tuple[AmendmentResult, ...] = ()  # decided in a version's meeting
    sources: SourcesAnnex | None = None
    changes: ChangesSince | None = None


# What the reader asked for -------------------------------------------------------------------


@dataclass(frozen=True)
class ExportOptions:
    format: str = "md"
    lang: str = "fr"
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    comments: str | None = None  # None, "open" or "all"
    contributors: bool = False
    suggestions: str | None = None  # None, "open" or "all"
    sources: bool = False  # the "Sources" annex
    changes: int | None = None  # "Évolutions depuis la vN"
    # The export's generation time, written in the files' metadata (DOCX and ODT properties,
    # PDF info, HTML meta, the bundle's ``generated_at``). Left unset, it is the snapshot's
    # own time, so the same request always gives the same bytes.
    generated_at: datetime | None = None

    def generated(self, snapshot: Snapshot) -> datetime:
        return self.generated_at or snapshot.at


# The document --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A run of text with one set of inline styles. A hard line break is the text "\\n"."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    strike: bool = False
    link: str | None = None


Inline = tuple[Span, ...]


@dataclass(frozen=True)
class Markup:
    """How a tag-based markup (HTML, ReportLab's paragraph markup) writes styled spans: one
    nesting order for all of them, each renderer giving only its own tags."""

    line_break: str
    escape: Callable[[str], str]
    code: tuple[str, str]
    strike: tuple[str, str]
    italic: tuple[str, str]
    bold: tuple[str, str]
    link: Callable[[str, str], str]  # (target, marked-up text) -> markup

    def inline(self, content: Inline) -> str:
        return "".join(self.span(span) for span in content)

    def span(self, span: Span) -> str:
        if span.text == "\n":
            return self.line_break
        text = self.escape(span.text)
        for styled, (opening, closing) in (
            (span.code, self.code),
            (span.strike, self.strike),
            (span.italic, self.italic),
            (span.bold, self.bold),
        ):
            if styled:
                text = f"{opening}{text}{closing}"
        return text if span.link is None else self.link(span.link, text)


@dataclass(frozen=True)
class Heading:
    level: int  # 1 to 6
    content: Inline


@dataclass(frozen=True)
class Paragraph:
    content: Inline


@dataclass(frozen=True)
class ListBlock:
    ordered: bool
    start: int
    items: tuple[tuple[Block, ...], ...]


@dataclass(frozen=True)
class Quote:
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]
    align: tuple[str, ...]  # per column: "left", "center", "right" or ""


@dataclass(frozen=True)
class CodeBlock:
    text: str


@dataclass(frozen=True)
class Rule:
    pass


Block = Heading | Paragraph | ListBlock | Quote | Table | CodeBlock | Rule


@dataclass(frozen=True)
class Cover:
    """The block every export but raw Markdown starts with: what the text is."""

    title: str
    subtitle: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Metadata:
    """What goes into the files' own properties."""

    title: str
    subject: str
    language: str  # of the text, BCP 47 ("fr-FR"): what spell-checkers and screen readers use
    cover_language: str  # of the cover's labels ("fr-FR", or "en-GB" for an English export)
    generated_at: datetime
    identifier: str  # SHA-256 of the text: also seeds the PDF's file identifier
    footer: str  # each page's footer, before the page number: title, version or date, hash


@dataclass(frozen=True)
class ExportDocument:
    metadata: Metadata
    cover: Cover
    body: tuple[Block, ...]
    appendix: tuple[Block, ...]


def plain(content: Inline) -> str:
    """The inline content as plain text (line breaks as spaces)."""
    return "".join(" " if span.text == "\n" else span.text for span in content)
