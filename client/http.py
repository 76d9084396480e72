"""The HTTP part of the Python client: documents, the committee (organisations, members,
rule, meetings, proposals, votes, decisions), approved versions, and the committee's live
event stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

import httpx

Json = dict[str, Any]


class PalabreHTTPError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class PalabreClient:
    """``async with PalabreClient(base_url, token) as client: ...``"""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=timeout)

    async def __aenter__(self) -> PalabreClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def health(self) -> dict[str, Any]:
        return cast(dict[str, Any], await self._json("GET", "/healthz"))

    async def documents(self) -> list[dict[str, Any]]:
        body = await self._json("GET", "/api/documents")
        return cast(list[dict[str, Any]], body["documents"])

    async def create_document(self, title: str) -> dict[str, Any]:
        return cast(dict[str, Any], await self._json("POST", "/api/documents", {"title": title}))

    async def document(self, document_id: str) -> dict[str, Any]:
        return cast(dict[str, Any], await self._json("GET", f"/api/documents/{document_id}"))

    async def text(self, document_id: str) -> str:
        return await self._text(f"{_doc(document_id)}/text")

    # Organisations ---------------------------------------------------------------------------

    async def organisations(self) -> list[Json]:
        return cast(list[Json], (await self._json("GET", "/api/organisations"))["organisations"])

    async def create_organisation(self, name: str, country: str) -> Json:
        body = {"name": name, "country": country}
        return cast(Json, await self._json("POST", "/api/organisations", body))

    async def document_organisations(self, document_id: str) -> list[Json]:
        """Organisations with members or a vote on this document, with ``votes``."""
        body = await self._json("GET", f"{_doc(document_id)}/organisations")
        return cast(list[Json], body["organisations"])

    async def set_organisation_voting(
        self, document_id: str, organisation_id: str, votes: bool
    ) -> Json:
        path = f"{_doc(document_id)}/organisations/{organisation_id}"
        return cast(Json, await self._json("PUT", path, {"votes": votes}))

    # Members ---------------------------------------------------------------------------------

    async def members(self, document_id: str) -> list[Json]:
        body = await self._json("GET", f"{_doc(document_id)}/members")
        return cast(list[Json], body["members"])

    async def add_member(
        self,
        document_id: str,
        name: str,
        organisation_id: str,
        role: str,
        votes: bool = False,
        delegate: bool = False,
    ) -> Json:
        """The new member, with their ``token`` (shown this once)."""
        body = {
            "name": name,
            "organisation_id": organisation_id,
            "role": role,
            "votes": votes,
            "delegate": delegate,
        }
        return cast(Json, await self._json("POST", f"{_doc(document_id)}/members", body))

    async def change_member(
        self, document_id: str, member_id: str, role: str | None = None, votes: bool | None = None
    ) -> Json:
        """Change a role or a vote; what is left as None stays as it is."""
        body: Json = {"role": role, "votes": votes}
        body = {key: value for key, value in body.items() if value is not None}
        path = f"{_doc(document_id)}/members/{member_id}"
        return cast(Json, await self._json("PATCH", path, body))

    async def remove_member(self, document_id: str, member_id: str) -> Json:
        path = f"{_doc(document_id)}/members/{member_id}"
        return cast(Json, await self._json("DELETE", path))

    # Rule ------------------------------------------------------------------------------------

    async def rule(self, document_id: str) -> Json:
        return cast(Json, await self._json("GET", f"{_doc(document_id)}/rule"))

    async def set_rule(
        self,
        document_id: str,
        quorum: float = 0.5,
        mode: str = "majority",
        ballot: str = "open",
    ) -> Json:
        body = {"quorum": quorum, "mode": mode, "ballot": ballot}
        return cast(Json, await self._json("PUT", f"{_doc(document_id)}/rule", body))

    # Meetings --------------------------------------------------------------------------------

    async def meetings(self, document_id: str) -> list[Json]:
        body = await self._json("GET", f"{_doc(document_id)}/meetings")
        return cast(list[Json], body["meetings"])

    async def open_meeting(self, document_id: str, title: str, date: str) -> Json:
        """``date`` is YYYY-MM-DD."""
        body = {"title": title, "date": date}
        return cast(Json, await self._json("POST", f"{_doc(document_id)}/meetings", body))

    async def meeting(self, document_id: str, meeting_id: str) -> Json:
        path = f"{_doc(document_id)}/meetings/{meeting_id}"
        return cast(Json, await self._json("GET", path))

    async def record_attendance(
        self, document_id: str, meeting_id: str, present: list[str]
    ) -> Json:
        path = f"{_doc(document_id)}/meetings/{meeting_id}/attendance"
        return cast(Json, await self._json("PUT", path, {"present": present}))

    async def close_meeting(self, document_id: str, meeting_id: str) -> Json:
        path = f"{_doc(document_id)}/meetings/{meeting_id}/close"
        return cast(Json, await self._json("POST", path))

    async def minutes(self, document_id: str, meeting_id: str) -> str:
        """The meeting's minutes, Markdown in French."""
        return await self._text(f"{_doc(document_id)}/meetings/{meeting_id}/minutes")

    # Proposals, votes, decisions -------------------------------------------------------------

    async def proposals(self, document_id: str) -> list[Json]:
        body = await self._json("GET", f"{_doc(document_id)}/proposals")
        return cast(list[Json], body["proposals"])

    async def propose(self, document_id: str, label: str) -> Json:
        """Propose the text as it stands now on the server."""
        path = f"{_doc(document_id)}/proposals"
        return cast(Json, await self._json("POST", path, {"label": label}))

    async def proposal(self, document_id: str, proposal_id: str) -> Json:
        path = f"{_doc(document_id)}/proposals/{proposal_id}"
        return cast(Json, await self._json("GET", path))

    async def vote(
        self,
        document_id: str,
        proposal_id: str,
        vote: str,
        reason: str | None = None,
        key: str | None = None,
    ) -> Json:
        """``vote`` is approve, abstain or object (an objection needs a reason). ``key``, an
        idempotency key chosen before the first attempt (``uuid4().hex``), makes a retry safe:
        the same vote under the same key gets the first answer and is not cast twice."""
        path = f"{_doc(document_id)}/proposals/{proposal_id}/votes"
        body = {"vote": vote, "reason": reason}
        return cast(Json, await self._json("POST", path, body, key=key))

    async def close_proposal(self, document_id: str, proposal_id: str) -> Json:
        """The closed proposal: its ``decision``, ``version`` and ``tally``."""
        path = f"{_doc(document_id)}/proposals/{proposal_id}/close"
        return cast(Json, await self._json("POST", path))

    # Approved versions -----------------------------------------------------------------------

    async def versions(self, document_id: str) -> list[Json]:
        body = await self._json("GET", f"{_doc(document_id)}/versions")
        return cast(list[Json], body["versions"])

    async def version(self, document_id: str, number: int) -> Json:
        path = f"{_doc(document_id)}/versions/{number}"
        return cast(Json, await self._json("GET", path))

    async def diff(self, document_id: str, old: int, new: int) -> Json:
        path = f"{_doc(document_id)}/versions/{old}/diff/{new}"
        return cast(Json, await self._json("GET", path))

    async def changes(
        self, document_id: str, old: int, new: int | str, lang: str = "fr", tz: str = "UTC"
    ) -> Json:
        """The change note from version ``old`` to version ``new`` (or ``"current"``):
        ``{"from", "to", "text" (Markdown), "sections", "organisations", ...}``."""
        path = f"{_doc(document_id)}/versions/{old}/changes/{new}?lang={lang}&tz={tz}"
        return cast(Json, await self._json("GET", path))

    # Live ------------------------------------------------------------------------------------

    def events(self, document_id: str, read_timeout: float | None = 60) -> EventStream:
        """The committee's events on a document:
        ``async with client.events(id) as events: async for event in events: ...``.

        Entering returns once the server has subscribed, so nothing published after that is
        missed. The server sends a keep-alive every 15 s; ``read_timeout`` (None: wait
        forever) ends a silent stream with ``httpx.ReadTimeout``."""
        return EventStream(self._http, f"{_doc(document_id)}/events", read_timeout)

    def live(self, document_id: str, **options: Any) -> Any:
        from palabre.client.live import LiveDocument

        if self.token is None:
            raise ValueError("a live document needs a token")
        return LiveDocument(self.base_url, document_id, self.token, **options)

    async def _json(self, method: str, path: str, body: Any = None, key: str | None = None) -> Any:
        """``key``: sent as ``Idempotency-Key`` (the server answers a retry as the first time)."""
        headers = None if key is None else {"Idempotency-Key": key}
        response = await self._http.request(method, path, json=body, headers=headers)
        _raise_for(response)
        return response.json()

    async def _text(self, path: str) -> str:
        response = await self._http.get(path)
        _raise_for(response)
        return response.text


