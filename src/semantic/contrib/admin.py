# django.contrib.admin.models (Django 5.2), as the index needs it.
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class LogEntryManager(models.Manager):
    pass


class LogEntry(models.Model):
    action_time = models.DateTimeField(editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    content_type = models.ForeignKey(ContentType, models.SET_NULL, blank=True, null=True)
    object_id = models.TextField(blank=True, null=True)
    object_repr = models.CharField(max_length=200)
    action_flag = models.PositiveSmallIntegerField()
    change_message = models.TextField(blank=True)
    objects = LogEntryManager()
