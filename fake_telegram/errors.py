"""Bot API error responses.

Every refusal the fake server produces goes through :class:`ApiError` so that the
JSON envelope (``ok``/``error_code``/``description``/``parameters``) is identical to
the real Bot API's.  aiogram picks its exception class from the HTTP status and the
``parameters`` object, so getting these exactly right is what makes the bot under
test take its normal error paths.
"""

from __future__ import annotations

from typing import Any

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """A Bot API failure that is turned into ``{"ok": false, ...}`` by the server."""

    def __init__(
        self,
        error_code: int,
        description: str,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_response(self) -> dict[str, Any]:
        """Render the exact envelope the Bot API sends for failures."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


def bad_request(reason: str) -> ApiError:
    """400 with the ``Bad Request: `` prefix Telegram puts on every 400 description."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """403 with the ``Forbidden: `` prefix (blocked, kicked, not a member, ...)."""
    return ApiError(403, f"Forbidden: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    """429 carrying ``parameters.retry_after`` so aiogram raises TelegramRetryAfter."""
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
    )


def chat_not_found() -> ApiError:
    """The answer for a chat the bot has never seen and that does not exist."""
    return bad_request("chat not found")


def migrated(new_chat_id: int) -> ApiError:
    """Sends to a group that was upgraded; aiogram raises TelegramMigrateToChat."""
    return ApiError(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": new_chat_id},
    )


UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")
