"""OpenAPI generation: quart-schema's, plus responses that have no body."""

from __future__ import annotations

from typing import Any

from quart_schema import OpenAPIProvider


class NoContent:
    """Marks a documented response that has no body (204)."""


class OpenAPIGenerator(OpenAPIProvider):
    """quart-schema's generator, taught that a :class:`NoContent` response has no body."""

    def build_response_object(
        self, model: Any, headers_model: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if model is NoContent:
            return {"description": "No content"}, {}
        result: tuple[dict[str, Any], dict[str, Any]] = super().build_response_object(
            model, headers_model
        )
        return result
