"""How a request handler reaches the service it serves."""

from __future__ import annotations

from quart import current_app

from ..service import Service

SERVICE_KEY = "stoat_ferret.service"


def current_service() -> Service:
    service: Service = current_app.extensions[SERVICE_KEY]
    return service
