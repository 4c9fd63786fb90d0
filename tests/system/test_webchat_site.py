"""The /webchat demo page and rasa-webchat's bundle, served by our widget
server from node_modules: no CDN, no Google Fonts, no inline script."""

from __future__ import annotations

import re

import requests


def test_webchat_page_loads_rasa_webchat_from_our_server(stack):
    page = requests.get(f"{stack.site_url}/webchat", params={"kommune": "glostrup"}, timeout=10)
    assert page.status_code == 200 and "Glostrup Kommune" in page.text
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert [re.search(r'src="([^"]+)"', s).group(1) for s in scripts] == [
        "/widget/rasa-webchat.js",
        "/widget/webchat.js",
    ]
    assert f'data-server="{stack.url}"' in page.text and 'data-kommune="glostrup"' in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and f"connect-src 'self' {stack.url} " in csp
    assert "script-src" not in csp  # scripts: 'self' only, from default-src
    assert requests.get(f"{stack.site_url}/webchat", params={"kommune": "atlantis"}, timeout=10).status_code == 404


def test_rasa_webchat_bundle_is_served_without_google_fonts(stack):
    bundle = requests.get(f"{stack.site_url}/widget/rasa-webchat.js", timeout=10)
    assert bundle.status_code == 200 and bundle.headers["Content-Type"].startswith("application/javascript")
    assert "WebChat" in bundle.text and "session_request" in bundle.text
    assert "fonts.googleapis.com" not in bundle.text
    init = requests.get(f"{stack.site_url}/widget/webchat.js", timeout=10)
    assert init.status_code == 200 and 'socketPath: "/socket.io/"' in init.text
