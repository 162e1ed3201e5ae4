from django.contrib.auth import views as auth_views
from django.urls import path

from console.views import audit_log, auth, day, export, office_admin, people, records, statistics

app_name = "console"

urlpatterns = [
    path("", day.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="console:login"), name="logout"),
    path("otp/verify/", auth.otp_verify, name="otp_verify"),
    path("otp/setup/", auth.otp_setup, name="otp_setup"),
    path("password/", auth.password_change, name="password_change"),
    path("password/done/", auth.password_changed, name="password_changed"),
    path("<slug:office>/", day.today, name="today"),
    path("<slug:office>/day/", day.pick_day, name="pick_day"),
    path("<slug:office>/day/<str:day>/", day.day_view, name="day"),
    path("<slug:office>/week/", day.this_week, name="this_week"),
    path("<slug:office>/week/<str:day>/", day.week_view, name="week"),
    path("<slug:office>/booking/<uuid:booking_id>/<str:action>/", day.booking_action, name="booking_action"),
    path("<slug:office>/search/", people.search, name="search"),
    path("<slug:office>/person/<uuid:booking_id>/", people.person, name="person"),
    path("<slug:office>/person/<uuid:booking_id>/refuse/", people.refuse, name="refuse"),
    path("<slug:office>/refusals/", people.refusals, name="refusals"),
    path("<slug:office>/refusals/<int:refusal_id>/lift/", people.lift, name="lift"),
    path("<slug:office>/export.csv", export.export_csv, name="export"),
    path("<slug:office>/audit/", audit_log.audit_log, name="audit_log"),
    path("<slug:office>/records/", records.access_records, name="access_records"),
    path("<slug:office>/statistics/", statistics.statistics, name="statistics"),
    path("<slug:office>/statistics.csv", statistics.statistics_csv, name="statistics_csv"),
    path("<slug:office>/closures/", office_admin.closures, name="closures"),
    path(
        "<slug:office>/closures/<int:closure_id>/delete/", office_admin.closure_delete, name="closure_delete"
    ),
    path("<slug:office>/timetable/", office_admin.timetable, name="timetable"),
    path("<slug:office>/terms/", office_admin.terms_versions, name="terms_versions"),
]
