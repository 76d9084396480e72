"""Anchors of comments (and of suggestions and links to sources) in the CRDT, with real
pycrdt documents: ``server/crdt/anchors.py`` finds where a passage anchored by Yjs relative
positions stands in the live text, follows inserts and deletions around it, detaches it when
its text goes, and falls back to the quote (found once) when the positions are unusable."""

from __future__ import annotations

from palabre.server.crdt.anchors import AnchorQuery, AnchorRange, locate_anchor, locate_anchors
from palabre.server.crdt.replica import BODY, LiveText, rebuild
from pycrdt import Doc, Text

from tests.support.positions import quote_positions, relative_position, utf16
from tests.test_comments import QUOTE, TEXT


class Writer:
    """A client replica: edits in characters (pycrdt counts UTF-8 bytes), makes relative
    positions as a Yjs client would, and hands its state to a server replica."""

    def __init__(self, text: str = TEXT) -> None:
        self.doc: Doc[Text] = Doc()
        self.text: Text = self.doc.get(BODY, type=Text)
        self.text += text
        self.inserted = text

    def _bytes(self, index: int) -> int:
        return len(str(self.text)[:index].encode("utf-8"))

    def insert(self, index: int, value: str) -> None:
        self.text.insert(self._bytes(index), value)

    def delete(self, index: int, length: int) -> None:
        del self.text[self._bytes(index) : self._bytes(index + length)]

    def positions(self, quote: str = QUOTE) -> tuple[bytes, bytes]:
        """The quote's positions, as a Yjs client makes them; valid while the text is still
        the one insert of ``__init__``."""
        return quote_positions(self.doc.client_id, self.inserted, quote)

    def server(self) -> LiveText:
        return rebuild([self.doc.get_update()])


def located(writer: Writer, positions: tuple[bytes, bytes]) -> AnchorRange:
    return locate_anchor(writer.server(), QUOTE, *positions)


def test_an_anchor_follows_inserts_and_deletes_around_it() -> None:
    writer = Writer()
    positions = writer.positions()
    start = TEXT.index(QUOTE)
    assert located(writer, positions) == AnchorRange(start, start + len(QUOTE), False)
    writer.insert(0, "Préambule à Lomé.\n")  # accents before it: bytes are not characters
    writer.delete(str(writer.text).index("Relier"), len("Relier "))
    writer.insert(len(str(writer.text)), "Fin.")
    writer.insert(str(writer.text).index(QUOTE) + len(QUOTE), " (ESS)")  # just after it
    writer.insert(str(writer.text).index(QUOTE), "l'")  # just before it
    now = str(writer.text).index(QUOTE)
    where = located(writer, positions)
    assert where == AnchorRange(now, now + len(QUOTE), False)
    assert str(writer.text)[now : now + len(QUOTE)] == QUOTE


def test_an_anchor_follows_the_live_replica_update_by_update() -> None:
    writer = Writer()
    live = writer.server()
    positions = writer.positions()
    before = writer.doc.get_state()
    writer.insert(0, "Été : ")
    live.apply(writer.doc.get_update(before))
    now = str(writer.text).index(QUOTE)
    assert locate_anchor(live, QUOTE, *positions) == AnchorRange(now, now + len(QUOTE), False)


def test_an_anchor_detaches_when_its_text_is_deleted() -> None:
    writer = Writer()
    positions = writer.positions()
    writer.delete(TEXT.index(QUOTE), len(QUOTE))
    where = located(writer, positions)
    assert where.detached
    assert where.start == where.end
    writer.insert(0, QUOTE + " ")  # the same words typed elsewhere are another passage
    assert located(writer, positions).detached


def test_an_anchor_detaches_when_part_of_its_text_is_deleted() -> None:
    writer = Writer()
    positions = writer.positions()
    writer.delete(TEXT.index(QUOTE), len("économie "))
    assert located(writer, positions).detached


def test_without_usable_positions_the_unique_quote_is_found() -> None:
    writer = Writer()
    live = writer.server()
    start = TEXT.index(QUOTE)
    expected = AnchorRange(start, start + len(QUOTE), False)
    assert locate_anchor(live, QUOTE, None, None) == expected
    for garbage in (b"", b"\xff\xff\xff", b"\x00\x01", b"\x02\x01\x01", b"\x00\x01\x02\x00\x00"):
        assert locate_anchor(live, QUOTE, garbage, garbage) == expected
    assert locate_anchor(live, "Togo.\n#", None, None).detached  # absent
    assert locate_anchor(live, "e", None, None).detached  # ambiguous


def test_positions_on_items_the_server_lacks_fall_back_without_a_panic() -> None:
    writer = Writer()
    stored = writer.server()
    writer.insert(0, "Ajout pas encore reçu : ")
    after = utf16(TEXT)  # the client's next clocks
    client = writer.doc.client_id
    positions = relative_position(client, after, 0), relative_position(client, after + 4, -1)
    assert not locate_anchor(writer.server(), "Ajout", *positions).detached
    assert locate_anchor(stored, "Ajout", *positions).detached  # not in the text yet
    assert not locate_anchor(stored, QUOTE, *positions).detached  # the quote is


def test_positions_on_the_whole_text_stand_for_its_ends() -> None:
    writer = Writer("Tout le texte")
    start = b"\x01\x04body\x41"  # type-level, assoc -1: the start
    end = b"\x01\x04body\x00"  # type-level, assoc 0: the end
    assert locate_anchor(writer.server(), "Tout le texte", start, end) == (
        AnchorRange(0, 13, False)
    )
    other = b"\x01\x05other\x00"
    assert locate_anchor(writer.server(), "le", other, end).start == 5  # fallback


def test_many_anchors_at_once_with_emoji_and_concurrent_inserts() -> None:
    """One copy of the document for a whole list; characters outside the BMP count as one."""
    inserted = "🌍 Bretagne 🤝 Togo : économie sociale et solidaire, et coopération."
    writer = Writer(inserted)
    quotes = ["Bretagne", "Togo", QUOTE, "coopération"]
    queries = [AnchorQuery(q, *quote_positions(writer.doc.client_id, inserted, q)) for q in quotes]
    other: Doc[Text] = Doc()  # a second person types at the same places, concurrently
    other.apply_update(writer.doc.get_update())
    other_text = other.get(BODY, type=Text)
    other_text.insert(len("🌍 Bretagne".encode()), " (FR)")
    writer.insert(0, "👋 ")
    writer.doc.apply_update(other.get_update(writer.doc.get_state()))
    text = str(writer.text)
    assert "🌍 Bretagne (FR) 🤝" in text
    found = locate_anchors(writer.server(), queries)
    for quote, where in zip(quotes, found, strict=True):
        assert where == AnchorRange(text.index(quote), text.index(quote) + len(quote), False)
