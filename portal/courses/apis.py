"""The API's courses and weeks, and ``me``: who the credential is, in which courses, with
which token scopes."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.api import token_of
from portal.courses.selectors import course_roles


class MeCourseSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    role = serializers.ChoiceField(choices=["student", "instructor", "admin"])


class TokenInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    is_admin = serializers.BooleanField()
    courses = MeCourseSerializer(many=True)
    token = TokenInfoSerializer(allow_null=True, help_text="null when signed in by the session")


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="Who this credential is")
    def get(self, request: Request) -> Response:
        user = request.user
        token = token_of(request)
        return Response(
            MeSerializer(
                {
                    "id": user.pk,
                    "username": user.username,
                    "name": user.display_name,
                    "email": user.email,
                    "is_admin": user.is_admin,
                    "courses": [
                        {"slug": course.slug, "title": course.title, "role": role}
                        for course, role in course_roles(user)
                    ],
                    "token": token,
                }
            ).data
        )


urlpatterns = [path("me/", MeView.as_view(), name="me")]