@dataclass(frozen=True)
class ServerEvent:
    """One server-sent event: its kind (``proposal.opened``, ``vote.cast``...) and its data."""

    event: str
    data: Any


class EventStream:
    """A document's committee events, as an async iterator; see ``PalabreClient.events``.
    Iteration ends when the server ends the stream (after an ``end`` event, when it can)."""

    def __init__(self, http: httpx.AsyncClient, path: str, read_timeout: float | None) -> None:
        self._http = http
        self._path = path
        self._timeout = httpx.Timeout(30, read=read_timeout)
        self._response: httpx.Response | None = None
        self._lines: AsyncIterator[str] | None = None
        self.ready: Json = {}

    async def __aenter__(self) -> EventStream:
        request = self._http.build_request(
            "GET", self._path, headers={"Accept": "text/event-stream"}, timeout=self._timeout
        )
        self._response = await self._http.send(request, stream=True)
        if not self._response.is_success:
            await self._response.aread()
            await self.aclose()
            _raise_for(self._response)
        self._lines = self._response.aiter_lines()
        first = await self.__anext__()
        if first.event != "ready":
            await self.aclose()
            raise PalabreHTTPError(200, "bad_stream", f"expected ready, got {first.event}")
        self.ready = first.data
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._response is not None:
            await self._response.aclose()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> ServerEvent:
        """Read lines up to the next dispatched event; comments and retry are skipped."""
        if self._lines is None:
            raise RuntimeError("use the stream inside `async with`")
        kind = "message"
        data: list[str] = []
        async for line in self._lines:
            if not line:
                if data:
                    return ServerEvent(kind, json.loads("\n".join(data)))
                kind = "message"
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                kind = value
            elif field == "data":
                data.append(value)
        raise StopAsyncIteration


def _doc(document_id: str) -> str:
    return f"/api/documents/{document_id}"


def _raise_for(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except Exception:
        code, message = "http_error", response.text[:200]
    raise PalabreHTTPError(response.status_code, code, message)
