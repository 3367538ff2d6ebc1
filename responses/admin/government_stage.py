"""The Government's stage records in admin, as `recommendations.admin` shows them, with
stage records brought back from stages.csv (`round_trip`): the importer is `responses`',
which `recommendations` may not import, so its admin is extended here."""

from functools import partial

from django.contrib import admin
from django.urls import path

from recommendations import admin as recommendations_admin
from recommendations.models import GovernmentStage

from . import round_trip

admin.site.unregister(GovernmentStage)


@admin.register(GovernmentStage)
class GovernmentStageAdmin(recommendations_admin.GovernmentStageAdmin):
    def get_urls(self):
        upload = path(
            "import/",
            self.admin_site.admin_view(
                partial(round_trip.import_view, model_admin=self, kind=round_trip.STAGES)
            ),
            name="recommendations_governmentstage_import",
        )
        return [upload, *super().get_urls()]
