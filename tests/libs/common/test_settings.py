from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from concierge.common.settings import ServiceSettings

STRONG = "k3J9-xq8Lw2mP0vZ7rT4"


class TestPlaceholderSecrets:
    def test_dev_mode_accepts_the_defaults(self) -> None:
        assert ServiceSettings(environment="dev").service_token.get_secret_value()

    @pytest.mark.parametrize("token", ["dev-service-token", "change-me", "", "short"])
    def test_prod_refuses_placeholder_or_short_secrets(self, token: str) -> None:
        with pytest.raises(ValidationError, match="service_token"):
            ServiceSettings(environment="prod", service_token=SecretStr(token))

    def test_prod_accepts_a_real_secret(self) -> None:
        settings = ServiceSettings(environment="prod", service_token=SecretStr(STRONG))
        assert not settings.is_dev

    def test_reads_shared_variables_without_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SERVICE_TOKEN", STRONG)
        monkeypatch.setenv("CONCIERGE_ENV", "prod")
        assert ServiceSettings().service_token.get_secret_value() == STRONG

    def test_secrets_do_not_show_in_repr(self) -> None:
        settings = ServiceSettings(environment="prod", service_token=SecretStr(STRONG))
        assert STRONG not in repr(settings)
        assert STRONG not in str(settings.model_dump())
