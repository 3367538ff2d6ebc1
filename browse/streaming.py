"""Streaming a download so that a failure shows as one: before the first byte, as an
error page; after it, as a transfer the client sees broken off, never as a file that
looks complete."""

import logging
from collections.abc import Generator, Iterator

logger = logging.getLogger(__name__)


def started(chunks: Generator[bytes], *, request) -> "Download":
    """`chunks`, with the first made now: an error in making it (a query that fails)
    is raised here, while the view can still answer with an error status. An error in
    making a later chunk is logged with the request's id and raised again, so that the
    server closes the connection without ending the response, and the client reports an
    incomplete download."""
    return Download(chunks, first=next(chunks, b""), request=request)


class Download:
    """A started download, for a StreamingHttpResponse: closing the response closes
    `chunks` too, even before it is read, so that the query behind them ends."""

    def __init__(self, chunks: Generator[bytes], *, first: bytes, request):
        self.chunks = chunks
        self.first = first
        self.request = request

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        sent = len(self.first)
        try:
            for chunk in self.chunks:
                yield chunk
                sent += len(chunk)
        except Exception:
            # The request's own log line went out before the body, as a success: this
            # one, with its id, says that the download broke off.
            logger.exception(
                "A download of %s broke off after %d bytes",
                self.request.path,
                sent,
                extra={"request": self.request},
            )
            raise

    def close(self) -> None:
        self.chunks.close()
