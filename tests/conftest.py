import pytest
from django.core.management import call_command


@pytest.fixture
def corpus(db):
    """The corpus that carereview ships with, loaded as `make run` loads it."""
    call_command("load_corpus", stdout=open("/dev/null", "w"))
