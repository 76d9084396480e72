"""The HTTP part of the Python client."""

from __future__ import annotations

from types import TracebackType
from typing import Any, cast

import httpx


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
        response = await self._http.get(f"/api/documents/{document_id}/text")
        _raise_for(response)
        return response.text

    def live(self, document_id: str, **options: Any) -> Any:
        from palabre.client.live import LiveDocument

        if self.token is None:
            raise ValueError("a live document needs a token")
        return LiveDocument(self.base_url, document_id, self.token, **options)

    async def _json(self, method: str, path: str, body: Any = None) -> Any:
        response = await self._http.request(method, path, json=body)
        _raise_for(response)
        return response.json()


def _raise_for(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except Exception:
        code, message = "http_error", response.text[:200]
    raise PalabreHTTPError(response.status_code, code, message)
