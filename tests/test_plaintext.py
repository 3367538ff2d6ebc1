"""The one text-cleaning rule (`plaintext.plain`) that the matcher, search and the filters
share: curly quotes straight, and nothing that is not printable."""

import subprocess
import sys

from plaintext import plain


def test_curly_quotes_and_primes_are_read_as_straight_ones():
    assert plain("‘Staying Close’, „kinship“ and the children′s ‛voice”") == (
        "'Staying Close', \"kinship\" and the children's 'voice\""
    )


def test_what_is_not_printable_becomes_the_gap():
    text = "stay\x00ing\u200bclose\u202e\tnow\u00a0\ud800"
    assert plain(text) == "stay ing close  now  "
    assert plain(text, gap="") == "stayingclosenow"


def test_a_filter_can_keep_the_quotes_as_they_are_stored():
    assert plain("“kinship”\x00", gap="", straight_quotes=False) == "“kinship”"


def test_printable_text_comes_back_as_it_was():
    text = "Family Help, é and 😀 — all printable"
    assert plain(text) == text


def test_it_imports_nothing_from_django():
    # The matcher uses it, and must not need the Django apps.
    code = "import sys, plaintext; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
