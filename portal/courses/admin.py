from django.contrib import admin

from portal.courses.models import ClassSession, Course, CoursePage, Enrollment, Material, Week


class WeekInline(admin.TabularInline):
    model = Week
    fields = ("number", "title", "publish_at")
    readonly_fields = ("number", "title")
    extra = 0
    show_change_link = True


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "start_date")
    inlines = [WeekInline]


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0


class ClassSessionInline(admin.TabularInline):
    model = ClassSession
    extra = 0


@admin.register(Week)
class WeekAdmin(admin.ModelAdmin):
    list_display = ("course", "number", "title", "publish_at")
    list_filter = ("course",)
    inlines = [ClassSessionInline, MaterialInline]


@admin.register(CoursePage)
class CoursePageAdmin(admin.ModelAdmin):
    list_display = ("course", "title", "slug", "order")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("email", "full_name", "course", "role", "user")
    list_filter = ("course", "role")
    search_fields = ("email", "full_name")
    raw_id_fields = ("user",)
