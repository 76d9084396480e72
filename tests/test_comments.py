"""Comments anchored to passages: the domain's rules against the real store (SQLite and
PostgreSQL), and the HTTP interface against a real server with live typing and the live event
channel. Anchors in the CRDT are tested in ``test_anchors.py``."""

from __future__ import annotations

import base64
from typing import Any
from uuid import uuid4

import pytest
from palabre.client import LiveDocument, PalabreClient, PalabreHTTPError
from palabre.client.comments import Comments
from palabre.domain.application import PalabreApplication
from palabre.domain.comment import MAX_BODY, Anchor
from palabre.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from palabre.domain.roles import Country, Role

from tests.conftest import Seed
from tests.support.people import People, acting
from tests.support.positions import quote_positions
from tests.support.server import ServerProcess

Json = dict[str, Any]
QUOTE = "économie sociale et solidaire"
TEXT = f"# Le projet\n\nRelier les acteurs de l'{QUOTE} en Bretagne et au Togo.\n"


# The domain ----------------------------------------------------------------------------------


def anchor(quote: str = QUOTE, section: str = "Le projet") -> Anchor:
    return Anchor.parse(quote, section, None)


def test_commenters_editors_and_coordinators_comment_and_reply_observers_read(
    application: PalabreApplication, people: People
) -> None:
    doc = people.document_id
    for author in (people.commenter, people.editor, people.coordinator):
        with acting(author):
            thread = application.comment(doc, f"Remarque de {author}", anchor())
            application.reply_to_comment(doc, thread.id, "Merci")
        assert thread.author_id == author
    with acting(people.observer):
        with pytest.raises(Forbidden, match="observers cannot comment"):
            application.comment(doc, "Je ne peux pas", anchor())
        with pytest.raises(Forbidden, match="observers cannot reply"):
            application.reply_to_comment(doc, thread.id, "Moi non plus")
        assert len(application.comments(doc)) == 3  # but they read
    with pytest.raises(Forbidden, match="command line"):
        application.comment(doc, "L'opérateur", anchor())


def test_only_authors_edit_their_own_words(application: PalabreApplication, people: People) -> None:
    doc = people.document_id
    with acting(people.commenter):
        thread = application.comment(doc, "Premier jet", anchor())
    with acting(people.editor):
        reply = application.reply_to_comment(doc, thread.id, "Une réponse")
    for other in (people.editor, people.coordinator):
        with acting(other), pytest.raises(Forbidden, match="only its author"):
            application.edit_comment(doc, thread.id, "Réécrit")
    with acting(people.commenter), pytest.raises(Forbidden, match="only its author"):
        application.edit_comment(doc, thread.id, "Réécrit", reply.id)
    with acting(people.commenter):
        edited = application.edit_comment(doc, thread.id, "Version corrigée")
    with acting(people.editor):
        edited = application.edit_comment(doc, thread.id, "Réponse corrigée", reply.id)
    assert edited.body == "Version corrigée"
    assert edited.edited_at is not None
    assert [(r.body, r.edited_at is not None) for r in edited.replies] == [
        ("Réponse corrigée", True)
    ]
    with acting(people.commenter), pytest.raises(NotFound, match="no reply"):
        application.edit_comment(doc, thread.id, "x", str(uuid4()))


def test_the_author_or_a_coordinator_resolves_and_reopens(
    application: PalabreApplication, people: People
) -> None:
    doc = people.document_id
    with acting(people.commenter):
        thread = application.comment(doc, "À revoir", anchor())
    with acting(people.editor), pytest.raises(Forbidden, match="author or a coordinator"):
        application.resolve_comment(doc, thread.id)
    with acting(people.commenter):
        resolved = application.resolve_comment(doc, thread.id)
        with pytest.raises(Conflict, match="already resolved"):
            application.resolve_comment(doc, thread.id)
    assert resolved.status == "resolved"
    assert resolved.resolved_by == people.commenter
    with acting(people.editor), pytest.raises(Forbidden, match="author or a coordinator"):
        application.reopen_comment(doc, thread.id)
    with acting(people.coordinator):
        reopened = application.reopen_comment(doc, thread.id)
        with pytest.raises(Conflict, match="open already"):
            application.reopen_comment(doc, thread.id)
        assert application.resolve_comment(doc, thread.id).resolved_by == people.coordinator
    assert reopened.status == "open"
    assert reopened.resolved_by is None


