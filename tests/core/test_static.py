from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/portal/portal.css", "text/css"),
        ("/static/portal/portal.js", "text/javascript"),
        ("/static/portal/favicon.svg", "image/svg+xml"),
    ],
)
def test_vendored_assets_are_served_by_the_portal_itself(client, path, content_type):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert b"".join(response.streaming_content)


def test_pages_load_no_asset_from_another_origin(client, alice):
    client.force_login(alice)
    body = client.get("/").content.decode()

    for marker in ('src="http', 'href="http', 'src="//', 'href="//'):
        # Links in course text may point elsewhere; the layout itself must not.
        assert marker not in body.split("<main")[0], marker
