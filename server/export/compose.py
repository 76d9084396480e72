"""Facts to document: the cover (with the amendments decided in a version's meeting), the body
parsed from the Markdown, and the appendices (the change note since a version and the
sources, ``annexes.py``; numbered comment notes, suggestions with their fate, contributors by
organisation), in the reader's language and time zone. Built once per export; every renderer
reads the same document."""

from __future__ import annotations

import re
import unicodedata

from palabre.server.export import markdown
from palabre.server.export.annexes import changes_blocks, sources_blocks
from palabre.server.export.labels import (
    Labels,
    labels,
    long_date,
    long_datetime,
    percent,
    short_datetime,
)
from palabre.server.export.minutes import NBSP
from palabre.server.export.model import (
    AmendmentResult,
    Approval,
    Block,
    ChainSeal,
    Contributor,
    Cover,
    Decision,
    ExportDocument,
    ExportOptions,
    Heading,
    Inline,
    ListBlock,
    Metadata,
    Note,
    NoteReply,
    Paragraph,
    Person,
    Snapshot,
    Span,
    SuggestionNote,
    Table,
)

TEXT_LANGUAGE = "fr-FR"  # the référentiel is written in French, whatever the labels' language


def compose(snapshot: Snapshot, options: ExportOptions) -> ExportDocument:
    words = labels(options.lang)
    subtitle = _subtitle(snapshot, options, words)
    metadata = Metadata(
        title=snapshot.title,
        subject=subtitle,
        language=TEXT_LANGUAGE,
        cover_language=words.language,
        generated_at=options.generated(snapshot),
        identifier=snapshot.sha256,
        footer=_footer(snapshot, options, words),
    )
    cover = Cover(snapshot.title, subtitle, _cover_blocks(snapshot, options, words))
    return ExportDocument(
        metadata, cover, markdown.parse(snapshot.markdown), _appendix(snapshot, options, words)
    )


def _footer(snapshot: Snapshot, options: ExportOptions, words: Labels) -> str:
    """What each page's footer says the file is: the version, or the point of the history by
    its date and time (a position means nothing to a reader); and the start of the hash."""
    if snapshot.approval is not None:
        which = f"v{snapshot.approval.number}"
    else:
        which = words.footer_state.format(
            date=short_datetime(snapshot.at, options.zone, options.lang)
        )
    return f"{snapshot.title} · {which} · SHA-256 {snapshot.sha256[:16]}…"


def file_name(snapshot: Snapshot, options: ExportOptions) -> str:
    """``referentiel-commun_v3_2026-11-23.pdf`` for a version (the day of its decision), or
    ``referentiel-commun_etat_2026-11-23_14h02.pdf`` for a point of the history (its day and
    time): words a reader recognises, in the reader's zone; never a position."""
    local = snapshot.at.astimezone(options.zone)
    day = local.date().isoformat()
    if snapshot.approval is not None:
        which = f"v{snapshot.approval.number}_{day}"
    else:
        which = f"{labels(options.lang).file_state}_{day}_{local:%H}h{local:%M}"
    return f"{slug(snapshot.title)}_{which}.{options.format}"  # formats are extensions


