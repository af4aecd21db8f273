"""The web application for the people who get the emails (see ``monitor.web.app.create_app``)."""

from monitor.web.app import create_app

__all__ = ["create_app"]
