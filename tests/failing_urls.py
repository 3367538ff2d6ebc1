"""carereview's URLs plus one view that fails, to see what a server error looks like."""

from django.urls import path

from carereview.urls import handler500
from carereview.urls import urlpatterns as carereview_urlpatterns


def fail(request):
    raise RuntimeError("a deliberate failure with a secret detail")


urlpatterns = [path("fail/", fail), *carereview_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
