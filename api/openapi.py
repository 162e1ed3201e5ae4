"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any


def _error(codes: str) -> dict[str, Any]:
    return {
        "description": codes,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _rate_limited() -> dict[str, Any]:
    return {
        **_error("rate_limited: too many requests from this address or for this recipient"),
        "headers": {
            "Retry-After": {
                "description": "Seconds until the limit's window ends.",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _token_body() -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["token"],
                    "properties": {
                        "token": {"type": "string", "description": "The token from the emailed link."}
                    },
                }
            }
        },
    }


DATE_TIME = {"type": "string", "format": "date-time", "example": "2026-12-01T17:15:00+09:00"}
LANGUAGE = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "example": "en"},
    "description": "Language of messages: ja (default) or en.",
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "madoguchi API",
            "version": "1",
            "description": "Online job-consultation booking for public employment offices.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/offices": {
                "get": {
                    "operationId": "listOffices",
                    "summary": "Offices that take online bookings",
                    "parameters": [LANGUAGE],
                    "responses": {
                        "200": _json(
                            {"type": "array", "items": {"$ref": "#/components/schemas/Office"}},
                            "All offices.",
                        )
                    },
                }
            },
            "/offices/{code}/slots": {
                "get": {
                    "operationId": "listSlots",
                    "summary": "Slots not yet started, within the booking horizon",
                    "parameters": [
                        {
                            "name": "code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                        },
                        {
                            "name": "from",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "format": "date"},
                            "description": "First date (office time zone, inclusive). Default: today.",
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "format": "date"},
                            "description": "Last date (office time zone, inclusive). Default and upper limit: today + horizon_days.",
                        },
                        LANGUAGE,
                    ],
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/SlotList"}, "Slots, full ones with remaining 0."
                        ),
                        "404": _error("not_found: no such office"),
                        "422": _error("invalid: a date is malformed or from is after to"),
                    },
                }
            },
            "/bookings": {
                "post": {
                    "operationId": "createBooking",
                    "summary": "Hold a seat; a confirmation email is sent",
                    "parameters": [LANGUAGE],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/BookingRequest"}}
                        },
                    },
                    "responses": {
                        "201": _json(
                            {"$ref": "#/components/schemas/BookingHeld"},
                            "Held as pending. A person who already holds a booking at the office, or is"
                            " refused there, gets this same answer; no seat is taken and the address on"
                            " file is told why by email (SPEC §6, Who is known).",
                        ),
                        "404": _error("not_found: no such office"),
                        "409": _error("slot_full"),
                        "422": _error(
                            "invalid: a field is wrong, terms not agreed, or start is not an open slot"
                        ),
                        "413": _error("too_large: the body is over the size limit"),
                        "429": _rate_limited(),
                    },
                }
            },
            "/bookings/confirm": {
                "post": {
                    "operationId": "confirmBooking",
                    "summary": "Confirm with the token of the confirmation email (idempotent)",
                    "parameters": [LANGUAGE],
                    "requestBody": _token_body(),
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/BookingConfirmed"}, "Confirmed."),
                        "404": _error("not_found: unknown token"),
                        "410": _error("expired: the confirmation window has passed"),
                        "422": _error("invalid: the body is not a JSON object"),
                        "413": _error("too_large: the body is over the size limit"),
                        "429": _rate_limited(),
                    },
                }
            },
            "/bookings/cancel": {
                "post": {
                    "operationId": "cancelBooking",
                    "summary": "Cancel with the token of the completion email (idempotent)",
                    "parameters": [LANGUAGE],
                    "requestBody": _token_body(),
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/BookingCancelled"}, "Cancelled."),
                        "404": _error("not_found: unknown token"),
                        "409": _error("same_day (the message gives the office phone) or not_cancellable"),
                        "422": _error("invalid: the body is not a JSON object"),
                        "413": _error("too_large: the body is over the size limit"),
                        "429": _rate_limited(),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Office": {
                    "type": "object",
                    "required": ["code", "name", "phone", "timezone"],
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "phone": {"type": "string"},
                        "timezone": {"type": "string", "example": "Asia/Tokyo"},
                    },
                },
                "Slot": {
                    "type": "object",
                    "required": ["start", "end", "capacity", "remaining"],
                    "properties": {
                        "start": DATE_TIME,
                        "end": DATE_TIME,
                        "capacity": {"type": "integer", "minimum": 1},
                        "remaining": {"type": "integer", "minimum": 0},
                    },
                },
                "SlotList": {
                    "type": "object",
                    "required": ["office", "slots"],
                    "properties": {
                        "office": {"type": "string"},
                        "slots": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}},
                    },
                },
                "BookingRequest": {
                    "type": "object",
                    "required": ["office", "start", "name", "email", "phone", "agree_terms"],
                    "properties": {
                        "office": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                        "start": DATE_TIME,
                        "name": {"type": "string", "minLength": 1, "maxLength": 100},
                        "email": {"type": "string", "format": "email"},
                        "phone": {"type": "string", "minLength": 1, "example": "090-1234-5678"},
                        "jobseeker_number": {"type": "string", "example": "40010-12345678"},
                        "note": {"type": "string", "maxLength": 1000},
                        "support": {
                            "type": "boolean",
                            "description": "An interpreter or assistant will attend.",
                        },
                        "agree_terms": {"type": "boolean", "const": True},
                    },
                },
                "BookingHeld": {
                    "type": "object",
                    "required": ["id", "status", "expires_at"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "status": {"const": "pending"},
                        "expires_at": DATE_TIME,
                    },
                },
                "BookingConfirmed": {
                    "type": "object",
                    "required": ["id", "status", "start", "meeting_url"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "status": {"const": "confirmed"},
                        "start": DATE_TIME,
                        "meeting_url": {"type": "string", "format": "uri"},
                    },
                },
                "BookingCancelled": {
                    "type": "object",
                    "required": ["id", "status"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "status": {"const": "cancelled"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {
                                    "type": "string",
                                    "enum": [
                                        "invalid",
                                        "bad_request",
                                        "forbidden",
                                        "not_found",
                                        "slot_full",
                                        "rate_limited",
                                        "expired",
                                        "same_day",
                                        "not_cancellable",
                                        "method_not_allowed",
                                        "too_large",
                                        "server_error",
                                    ],
                                },
                                "message": {"type": "string"},
                                "fields": {
                                    "type": "object",
                                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                                    "description": "Only for invalid: messages per field.",
                                },
                            },
                        }
                    },
                },
            }
        },
    }
