"""The page's security in Debian's Chromium against a real server: revoking a member's
invitation link closes their open page at once (nothing they type afterwards is stored), the
Content-Security-Policy lets the whole client run without one violation. (The websocket
Origin check is tested with a real client sending browsers' Origin headers: test_security.)"""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import Seed
from tests.support.browser import invitation, open_as, server_text
from tests.support.server import ServerProcess
from tests.test_web import NewContext, backend, new_context, saved, type_at_end

pytestmark = pytest.mark.browser
__all__ = ["backend", "new_context"]  # the fixtures, shared with test_web

WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


def test_revoking_the_link_closes_the_open_page_within_the_policy(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    context = new_context()
    context.add_init_script(WATCH_VIOLATIONS)
    page = open_as(context, invitation(server, seed.document_id, seed.coordinator, seed.editor))
    type_at_end(page, "Avant la révocation. ")
    saved(page)
    for tab in ("Comité", "Historique", "Exports", "Texte"):  # every screen, under the CSP
        page.get_by_role("tab", name=tab).click()
    member_id = page.evaluate("() => window.palabre.me.id")
    revoked = httpx.delete(
        f"{server.base_url}/api/documents/{seed.document_id}/members/{member_id}/invitation",
        headers={"Authorization": f"Bearer {seed.coordinator}"},
    )
    assert revoked.json()["revoked"] == 1
    status = page.locator(".status")
    expect(status).to_have_attribute("data-state", "closed")
    expect(status).to_contain_text("4401")
    type_at_end(page, "Après la révocation.")
    time.sleep(1)  # several batch windows: anything accepted would be stored by now
    assert "Après" not in server_text(server, seed.document_id, seed.coordinator)
    assert "Avant la révocation." in server_text(server, seed.document_id, seed.coordinator)
    assert page.evaluate("() => window.__violations") == []
