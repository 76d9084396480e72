"""Invitation links: ``{PALABRE_PUBLIC_URL}/d/{document_id}#invite={token}``. The token
travels in the fragment, which browsers never send to the server, so it stays out of every
access log; the page moves it into the browser's storage and removes it from the address bar.
"""

from __future__ import annotations

from uuid import UUID

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"  # the command line's base without the setting


def invitation_url(base_url: str, document_id: UUID, token: str) -> str:
    return f"{base_url.rstrip('/')}/d/{document_id}#invite={token}"
