"""Comment threads as answers: the thread, its replies, their authors, and where its passage
stands in the live text now (``range``, or ``detached`` once its text was deleted)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.comment import Reply, Thread
from palabre.domain.ids import DocumentId
from palabre.domain.shapes import Json
from palabre.server.crdt.anchors import AnchorRange
from palabre.server.storage.store import Store
from palabre.server.texts import DocumentTexts

People = Mapping[str, Json]


async def thread_answers(
    store: Store, texts: DocumentTexts, document_id: DocumentId, threads: Sequence[Thread]
) -> list[Json]:
    """The threads as answers, their anchors placed in the live text."""
    people = await store.call(people_of, store.application, threads)
    ranges = await texts.locate(document_id, [thread.anchor for thread in threads])
    return [thread_json(t, r, people) for t, r in zip(threads, ranges, strict=True)]


def people_of(application: PalabreApplication, threads: Iterable[Thread]) -> dict[str, Json]:
    """Each author once: a thread of 50 replies by three people costs three reads."""
    listed = list(threads)
    ids = {t.author_id for t in listed} | {r.author_id for t in listed for r in t.replies}
    return {str(i): author_json(application.member(i)) for i in ids}


def thread_json(thread: Thread, where: AnchorRange, people: People) -> Json:
    anchor = thread.anchor
    positions = None if anchor.start is None else {"start": anchor.start, "end": anchor.end}
    found = None if where.start is None else {"start": where.start, "end": where.end}
    return {
        "id": str(thread.id),
        "document_id": str(thread.document_id),
        "author": people[str(thread.author_id)],
        "body": thread.body,
        "quote": anchor.quote,
        "section": anchor.section,
        "anchor": positions,
        "range": found,
        "detached": where.detached,
        "status": thread.status,
        "resolved_by": None if thread.resolved_by is None else str(thread.resolved_by),
        "created_at": thread.created_at.isoformat(),
        "edited_at": thread.edited_at,
        "replies": [reply_json(r, people) for r in thread.replies],
    }


def reply_json(reply: Reply, people: People) -> Json:
    return {
        "id": reply.id,
        "author": people[str(reply.author_id)],
        "body": reply.body,
        "created_at": reply.created_at,
        "edited_at": reply.edited_at,
    }


def author_json(info: MemberInfo) -> Json:
    organisation = info.organisation
    return {
        "id": str(info.id),
        "name": info.name,
        "organisation": organisation.name,
        "country": organisation.country.value,
    }
