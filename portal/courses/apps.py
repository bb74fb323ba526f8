from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "portal.courses"
    label = "courses"
    verbose_name = "Cursos"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal.courses.services import enrollment_link_on_sign_in

        # Roster seats are imported by e-mail before people ever sign in; the sign-in
        # (accounts, below this app) cannot call us, so we listen to Django's own signal.
        user_logged_in.connect(enrollment_link_on_sign_in, dispatch_uid="courses-link-roster")
