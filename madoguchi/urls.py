from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("api.urls")),
    path("staff/", include("console.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("front.urls")),
]

# The site's own error pages; under /api/ the JSON error envelope (SPEC §6).
handler400 = "madoguchi.error_views.bad_request"
handler403 = "madoguchi.error_views.permission_denied"
handler404 = "madoguchi.error_views.page_not_found"
handler500 = "madoguchi.error_views.server_error"
