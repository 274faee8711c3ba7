# django.contrib.contenttypes.models (Django 5.2), as the index needs it.
from django.db import models


class ContentTypeManager(models.Manager):
    pass


class ContentType(models.Model):
    app_label = models.CharField(max_length=100)
    model = models.CharField(max_length=100)
    objects = ContentTypeManager()

    class Meta:
        unique_together = [["app_label", "model"]]
