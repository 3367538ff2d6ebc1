"""Validators that both apps' models use."""

from django.core.validators import URLValidator

# An address that a page links to: only the web's own schemes, never javascript:, data:
# or ftp:, which Django's URLField would otherwise accept some of.
web_address = URLValidator(
    schemes=["http", "https"], message="Enter a web address starting http:// or https://."
)
