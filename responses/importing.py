"""Importing a response document from a file: .txt, .md or .html, all or nothing.

The file's text is kept as it is (HTML reduced to its readable text), so that asks can
later be quoted from it verbatim. Anything wrong with the input is an ImportRefused with
a one-line reason, raised before anything is written.
"""

import datetime
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from recommendations.validators import web_address

from . import limits, rules
from .models import DatePrecision, DocumentKind, Organisation, OrganisationKind, ResponseDocument

SUFFIXES = {".txt": "text", ".md": "text", ".html": "html", ".htm": "html"}


class ImportRefused(ValueError):
    """The input cannot be imported; the message says why in one line."""


class _TextOfHTML(HTMLParser):
    """The readable text of an HTML page: no scripts, styles or other invisible parts;
    block elements on lines of their own; list items as "- " lines."""

    HIDDEN = frozenset("script style noscript template head svg iframe object".split())
    BLOCKS = frozenset(
        """p div section article main header footer aside nav h1 h2 h3 h4 h5 h6 ul ol li
        blockquote pre table tr br hr dl dt dd figure figcaption address""".split()
    )

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden_depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden_depth += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n- " if tag == "li" else "\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden_depth:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).split("\n"))
        return "\n".join(line for line in lines if line and line != "-")


def text_of_html(html: str) -> str:
    """The readable text of `html`, one block per line."""
    parser = _TextOfHTML()
    parser.feed(html)
    parser.close()
    return parser.text()


def read_text(*, path: Path) -> str:
    """The text of the file at `path`, ready to store as a document's text.

    Refuses files that are missing, unreadable, too large, of another type, binary,
    not UTF-8, or without any text.
    """
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ImportRefused(
            f"{path.name}: only {', '.join(sorted(SUFFIXES))} files can be imported."
        )
    try:
        size = path.stat().st_size
        raw = b"" if size > limits.DOCUMENT_FILE_BYTES else _read_at_most(path)
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ImportRefused(f"Cannot read {path}: {reason}.") from None
    size = max(size, len(raw))
    if size > limits.DOCUMENT_FILE_BYTES:
        raise ImportRefused(
            f"{path.name} is {limits.size_in_words(size, 'byte')}; the largest document "
            f"accepted is {limits.size_in_words(limits.DOCUMENT_FILE_BYTES, 'byte')}."
        )
    # PostgreSQL cannot store a NUL, and text never holds one: it is a binary file.
    if (nul := raw.find(b"\x00")) >= 0:
        raise ImportRefused(f"{path.name} is a binary file, not text (a NUL byte at byte {nul:,}).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            rules.not_utf8(path.name, where=f"byte {error.start:,} is not UTF-8")
        ) from None
    try:
        rules.check_is_utf8_text(text, what=path.name)
    except ValidationError as error:
        raise ImportRefused(error.messages[0]) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "html":
        text = text_of_html(text)
    # Control characters other than line breaks and tabs are corruption, not text. Format
    # characters (right-to-left marks, zero-width joiners) are text, and kept.
    control = next(
        (i for i, ch in enumerate(text) if unicodedata.category(ch) == "Cc" and ch not in "\n\t"),
        None,
    )
    if control is not None:
        raise ImportRefused(
            f"{path.name} contains the control character U+{ord(text[control]):04X} "
            f"(character {control + 1:,}); it is not plain text."
        )
    text = text.strip()
    if not text:
        raise ImportRefused(f"{path.name} has no text.")
    return text


def _read_at_most(path: Path) -> bytes:
    # One byte more than the limit, so that a file that grew since its size was read is
    # refused too, without reading all of it.
    with path.open("rb") as file:
        return file.read(limits.DOCUMENT_FILE_BYTES + 1)


def check_field(value: str, *, name: str, limit: int) -> None:
    """Refuse `value`, given on the command line as the `name`, unless it can be stored
    as it is: no NUL (PostgreSQL cannot store one), valid Unicode (a name in another
    encoding arrives with lone surrogates) and at most `limit` characters."""
    if "\x00" in value:
        raise ImportRefused(f"The {name} contains a NUL character, which cannot be stored.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ImportRefused(f"The {name} is not valid UTF-8 text; give it in UTF-8.") from None
    if len(value) > limit:
        raise ImportRefused(
            f"The {name} is {limits.size_in_words(len(value), 'character')} long; "
            f"the longest accepted is {limits.size_in_words(limit, 'character')}."
        )


_DATE_FORMS = [
    (re.compile(r"\d{4}"), "%Y", DatePrecision.YEAR),
    (re.compile(r"\d{4}-\d{2}"), "%Y-%m", DatePrecision.MONTH),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "%Y-%m-%d", DatePrecision.DAY),
]


def parse_published(value: str | None) -> tuple[datetime.date | None, str]:
    """A publication date as YYYY, YYYY-MM or YYYY-MM-DD, as (first day, precision);
    (None, "") when not given."""
    if value is None or not value.strip():
        return None, ""
    value = value.strip()
    for pattern, form, precision in _DATE_FORMS:
        if pattern.fullmatch(value):
            try:
                return datetime.datetime.strptime(value, form).date(), precision
            except ValueError:
                break
    raise ImportRefused(f"{value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD.")


def unique_slug(name: str) -> str:
    """A slug for a new organisation called `name` that no organisation has yet."""
    base = slugify(name)[:190] or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def import_response(
    *,
    path: Path,
    organisation: str,
    title: str,
    kind: str,
    published: str | None = None,
    url: str = "",
    organisation_kind: str = OrganisationKind.OTHER,
) -> tuple[ResponseDocument, bool]:
    """Import the file at `path` as a document of `organisation` (created if no
    organisation has that name, ignoring case) and return it, with whether the
    organisation is new. Raises ImportRefused, having written nothing, on bad input."""
    organisation, title, url = organisation.strip(), title.strip(), (url or "").strip()
    check_field(organisation, name="organisation's name", limit=limits.ORGANISATION_NAME_CHARS)
    check_field(title, name="title", limit=limits.DOCUMENT_TITLE_CHARS)
    check_field(url, name="URL", limit=limits.URL_CHARS)
    if not organisation:
        raise ImportRefused("Give the organisation's name.")
    if not title:
        raise ImportRefused("Give the document's title.")
    if kind not in DocumentKind.values:
        raise ImportRefused(f"Unknown kind {kind!r}; use one of {', '.join(DocumentKind.values)}.")
    if organisation_kind not in OrganisationKind.values:
        raise ImportRefused(
            f"Unknown organisation kind {organisation_kind!r}; "
            f"use one of {', '.join(OrganisationKind.values)}."
        )
    if url:
        try:
            web_address(url)
        except ValidationError:
            raise ImportRefused(f"{url!r} is not an http(s) URL.") from None
    date, precision = parse_published(published)
    text = read_text(path=path)

    with transaction.atomic():
        found = Organisation.objects.filter(name__iexact=organisation).first()
        created = found is None
        if created:
            found = Organisation.objects.create(
                name=organisation, slug=unique_slug(organisation), kind=organisation_kind
            )
        if found.documents.filter(title__iexact=title).exists():
            raise ImportRefused(f"{found.name} already has a document titled {title!r}.")
        if found.documents.filter(text=text).exists():
            raise ImportRefused(f"{found.name} already has a document with exactly this text.")
        document = ResponseDocument(
            organisation=found,
            title=title,
            kind=kind,
            published=date,
            published_precision=precision,
            url=url,
            text=text,
        )
        try:
            document.full_clean()
        except ValidationError as error:
            raise ImportRefused(" ".join(error.messages)) from None
        document.save()
    return document, created
