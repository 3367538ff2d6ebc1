"""The data package (`/export/carereview-data.zip`, `manage.py export_package`): every export
in one zip with a Frictionless datapackage.json, the data dictionary and a CITATION.cff,
written as it is sent."""

import csv
import datetime
import hashlib
import io
import re
import threading
import tracemalloc
import zipfile
from pathlib import Path

import frictionless
import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from browse import dictionary, export, package
from browse.caching import data_version
from recommendations.models import Report
from responses.models import Organisation

README = Path(__file__).resolve().parent.parent / "README.md"
EXPORTS = ("asks", "recommendations", "organisations", "matrix", "stages")
# A moment the URL and the command both take as now, so that their bytes can be compared.
TAKEN = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


def download(client) -> bytes:
    response = client.get(reverse("export_package"))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def unpacked(data: bytes, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder / "datapackage.json"


def failures(report) -> list:
    return report.flatten(["type", "message"])


@pytest.mark.django_db
def test_the_package_is_a_zip_attachment_of_every_export_and_its_descriptions(corpus, client):
    response = client.get(reverse("export_package"))
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    today = timezone.now().date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="carereview-data-{today}.zip"'
    )
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [
            "datapackage.json",
            "data-dictionary.md",
            "CITATION.cff",
            *(f"{name}.csv" for name in EXPORTS),
        ]
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o644}


@pytest.mark.django_db
def test_frictionless_finds_the_package_valid_foreign_keys_and_all(corpus, client, tmp_path):
    descriptor = unpacked(download(client), tmp_path)
    report = frictionless.validate(descriptor)
    assert failures(report) == []
    assert report.valid
    assert sorted(task.name for task in report.tasks) == sorted(EXPORTS)
    keys = {
        resource.name: [key["reference"]["resource"] for key in resource.schema.foreign_keys]
        for resource in frictionless.Package(descriptor).resources
    }
    assert keys == {
        "asks": ["organisations", "recommendations"],
        "recommendations": [],
        "organisations": [],
        "matrix": ["organisations"],
        "stages": ["recommendations"],
    }


def rewrite(path: Path, *, column: str, value: str) -> None:
    """Set `column` to `value` in the first data row of the CSV at `path`."""
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    rows[1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, column, points_at",
    [
        ("stages", "ref", "recommendations"),
        ("asks", "organisation_slug", "organisations"),
        ("matrix", "organisation_slug", "organisations"),
    ],
)
def test_a_broken_foreign_key_is_caught(corpus, client, tmp_path, name, column, points_at):
    descriptor = unpacked(download(client), tmp_path)
    rewrite(tmp_path / f"{name}.csv", column=column, value="nowhere-at-all")
    report = frictionless.validate(descriptor)
    assert not report.valid
    [(kind, message)] = failures(report)
    assert kind == "foreign-key"
    assert '"nowhere-at-all"' in message and f'lookup table "{points_at}"' in message


@pytest.mark.django_db
def test_a_status_outside_its_vocabulary_is_caught(corpus, client, tmp_path):
    descriptor = unpacked(download(client), tmp_path)
    rewrite(tmp_path / "stages.csv", column="status", value="half_done")
    [(kind, message)] = failures(frictionless.validate(descriptor))
    assert kind == "constraint-error" and 'constraint "enum"' in message


@pytest.mark.django_db
def test_the_packages_csvs_are_the_exports_byte_for_byte(corpus, client):
    with zipfile.ZipFile(io.BytesIO(download(client))) as archive:
        for name in EXPORTS:
            response = client.get(reverse(f"export_{name}"))
            assert archive.read(f"{name}.csv") == b"".join(response.streaming_content), name


@pytest.mark.django_db
def test_each_schema_has_the_columns_of_its_file_in_order(corpus, client):
    with zipfile.ZipFile(io.BytesIO(download(client))) as archive:
        described = yaml.safe_load(archive.read("datapackage.json"))
        for resource in described["resources"]:
            header = archive.read(resource["path"]).decode().split("\r\n", 1)[0]
            assert [field["name"] for field in resource["schema"]["fields"]] == header.split(",")


@pytest.mark.django_db
def test_the_citation_names_the_data_version_date_and_every_source(corpus, client, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: TAKEN)
    with zipfile.ZipFile(io.BytesIO(download(client))) as archive:
        citation = yaml.safe_load(archive.read("CITATION.cff"))
        described = yaml.safe_load(archive.read("datapackage.json"))
    assert citation["cff-version"] == "1.2.0"
    assert citation["version"] == described["version"] == f"{data_version():x}"
    assert citation["date-released"] == "2026-11-30"
    assert citation["authors"] == [{"name": "carereview contributors"}]
    authors = {reference["authors"][0]["name"] for reference in citation["references"]}
    assert (
        set(Organisation.objects.filter(documents__isnull=False).values_list("name", flat=True))
        < authors
    )
    titles = {reference["title"] for reference in citation["references"]}
    assert set(Report.objects.values_list("title", flat=True)) < titles


