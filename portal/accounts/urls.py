from django.urls import path

from portal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signin/microsoft/", views.microsoft_start, name="microsoft_start"),
    path("signin/microsoft/callback/", views.microsoft_callback, name="microsoft_callback"),
    # Always routed; the view answers 404 unless DEBUG and DEV_SIGNIN_ENABLED are on now.
    path("signin/dev/", views.dev_signin, name="dev_signin"),
    path("signout/", views.signout, name="signout"),
    path("perfil/", views.profile, name="profile"),
    path("perfil/tokens/<int:pk>/revogar/", views.token_revoke, name="token_revoke"),
]