def test_listing_per_document_and_status(application: PalabreApplication, people: People) -> None:
    doc = people.document_id
    other = application.create_document("Autre référentiel").id
    with acting(people.coordinator), pytest.raises(Forbidden, match="no role"):
        application.comment(other, "Pas ici", anchor())
    everywhere = application.add_member("Ama Dzifa", "Université de Lomé", Country.TG, Role.EDITOR)
    with acting(everywhere.member.id):
        first = application.comment(doc, "Un", anchor())
        second = application.comment(doc, "Deux", anchor(section="Les acteurs"))
        application.comment(other, "Ailleurs", anchor())
    with acting(people.coordinator):
        application.resolve_comment(doc, first.id)
    assert [t.body for t in application.comments(doc)] == ["Un", "Deux"]
    assert [t.id for t in application.comments(doc, "resolved")] == [first.id]
    assert [t.id for t in application.comments(doc, "open")] == [second.id]
    assert [t.id for t in application.comments(doc, section="Les acteurs")] == [second.id]
    assert [t.id for t in application.comments(doc, "open", "Le projet")] == []
    assert [t.body for t in application.comments(other)] == ["Ailleurs"]
    with pytest.raises(NotFound, match="on this document"):
        application.comment_thread(other, first.id)
    with pytest.raises(InvalidInput, match="unknown status"):
        application.comments(doc, "closed")
    with pytest.raises(NotFound):
        application.comments(uuid4())


