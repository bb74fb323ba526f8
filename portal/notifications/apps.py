from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "portal.notifications"
    label = "notifications"
    verbose_name = "Notificações"

    def ready(self) -> None:
        # The events of the apps below (their signals) become notifications here.
        from portal.notifications import receivers  # noqa: F401
