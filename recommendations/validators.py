"""Validators that both apps' models use."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

# An address that a page links to: only the web's own schemes, never javascript:, data:
# or ftp:, which Django's URLField would otherwise accept some of.
web_address = URLValidator(
    schemes=["http", "https"], message="Enter a web address starting http:// or https://."
)


def is_web_address(url: str) -> bool:
    """Whether a page may link to `url`: rows stored before `web_address` was checked,
    or loaded from a fixture, may hold a javascript: or data: URL, shown but never linked."""
    try:
        web_address(url)
    except ValidationError:
        return False
    return True