@pytest.mark.django_db
def test_a_change_to_the_data_gives_the_package_a_new_version(corpus, client):
    def version() -> str:
        with zipfile.ZipFile(io.BytesIO(download(client))) as archive:
            return yaml.safe_load(archive.read("CITATION.cff"))["version"]

    before = version()
    Organisation.objects.filter(pk=Organisation.objects.first().pk).update(name="Renamed")
    assert version() != before


@pytest.mark.django_db
def test_the_command_writes_the_same_bytes_as_the_url(corpus, client, tmp_path, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: TAKEN)
    out = io.StringIO()
    call_command("export_package", str(tmp_path / "data.zip"), stdout=out)
    written = (tmp_path / "data.zip").read_bytes()
    assert hashlib.sha256(written).digest() == hashlib.sha256(download(client)).digest()
    assert f"({len(written):,} bytes)" in out.getvalue()
    # Only the zip: the partial file it was written to is gone.
    assert [path.name for path in tmp_path.iterdir()] == ["data.zip"]


@pytest.mark.django_db
def test_the_command_refuses_a_folder_that_does_not_exist(tmp_path):
    with pytest.raises(CommandError, match=r"There is no folder .*missing to write data\.zip in"):
        call_command("export_package", str(tmp_path / "missing" / "data.zip"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_the_command_refuses_a_folder_for_a_file(tmp_path):
    with pytest.raises(CommandError, match=r"is a folder: give the name of the zip file"):
        call_command("export_package", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def made_up_table(rows: int) -> export.Table:
    """A table of `rows` rows of text that compresses little, made as it is read."""
    return export.Table(
        name="asks",
        columns=(dictionary.ASKS.columns[0].name,),
        rows=(
            [
                hashlib.sha512(str(n).encode()).hexdigest()
                + hashlib.sha512(str(-n).encode()).hexdigest()
            ]
            for n in range(rows)
        ),
    )


def peak_memory(rows: int, monkeypatch) -> tuple[int, int]:
    """The most memory writing the package took, with an asks.csv of `rows` made-up rows,
    and the package's size."""
    monkeypatch.setattr(package, "_tables", lambda: [(dictionary.ASKS, made_up_table(rows))])
    tracemalloc.start()
    try:
        size = sum(len(piece) for piece in package.package_chunks(date=TAKEN.date()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


@pytest.mark.django_db
def test_writing_the_package_takes_no_more_memory_for_ten_times_the_rows(monkeypatch):
    # Warm up: the first run imports and caches what any run needs.
    peak_memory(100, monkeypatch)
    small_peak, small_size = peak_memory(5_000, monkeypatch)
    large_peak, large_size = peak_memory(50_000, monkeypatch)
    assert large_size > 8 * small_size
    # Holding the zip, or one file of it, would take at least its size again.
    assert large_peak < small_peak + small_size
    assert large_peak < large_size / 2


def test_the_readmes_dictionary_is_the_one_the_package_holds():
    readme = README.read_text()
    section = re.search(r"^### Data dictionary\n\n(.*?)\n^### ", readme, re.DOTALL | re.MULTILINE)
    assert section is not None
    assert section.group(1) == dictionary.markdown()


@pytest.mark.parametrize(
    "column",
    [column for file in dictionary.FILES for column in file.columns if column.enum],
    ids=lambda column: column.name,
)
def test_every_value_of_a_closed_vocabulary_is_in_the_dictionary(column):
    for value in column.enum:
        assert f"`{value}`" in column.values


@pytest.mark.django_db(transaction=True)
def test_the_package_is_one_moment_of_the_data_though_it_changes_while_streaming():
    call_command("load_corpus", stdout=io.StringIO())
    # The version's row, which an earlier test's flush may have emptied, as migrations left it.
    data_version()
    organisation = Organisation.objects.filter(documents__asks__isnull=False).first()
    pieces = package.package_chunks(date=TAKEN.date())
    taken = [next(pieces)]

    renamed = []

    def rename():
        renamed.append(
            Organisation.objects.filter(pk=organisation.pk).update(name="Renamed meanwhile")
        )
        connection.close()

    # Another connection commits a change once the package has begun.
    writer = threading.Thread(target=rename)
    writer.start()
    writer.join()
    assert renamed == [1]
    taken += list(pieces)
    with zipfile.ZipFile(io.BytesIO(b"".join(taken))) as archive:
        asks = archive.read("asks.csv").decode()
        version = yaml.safe_load(archive.read("CITATION.cff"))["version"]
    assert organisation.name in asks and "Renamed meanwhile" not in asks
    assert version != f"{data_version():x}"
