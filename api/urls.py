from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path

from .endpoints import api, index
from .problems import methods_as_problems, not_found

# Not `app_name`: in a URLconf that name would be this module's namespace.
endpoints, ninja_app, namespace = api.urls
for endpoint in endpoints:
    endpoint.callback = methods_as_problems(endpoint.callback)

urlpatterns = [
    path("", index, name="api_index"),
    path("", (endpoints, ninja_app, namespace)),
    # Any other address here is answered as the API answers, with a problem, not a page.
    re_path(r"", login_not_required(not_found), name="api_not_found"),
]
