# django.contrib.auth.base_user (Django 5.2), as the index needs it.
from django.db import models


class BaseUserManager(models.Manager):
    pass


class AbstractBaseUser(models.Model):
    password = models.CharField(max_length=128)
    last_login = models.DateTimeField(blank=True, null=True)

    class Meta:
        abstract = True
