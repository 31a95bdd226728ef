from django.apps import AppConfig


class PostGovConfig(AppConfig):
    name = "postgov"
    verbose_name = "PostGov"