def slug(title: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")
    return words[:60].rstrip("-") or "document"


# The cover -----------------------------------------------------------------------------------


def _subtitle(snapshot: Snapshot, options: ExportOptions, words: Labels) -> str:
    if snapshot.approval is not None:
        return words.version.format(number=snapshot.approval.number, label=snapshot.approval.label)
    template = words.current if snapshot.current else words.state
    when = long_datetime(snapshot.at, options.zone, options.lang)
    return template.format(
        date=when, contributions=words.counted(words.contributions, snapshot.position)
    )


def _cover_blocks(snapshot: Snapshot, options: ExportOptions, words: Labels) -> tuple[Block, ...]:
    """The decision, then what identifies the text (its hash, the audit chain), then each
    organisation's vote and the amendments decided in the meeting: the lists come last, so a
    long one never pushes the hash over."""
    blocks: list[Block] = []
    approval = snapshot.approval
    if approval is None:
        blocks.append(_field(words, words.decision, (Span(words.no_decision),)))
    else:
        blocks += _decision(approval, options, words)
    blocks.append(_field(words, words.sha256, (Span(snapshot.sha256, code=True),)))
    if approval is not None and approval.pinned_sha256 != snapshot.sha256:
        blocks.append(_field(words, words.pinned, (Span(approval.pinned_sha256, code=True),)))
    if approval is not None and not approval.ok:
        blocks.append(Paragraph((Span(f"{words.mismatch}. {approval.problem}", bold=True),)))
    blocks.append(_field(words, words.chain, _chain(snapshot.chain, words)))
    if approval is not None and approval.decision.votes:
        blocks.append(Paragraph((Span(words.votes_heading, bold=True),)))
        blocks += _votes(approval.decision, words)
    if snapshot.amendments:
        blocks.append(Paragraph((Span(f"{words.amendments}{words.colon}", bold=True),)))
        blocks.append(_amendments(snapshot.amendments, words))
    return tuple(blocks)


def _amendments(amendments: tuple[AmendmentResult, ...], words: Labels) -> Block:
    """Each amendment decided in the version's meeting: the change, who suggested it, the
    committee's decision and its count."""
    items = []
    for a in amendments:
        outcome = words.amendment_outcomes.get(a.outcome, a.outcome)
        if a.outcome == "accepted" and not a.applied:
            outcome = f"{outcome}, {words.not_applied}"
        counts = {"approve": a.approve, "abstain": a.abstain, "object": a.object}
        tally = ", ".join(f"{words.choices[k].lower()} {n}" for k, n in counts.items())
        line = (
            *_change(a.quote, a.replacement, words),
            Span(f" ({_person(a.author)}){words.colon} "),
            Span(outcome, bold=True),
            Span(f" ({tally})"),
        )
        items.append((Paragraph(line),))
    return ListBlock(ordered=True, start=1, items=tuple(items))


def _decision(approval: Approval, options: ExportOptions, words: Labels) -> list[Block]:
    """Who decided (the committee, under its rule) and who closed the vote (a coordinator),
    kept apart so that no reader takes the one for the other."""
    decision = approval.decision
    when = long_datetime(decision.decided_at, options.zone, options.lang)
    who = _person(decision.decided_by) if decision.decided_by else words.operator
    meeting = (
        f"{decision.meeting.title}, {long_date(decision.meeting.date, options.lang)}"
        if decision.meeting is not None
        else words.no_meeting
    )
    rule = decision.rule
    rule_text = words.rule_words.format(
        quorum=percent(float(rule["quorum"]), options.lang),
        mode=words.modes.get(str(rule["mode"]), str(rule["mode"])),
        ballot=words.ballots.get(str(rule["ballot"]), str(rule["ballot"])),
    )
    decided = (
        Span(f"{words.decided.format(date=when)}{words.semicolon} {words.closed_by} "),
        Span(who, bold=True),
    )
    blocks: list[Block] = [
        _field(words, words.decision, decided),
        _field(words, words.meeting, (Span(meeting),)),
        _field(words, words.rule, (Span(rule_text),)),
        _field(words, words.result, (Span(_result(approval, words)),)),
    ]
    if decision.not_voted:
        names = ", ".join(
            f"{o.organisation} ({words.countries.get(o.country, o.country)})"
            for o in decision.not_voted
        )
        name = words.not_voted[0 if len(decision.not_voted) == 1 else 1]
        blocks.append(_field(words, name, (Span(names),)))
    return blocks


def _votes(decision: Decision, words: Labels) -> list[Block]:
    """One row per organisation that voted, then each reason given, at full width under the
    table (an objection's reason is read, not squeezed into a column)."""
    rows = tuple(
        (
            (Span(v.organisation),),
            (Span(words.countries.get(v.country, v.country)),),
            (Span(v.member),),
            (Span(words.choices.get(v.choice, v.choice), bold=v.choice == "object"),),
        )
        for v in decision.votes
    )
    header = tuple((Span(name),) for name in words.vote_columns)
    blocks: list[Block] = [Table(header, rows, ("",) * len(header))]
    for v in decision.votes:
        if v.reason:
            why = words.reason_for.get(v.choice, v.choice)
            name = f"{why} — {v.organisation} ({v.member}){words.colon} "
            blocks.append(Paragraph((Span(name, bold=True), *_lines(v.reason))))
    return blocks


def _result(approval: Approval, words: Labels) -> str:
    d = approval.decision
    quorum = words.quorum_met[d.quorum_met]
    noun = words.plural(words.organisations, d.voting_organisations)
    voted = words.counted(words.voted, d.voted, total=d.voting_organisations, noun=noun)
    counts = {"approve": d.approve, "abstain": d.abstain, "object": d.object}
    tally = ", ".join(words.plural(words.tally[k], n) for k, n in counts.items())
    return f"{quorum}, {voted}{words.semicolon} {tally}"


def _chain(chain: ChainSeal, words: Labels) -> Inline:
    if chain.link is None:
        return (Span(words.chain_missing),)
    template = words.chain_sealed if chain.sealed_by_decision else words.chain_now
    before, _, after = template.partition("{link}")
    rest = after.format(position=chain.position, nbsp=NBSP)
    return (Span(before), Span(chain.link, code=True), Span(rest))


def _field(words: Labels, name: str, value: Inline) -> Paragraph:
    return Paragraph((Span(f"{name}{words.colon} ", bold=True), *value))


def _person(person: Person) -> str:
    return f"{person.name} ({person.organisation})"


# Appendices ----------------------------------------------------------------------------------


def _appendix(snapshot: Snapshot, options: ExportOptions, words: Labels) -> tuple[Block, ...]:
    blocks: list[Block] = []
    if snapshot.changes is not None:
        blocks += changes_blocks(snapshot.changes, options.lang)
    if snapshot.sources is not None:
        blocks += sources_blocks(snapshot.sources, options.lang)
    if snapshot.notes is not None:
        heading = words.notes_open_heading if options.comments == "open" else words.notes_heading
        blocks.append(Heading(1, (Span(heading),)))
        if snapshot.notes:
            items = tuple(_note(note, options, words) for note in snapshot.notes)
            blocks.append(ListBlock(ordered=True, start=1, items=items))
    if snapshot.suggestions is not None:
        open_only = options.suggestions == "open"
        heading = words.suggestions_open_heading if open_only else words.suggestions_heading
        blocks.append(Heading(1, (Span(heading),)))
        items = tuple(_suggestion(s, options, words) for s in snapshot.suggestions)
        blocks.append(
            ListBlock(ordered=True, start=1, items=items)
            if items
            else Paragraph((Span(words.no_suggestions),))
        )
    if snapshot.contributors is not None:
        blocks.append(Heading(1, (Span(words.contributors_heading),)))
        blocks.append(_contributors(snapshot.contributors, words))
    return tuple(blocks)


def _note(note: Note, options: ExportOptions, words: Labels) -> tuple[Block, ...]:
    when = long_datetime(note.created_at, options.zone, options.lang)
    status = words.status.get(note.status, note.status)
    where = f" ({words.section} {note.section})" if note.section else ""
    blocks: list[Block] = [
        Paragraph((Span(_person(note.author), bold=True), Span(f", {when}, {status}"))),
        Paragraph((Span(_quoted(note.quote, words), italic=True), Span(where))),
        Paragraph(_lines(note.body)),
    ]
    return (*blocks, *_replies(note.replies, options, words))


def _suggestion(note: SuggestionNote, options: ExportOptions, words: Labels) -> tuple[Block, ...]:
    """A suggestion and its fate: who, when and where; the change; the reason; what became
    of it (who decided, when, why); the replies."""
    when = long_datetime(note.created_at, options.zone, options.lang)
    where = f", {words.section} {note.section}" if note.section else ""
    blocks: list[Block] = [
        Paragraph((Span(_person(note.author), bold=True), Span(f", {when}{where}"))),
        Paragraph(_change(note.quote, note.replacement, words)),
    ]
    if note.reason:
        blocks.append(_field(words, words.suggestion_reason, _lines(note.reason)))
    blocks.append(_field(words, words.fate, _fate(note, options, words)))
    return (*blocks, *_replies(note.replies, options, words))


def _replies(
    replies: tuple[NoteReply, ...], options: ExportOptions, words: Labels
) -> tuple[Block, ...]:
    """A thread's replies, one bullet each: who, when, what."""
    if not replies:
        return ()
    items = tuple(
        (
            Paragraph(
                (
                    Span(_person(r.author), bold=True),
                    Span(f", {long_datetime(r.created_at, options.zone, options.lang)}"),
                    Span(f"{words.colon} "),
                    *_lines(r.body),
                )
            ),
        )
        for r in replies
    )
    return (
        Paragraph((Span(words.replies, bold=True),)),
        ListBlock(ordered=False, start=1, items=items),
    )


def _change(quote: str, replacement: str, words: Labels) -> Inline:
    """The change a suggestion makes: the quote struck through, the replacement in bold."""
    if not quote:
        return (Span(f"{words.insertion} "), Span(_quoted(replacement, words), bold=True))
    if not replacement:
        return (Span(f"{words.deletion} "), Span(_quoted(quote, words), strike=True))
    return (
        Span(_quoted(quote, words), strike=True),
        Span(" → "),
        Span(_quoted(replacement, words), bold=True),
    )


def _fate(note: SuggestionNote, options: ExportOptions, words: Labels) -> Inline:
    template = words.fates.get(note.status, note.status)
    if note.decided_at is None:
        return (Span(template),)
    when = long_datetime(note.decided_at, options.zone, options.lang)
    spans = [Span(template.format(date=when))]
    if note.status != "withdrawn":
        who = (
            words.by_committee
            if note.by_committee
            else _person(note.decided_by)
            if note.decided_by is not None
            else words.operator
        )
        spans.append(Span(who, bold=True))
    if note.decision_reason:
        spans.append(Span(f"{words.colon} "))
        spans += _lines(note.decision_reason)
    return tuple(spans)


def _contributors(contributors: tuple[Contributor, ...], words: Labels) -> Block:
    if not contributors:
        return Paragraph((Span(words.no_contributors),))
    header = tuple((Span(name),) for name in words.contributor_columns)
    rows = tuple(
        (
            (Span(c.organisation),),
            (Span(words.countries.get(c.country, c.country)),),
            (Span(c.member),),
            (Span(str(c.characters)),),
        )
        for c in contributors
    )
    return Table(header, rows, ("", "", "", "right"))


def _quoted(text: str, words: Labels) -> str:
    flat = " ".join(text.split())
    return f"«{NBSP}{flat}{NBSP}»" if words.lang == "fr" else f"“{flat}”"


def _lines(text: str) -> Inline:
    """Plain text with its line breaks kept."""
    spans: list[Span] = []
    for index, line in enumerate(text.split("\n")):
        if index:
            spans.append(Span("\n"))
        if line:
            spans.append(Span(line))
    return tuple(spans)