def test_bodies_quotes_and_anchors_are_bounded(
    application: PalabreApplication, people: People
) -> None:
    doc = people.document_id
    refused: list[tuple[str, Anchor | None, str]] = [
        ("", None, "body must not be empty"),
        ("   \n", None, "body must not be empty"),
        ("x" * (MAX_BODY + 1), None, "longer than 10000"),
        ("bip\x07", None, "control characters"),
    ]
    with acting(people.editor):
        for body, where, message in refused:
            with pytest.raises(InvalidInput, match=message):
                application.comment(doc, body, where or anchor())
        assert application.comment(doc, "x" * MAX_BODY, anchor()).body == "x" * MAX_BODY
        assert application.comment(doc, "  deux lignes\n\tici ", anchor()).body == (
            "deux lignes\n\tici"
        )
    position = base64.b64encode(b"\x00\x01\x02\x00").decode()
    for quote, positions, message in [
        ("", None, "quote must not be empty"),
        (7, None, "quote must be a string"),
        ("q" * 2001, None, "quote is longer"),
        (QUOTE, {"start": position}, "anchor.end must be a base64"),
        (QUOTE, {"start": "%%%", "end": position}, "not valid base64"),
        (QUOTE, {"start": "A" * 400, "end": position}, "at most 128 bytes"),
        (QUOTE, {"start": position, "end": position, "x": 1}, "anchor must be an object"),
        (QUOTE, ["start"], "anchor must be an object"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            Anchor.parse(quote, "", positions)
    with pytest.raises(InvalidInput, match="section is longer"):
        Anchor.parse(QUOTE, "s" * 301)
    kept = Anchor.parse(QUOTE, None, {"start": position, "end": position})
    assert (kept.section, kept.start, kept.end) == ("", position, position)


# Over HTTP, against a real server ------------------------------------------------------------


async def status_of(call: Any) -> int:
    try:
        await call
    except PalabreHTTPError as error:
        return error.status
    return 200


async def typed(server: ServerProcess, seed: Seed) -> tuple[bytes, bytes]:
    """The editor types the text live; the anchor's positions come from their replica."""
    async with LiveDocument(server.base_url, seed.document_id, seed.editor) as live:
        await live.wait_synced()
        live.insert(0, TEXT)
        await live.wait_saved()
        return quote_positions(live.doc.client_id, TEXT, QUOTE)


async def test_a_thread_over_http_with_live_events(server: ServerProcess, seed: Seed) -> None:
    doc = seed.document_id
    start, end = await typed(server, seed)
    async with (
        PalabreClient(server.base_url, seed.commenter) as commenter_http,
        PalabreClient(server.base_url, seed.editor) as editor_http,
        PalabreClient(server.base_url, seed.coordinator) as coordinator_http,
        coordinator_http.events(doc, read_timeout=30) as events,
    ):
        commenter, editor = Comments(commenter_http), Comments(editor_http)
        coordinator = Comments(coordinator_http)
        created = await commenter.create(
            doc, "Préciser les acteurs", QUOTE, "Le projet", start, end
        )
        assert created["author"]["name"] == "Maëlle Tanguy"
        assert (created["detached"], created["status"], created["quote"]) == (
            False,
            "open",
            QUOTE,
        )
        assert created["range"] == {"start": TEXT.index(QUOTE), "end": TEXT.index(QUOTE) + 29}
        cid = created["id"]
        replied = await editor.reply(doc, cid, "D'accord, je m'en charge")
        assert replied["reply"]["author"]["name"] == "Yann Le Gall"
        edited = await editor.edit(doc, cid, "Je m'en charge", replied["reply"]["id"])
        assert [r["body"] for r in edited["replies"]] == ["Je m'en charge"]
        assert (await commenter.resolve(doc, cid))["status"] == "resolved"
        assert (await coordinator.reopen(doc, cid))["resolved_by"] is None
        kinds = [(await anext(events)).event for _ in range(5)]
        assert kinds == [
            "comment.created",
            "comment.replied",
            "comment.edited",
            "comment.resolved",
            "comment.reopened",
        ]
        assert [c["id"] for c in await coordinator.threads(doc, "open")] == [cid]
        assert await coordinator.threads(doc, "resolved") == []


async def test_a_deleted_passage_shows_as_detached(server: ServerProcess, seed: Seed) -> None:
    doc = seed.document_id
    start, end = await typed(server, seed)
    async with PalabreClient(server.base_url, seed.commenter) as http:
        comments = Comments(http)
        cid = (await comments.create(doc, "À vérifier", QUOTE, "", start, end))["id"]
        fallback = (await comments.create(doc, "Sans positions", QUOTE))["id"]
        async with LiveDocument(server.base_url, doc, seed.editor) as live:
            await live.wait_synced()
            live.insert(0, "Préambule.\n")
            await live.wait_saved()  # the server has it: its room holds the same text
            [thread, other] = await comments.threads(doc)
            shift = len("Préambule.\n")
            assert thread["range"]["start"] == TEXT.index(QUOTE) + shift
            assert not thread["detached"]
            assert not other["detached"]
            live.delete(live.value.index(QUOTE), len(QUOTE))
            await live.wait_saved()
            assert (await comments.get(doc, cid))["detached"]  # against the live room
            assert (await comments.get(doc, fallback))["detached"]
        [thread, other] = await comments.threads(doc)  # kept, whichever text is used
        assert (thread["id"], thread["detached"], thread["quote"]) == (cid, True, QUOTE)


async def test_refusals_over_http(server: ServerProcess, seed: Seed) -> None:
    doc = seed.document_id
    async with (
        PalabreClient(server.base_url, seed.commenter) as commenter_http,
        PalabreClient(server.base_url, seed.editor2) as editor2_http,
        PalabreClient(server.base_url, seed.observer) as observer_http,
        PalabreClient(server.base_url, seed.coordinator) as coordinator_http,
    ):
        commenter, editor2 = Comments(commenter_http), Comments(editor2_http)
        observer, coordinator = Comments(observer_http), Comments(coordinator_http)
        cid = (await commenter.create(doc, "Une remarque", "le passage"))["id"]
        assert await status_of(observer.create(doc, "Non", "le passage")) == 403
        assert await status_of(observer.reply(doc, cid, "Non")) == 403
        assert len(await observer.threads(doc)) == 1
        assert await status_of(editor2.edit(doc, cid, "Pas à moi")) == 403
        assert await status_of(editor2.resolve(doc, cid)) == 403
        assert await status_of(coordinator.edit(doc, cid, "Pas à moi non plus")) == 403
        assert await status_of(coordinator.resolve(doc, cid)) == 200
        assert await status_of(coordinator.resolve(doc, cid)) == 409
        assert await status_of(commenter.get(doc, str(uuid4()))) == 404
        assert await status_of(commenter.get(doc, "pas-un-id")) == 400
        assert await status_of(commenter.create(doc, "", "le passage")) == 400
        assert await status_of(commenter.create(doc, "x" * 10_001, "le passage")) == 400
        assert await status_of(commenter.threads(doc, "fermé")) == 400
        raw = await commenter_http._http.post(
            f"/api/documents/{doc}/comments",
            json={"body": "b", "quote": "q", "anchor": {"start": "!!", "end": "!!"}},
        )
        assert raw.status_code == 400
