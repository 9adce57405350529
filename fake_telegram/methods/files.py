"""getFile: map a file_id to the ``file_path`` served under ``/file/bot<token>/``."""

from __future__ import annotations

from typing import Any

from fake_telegram.errors import bad_request
from fake_telegram.methods.registry import MethodContext, api_method

DOWNLOAD_LIMIT = 20 * 1024 * 1024


@api_method("getFile")
def get_file(ctx: MethodContext) -> dict[str, Any]:
    """File info for a known file_id; the cloud Bot API refuses files over 20 MB."""
    file_id = ctx.params.get("file_id")
    if not file_id:
        raise bad_request("file_id is empty")
    stored = ctx.state.files.get(str(file_id))
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.file_size > DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    return stored.to_file_dict()
