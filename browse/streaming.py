"""Streaming a download so that a failure shows as one: before the first byte, as an
error page; after it, as a transfer the client sees broken off, never as a file that
looks complete."""

import logging
from collections.abc import Iterator

logger = logging.getLogger(__name__)


def started(chunks: Iterator[bytes], *, request) -> Iterator[bytes]:
    """`chunks`, with the first made now: an error in making it (a query that fails)
    is raised here, while the view can still answer with an error status. An error in
    making a later chunk is logged with the request's id and raised again, so that the
    server closes the connection without ending the response, and the client reports an
    incomplete download."""
    first = next(chunks, b"")
    return _rest(first, chunks, request=request)


def _rest(first: bytes, chunks: Iterator[bytes], *, request) -> Iterator[bytes]:
    yield first
    sent = len(first)
    try:
        for chunk in chunks:
            yield chunk
            sent += len(chunk)
    except Exception:
        # The request's own log line is written before the body is sent, as a success:
        # this one, with its id, says that the download broke off.
        logger.exception(
            "A download of %s broke off after %d bytes",
            request.path,
            sent,
            extra={"request": request},
        )
        raise
