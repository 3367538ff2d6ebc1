from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path

from .endpoints import api, index
from .problems import not_found

urlpatterns = [
    path("", index, name="api_index"),
    path("", api.urls),
    # Any other address here is answered as the API answers, with a problem, not a page.
    re_path(r"", login_not_required(not_found), name="api_not_found"),
]
