"""The bell's pages: the list, opening one notification, marking all read, preferences.

Everything here is the signed-in person's own: someone else's notification is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.courses.selectors import get_managed_course
from portal.notifications import selectors, services
from portal.notifications.kinds import CHANNEL_LABELS, KINDS
from portal.notifications.messages import MESSAGES, TeamsError
from portal.notifications.models import CoursePost, Notification, TeamsWebhook
from portal.notifications.selectors import CHANNEL_ORDER
from portal.notifications.teams import masked

PAGE_SIZE = 30


@dataclass(frozen=True)
class Item:
    notification: Notification
    title: str
    body: str

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def _items(notifications: list[Notification]) -> list[Item]:
    items = []
    for notification in notifications:
        event = notification.event
        kind = KINDS.get(event.kind)
        if kind is None:  # a kind this version no longer has
            continue
        items.append(
            Item(
                notification,
                kind.title(event.params),
                kind.body(event.params, notification.variant),
            )
        )
    return items


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.bell(request.user), PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "items": _items(list(page.object_list))},
    )


@require_POST
@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(
        Notification.objects.select_related("event"), pk=pk, recipient=request.user
    )
    services.notification_read(notification=notification)
    # The event's url is a path the portal wrote, never something a person typed.
    return redirect(notification.event.url or "notifications:list")


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_read_all(user=request.user)
    return redirect("notifications:list")


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    offered = selectors.offered(request.user)
    if request.method == "POST":
        chosen = {pair for pair in offered if f"{pair[0]}:{pair[1]}" in request.POST}
        services.preferences_set(user=request.user, chosen=chosen)
        messages.success(request, _("Preferências de notificação salvas."))
        return redirect("notifications:preferences")
    on = selectors.chosen(request.user)
    kinds = list(dict.fromkeys(kind for kind, _channel in offered))
    rows = [
        {
            "label": KINDS[kind].label,
            "cells": [
                {
                    "name": f"{kind}:{channel}",
                    "label": CHANNEL_LABELS[channel],
                    "on": (kind, channel) in on,
                }
                for channel in CHANNEL_ORDER
            ],
        }
        for kind in kinds
    ]
    return render(
        request,
        "notifications/preferences.html",
        {"rows": rows, "channels": [CHANNEL_LABELS[c] for c in CHANNEL_ORDER]},
    )


# -- the course's Teams channel (instructors) ---------------------------------------------------

LOG_SIZE = 30


@require_http_methods(["GET", "POST"])
@login_required
def teams_settings(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The course's Workflows webhook (set, remove, send a test card) and its delivery log."""
    course = get_managed_course(request.user, course_slug)
    webhook = TeamsWebhook.objects.filter(course=course).first()
    error = None
    if request.method == "POST":
        action = request.POST.get("acao", "")
        try:
            if action == "salvar":
                services.teams_webhook_set(
                    course=course, url=request.POST.get("url", ""), by=request.user
                )
                messages.success(request, MESSAGES.text("teams.saved"))
            elif action == "remover":
                services.teams_webhook_remove(course=course, by=request.user)
                messages.success(request, MESSAGES.text("teams.removed"))
            elif action == "testar":
                services.teams_test_send(course=course, by=request.user)
                messages.success(request, MESSAGES.text("teams.test_sent"))
            return redirect("notifications:teams", course_slug=course.slug)
        except TeamsError as refused:
            error = refused
    posts = list(CoursePost.objects.filter(event__course=course).select_related("event")[:LOG_SIZE])
    log = [
        {"post": post, "title": KINDS[post.event.kind].title(post.event.params)}
        for post in posts
        if post.event.kind in KINDS
    ]
    return render(
        request,
        "notifications/teams.html",
        {
            "course": course,
            "webhook": webhook,
            "masked": masked(webhook.url) if webhook else "",
            "error": error,
            "log": log,
            "hosts": ", ".join(settings.TEAMS_WEBHOOK_HOSTS),
        },
        status=400 if error else 200,
    )
