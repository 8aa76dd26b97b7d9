"""A distribution's ``METADATA`` file as pip's report renders it (PEP 566's JSON form),
for what spip's checks read: the plans spip writes itself (uv's, an environment's) hold
the same ``metadata`` as pip's report."""

from __future__ import annotations

from typing import Any

_FIELDS = {
    "Name": "name",
    "Version": "version",
    "Summary": "summary",
    "Home-page": "home_page",
    "Download-URL": "download_url",
    "Author": "author",
    "Author-email": "author_email",
    "Maintainer": "maintainer",
    "Maintainer-email": "maintainer_email",
}
_LISTS = {"Project-URL": "project_url", "Requires-Dist": "requires_dist"}


def metadata_json(text: str) -> dict[str, Any]:
    """The fields of a METADATA file (headers, the description as their body) by their
    JSON names; a field the file leaves out is left out. As pip does, a non-empty body
    is the description, else the ``Description`` header."""
    from email.parser import HeaderParser  # the body stays one string, whatever it says

    message = HeaderParser().parsestr(text)
    meta: dict[str, Any] = {
        attr: str(message[key]) for key, attr in _FIELDS.items() if message[key] is not None
    }
    for key, attr in _LISTS.items():
        meta[attr] = [str(v) for v in message.get_all(key) or []]
    body = message.get_payload()
    description = body if isinstance(body, str) and body else message["Description"]
    if description is not None:
        meta["description"] = str(description)
    return meta
