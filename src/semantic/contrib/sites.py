# django.contrib.sites.models (Django 5.2), as the index needs it.
from django.db import models


class SiteManager(models.Manager):
    pass


class Site(models.Model):
    domain = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=50)
    objects = SiteManager()
