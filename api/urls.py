from django.urls import path, re_path

from api import views

urlpatterns = [
    path("offices", views.offices),
    path("offices/<str:code>/slots", views.office_slots),
    path("bookings", views.bookings_create),
    path("bookings/confirm", views.bookings_confirm),
    path("bookings/cancel", views.bookings_cancel),
    path("openapi.json", views.openapi),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
