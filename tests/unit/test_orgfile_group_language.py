"""Each staff group has a language: its own (``language`` on the hq, a region or a
project), else the organisation's ``default_language``."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config.orgfile import Organisation


def _org(**project: object) -> Organisation:
    return Organisation.model_validate(
        {
            "default_language": "zh_CN",
            "hq": {"name": "总部", "language": "en"},
            "regions": [{"key": "east", "name": "华东"}],
            "projects": [
                {
                    "key": "sunshine",
                    "name": "阳光花园",
                    "region": "east",
                    "kind": "residential",
                    "ticket_prefix": "SG",
                    **project,
                }
            ],
        }
    )


def test_a_group_reads_its_own_language_else_the_default() -> None:
    org = _org(language="en")
    assert org.group_language("sunshine") == "en"
    assert org.group_language("hq") == "en"
    assert org.group_language("east") == "zh_CN"  # none of its own
    assert org.group_language(None) == "zh_CN"  # a group bound to nothing
    assert org.group_language("gone") == "zh_CN"  # a unit no longer in the file
    assert _org().group_language("sunshine") == "zh_CN"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValidationError):
        _org(language="fr")
