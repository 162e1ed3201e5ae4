from django.urls import path

from front import dev_mailbox, views

app_name = "front"

urlpatterns = [
    path("", views.office_list, name="office_list"),
    path("o/<slug:code>/", views.office_page, name="office"),
    path("o/<slug:code>/book/<str:slot>/", views.book, name="book"),
    path("o/<slug:code>/terms/", views.terms, name="terms"),
    path("check/", views.self_check, name="check"),
    path("b/sent/", views.sent, name="sent"),
    path("b/confirm/<str:token>", views.confirm, name="confirm"),
    path("b/cancel/<str:token>", views.cancel, name="cancel"),
    path("dev/mailbox/", dev_mailbox.mailbox, name="mailbox"),
    path("dev/mailbox/<str:name>", dev_mailbox.mailbox_message, name="mailbox_message"),
    path("dev/mailbox/<str:name>/html", dev_mailbox.mailbox_html, name="mailbox_html"),
    path(
        "dev/mailbox/<str:name>/attachment/<int:index>",
        dev_mailbox.mailbox_attachment,
        name="mailbox_attachment",
    ),
]
