"""The site's URLs plus two views that fail, for the error page tests."""

from django.urls import path

from madoguchi.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def boom(request, path=""):
    raise RuntimeError("a fault in a view")


urlpatterns = [path("boom/", boom), path("api/v1/boom", boom), *urlpatterns]
