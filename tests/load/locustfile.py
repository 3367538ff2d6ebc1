"""What `make loadtest` asks of a running carereview: its main pages, their htmx
fragments, search and a filtered CSV export, in proportions a browsing session might
have. Organisations, documents, recommendations and themes are the shipped corpus's,
plus synthetic organisations found on the organisations page."""

import json
import random
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, constant, events, task

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _corpus(model: str, field: str | None) -> list:
    rows = []
    for name in ("recommendations.json", "responses.json", "responses_round2.json"):
        rows += json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return [
        row["pk"] if field is None else row["fields"][field]
        for row in rows
        if row["model"] == model
    ]


ORGANISATIONS = _corpus("responses.organisation", "slug")
DOCUMENTS = _corpus("responses.responsedocument", None)
RECOMMENDATIONS = _corpus("recommendations.recommendation", "ref")
THEMES = _corpus("recommendations.theme", "slug")
SEARCHES = ["staying close", "stayng close", "foster carers", "advocacy", "family help"]
STATUSES = ["realised", "partly", "absent", "not_assessed"]
HTMX = {"HX-Request": "true"}


@events.test_start.add_listener
def find_synthetic_organisations(environment, **kwargs):
    with urllib.request.urlopen(f"{environment.host}/organisations/") as page:
        html = page.read().decode()
    ORGANISATIONS.extend(
        sorted(set(re.findall(r'href="/organisations/(synthetic-[^/"]+)/"', html)))
    )


class Reader(FastHttpUser):
    # 50 clients each sending their next request as soon as the last is answered.
    wait_time = constant(0)

    @task(2)
    def overview(self):
        self.client.get("/", name="/")

    @task(2)
    def organisations(self):
        self.client.get("/organisations/", name="/organisations/")

    @task(4)
    def organisation(self):
        self.client.get(
            f"/organisations/{random.choice(ORGANISATIONS)}/", name="/organisations/<slug>/"
        )

    @task(2)
    def organisation_filtered_fragment(self):
        self.client.get(
            f"/organisations/{random.choice(ORGANISATIONS)}/?status={random.choice(STATUSES)}",
            headers=HTMX,
            name="/organisations/<slug>/?status= (htmx)",
        )

    @task(2)
    def document(self):
        self.client.get(f"/documents/{random.choice(DOCUMENTS)}/", name="/documents/<id>/")

    @task(2)
    def recommendations(self):
        self.client.get("/recommendations/", name="/recommendations/")

    @task(2)
    def recommendation(self):
        self.client.get(
            f"/recommendations/{random.choice(RECOMMENDATIONS)}/", name="/recommendations/<ref>/"
        )

    @task(1)
    def themes(self):
        self.client.get("/themes/", name="/themes/")

    @task(2)
    def theme(self):
        self.client.get(f"/themes/{random.choice(THEMES)}/", name="/themes/<slug>/")

    @task(2)
    def search(self):
        self.client.get(
            f"/search/?{urlencode({'q': random.choice(SEARCHES)})}",
            headers=HTMX,
            name="/search/?q= (htmx)",
        )

    @task(1)
    def export(self):
        self.client.get(
            f"/export/asks.csv?organisation={random.choice(ORGANISATIONS)}",
            name="/export/asks.csv?organisation=",
        )
