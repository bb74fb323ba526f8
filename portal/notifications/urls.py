from django.urls import path

from portal.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notificacoes/", views.notification_list, name="list"),
    path("notificacoes/<int:pk>/abrir/", views.notification_open, name="open"),
    path("notificacoes/marcar-lidas/", views.read_all, name="read_all"),
    path("notificacoes/preferencias/", views.preferences, name="preferences"),
    path("cursos/<slug:course_slug>/gestao/teams/", views.teams_settings, name="teams"),
]
