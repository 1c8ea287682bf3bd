"""Helpers of the config tests."""

from __future__ import annotations

import pytest

from viralsim.config.load import ConfigError, load_config


def config_error(path, **kwargs) -> str:
    """The one-line message of the ConfigError that loading ``path`` raises; it names the file
    (or the --set item it is about)."""
    with pytest.raises(ConfigError) as info:
        load_config(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith((f"{path}: ", "--set ")), message
    return message
