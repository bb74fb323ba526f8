from django.contrib import admin

from portal.notifications.models import Delivery, Event, Notification


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("key", "kind", "course", "created_at")
    list_filter = ("kind",)
    search_fields = ("key",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("notification", "channel", "status", "attempts", "updated_at", "error")
    list_filter = ("status", "channel")
    raw_id_fields = ("notification",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("event", "recipient", "variant", "in_bell", "read_at")
    raw_id_fields = ("event", "recipient")
