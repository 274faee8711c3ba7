# django.contrib.sessions.base_session (Django 5.2), as the index needs it.
from django.db import models


class BaseSessionManager(models.Manager):
    pass


class AbstractBaseSession(models.Model):
    session_key = models.CharField(max_length=40, primary_key=True)
    session_data = models.TextField()
    expire_date = models.DateTimeField(db_index=True)
    objects = BaseSessionManager()

    class Meta:
        abstract = True
