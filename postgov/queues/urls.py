from django.urls import path

from postgov.queues import views

app_name = "queues"

urlpatterns = [
    path("", views.points, name="points"),
    path("points/<int:point_id>/issue/", views.issue, name="issue"),
    path("points/<int:point_id>/check-in/", views.check_in, name="check_in"),
    path("points/<int:point_id>/figures/", views.day_figures, name="figures"),
    path("points/<int:point_id>/screens/", views.screens, name="screens"),
    path("screens/<int:pk>/revoke/", views.screen_revoke, name="screen_revoke"),
    path("tickets/<int:pk>/print/", views.ticket_print, name="ticket_print"),
    path("counters/<int:pk>/", views.counter, name="counter"),
    path("counters/<int:pk>/step/", views.counter_step, name="counter_step"),
    # Public, each reached only by its unguessable token (no personal data in the address).
    # Tokens are URL-safe base64 (letters, digits, "-" and "_"): anything else is no page.
    path("display/<slug:token>/", views.display, name="display"),
    path("t/<slug:token>/", views.follow, name="follow"),
    path("a/<slug:token>/", views.appointment, name="appointment"),
    # Public: booking an appointment at a post office.
    path("book/<int:point_id>/", views.book, name="book_service"),
    path("book/<int:point_id>/<str:letter>/", views.book, name="book"),
]
