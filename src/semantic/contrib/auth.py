# django.contrib.auth.models (Django 5.2), as dormlint's index needs it: the fields,
# keys, managers and relations of Django's declarations, nothing else. Written by
# hand, like every file here; `contrib::tests::stubs_match_django` compares them with
# Django's source.
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.db import models


class PermissionManager(models.Manager):
    pass


class GroupManager(models.Manager):
    pass


class UserManager(BaseUserManager):
    pass


class Permission(models.Model):
    name = models.CharField(max_length=255)
    content_type = models.ForeignKey(ContentType, models.CASCADE)
    codename = models.CharField(max_length=100)
    objects = PermissionManager()

    class Meta:
        unique_together = [["content_type", "codename"]]


class Group(models.Model):
    name = models.CharField(max_length=150, unique=True)
    permissions = models.ManyToManyField(Permission, blank=True)
    objects = GroupManager()


class PermissionsMixin(models.Model):
    is_superuser = models.BooleanField(default=False)
    groups = models.ManyToManyField(Group, blank=True, related_name="user_set")
    user_permissions = models.ManyToManyField(Permission, blank=True, related_name="user_set")

    class Meta:
        abstract = True


class AbstractUser(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(max_length=150, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField()
    objects = UserManager()

    class Meta:
        abstract = True


class User(AbstractUser):
    pass
