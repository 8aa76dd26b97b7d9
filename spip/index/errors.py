"""What can go wrong talking to an index, as exceptions of this layer."""

from __future__ import annotations

# Answers worth asking again for (a gateway that timed out, a server restarting), and how
# long to wait before the next try (times the attempt).
TRANSIENT_STATUS = frozenset({502, 503, 504})
RETRY_DELAY = 0.25


class DataUnavailable(Exception):
    """Data could not be had from the index (server down, garbage answer, timeout)."""

    # True: the gap is a risk in itself (a MEDIUM ``unverified``), not index trouble.
    fails_closed = False


class FileUnknown(DataUnavailable):
    """No index spip can ask describes the file pip chose (by its sha256): nothing can be
    learned about it, which is never a reason to wave it through (MEDIUM ``unverified``)."""

    fails_closed = True


class Unreached(DataUnavailable):
    """spip could not connect to an index that pip resolved from (refused, TLS, proxy,
    the connection dropped): pip got there and spip did not, so what it would have
    learned there is missing for a reason spip cannot rule out (MEDIUM ``unverified``)."""

    fails_closed = True


class ClientSettingsError(Exception):
    """pip's network settings (a certificate, a proxy) cannot be used; the message says which."""
