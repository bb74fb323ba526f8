"""Per-course roles come from enrolments; only being a portal admin belongs to the user."""

from django.db import migrations, models


def admins_from_role(apps, schema_editor):
    user = apps.get_model("accounts", "User")
    user.objects.using(schema_editor.connection.alias).filter(role="admin").update(
        is_portal_admin=True)


def role_from_admins(apps, schema_editor):
    # Going back: admins get their role again; everyone else is a "student" until their next
    # sign-in (the old code derived "instructor" from the rosters then).
    user = apps.get_model("accounts", "User")
    user.objects.using(schema_editor.connection.alias).filter(is_portal_admin=True).update(
        role="admin")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='is_portal_admin',
            field=models.BooleanField(default=False, help_text='Vê e administra todos os cursos. Papéis em um curso vêm das matrículas.', verbose_name='administrador do portal'),
        ),
        migrations.RunPython(admins_from_role, role_from_admins),
        migrations.RemoveField(
            model_name='user',
            name='role',
        ),
    ]
