"""E-mail domains of metadata address fields."""

from __future__ import annotations

import email.utils


def email_domains(*fields: str | None) -> set[str]:
    """Lower-case domains of the addresses in metadata e-mail fields.

    Handles several addresses per field and display names (``Name <a@b.org>, c@d.org``).
    """
    found = set()
    for _, address in email.utils.getaddresses([f for f in fields if f]):
        domain = address.rpartition("@")[2].strip().strip(".").lower()
        if "@" in address and domain:
            found.add(domain)
    return found
