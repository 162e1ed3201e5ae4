"""madoguchi's URLs with the bench floor beside them (bench/settings.py only)."""

from bench.floor import urlpatterns as floor_urls
from madoguchi.urls import urlpatterns as site_urls

urlpatterns = [*floor_urls, *site_urls]
