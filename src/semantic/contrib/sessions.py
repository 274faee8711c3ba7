# django.contrib.sessions.models (Django 5.2), as the index needs it.
from django.contrib.sessions.base_session import AbstractBaseSession, BaseSessionManager


class SessionManager(BaseSessionManager):
    pass


class Session(AbstractBaseSession):
    objects = SessionManager()
