from concierge.api.main import create_app
from concierge.api.settings import ApiSettings
from concierge.common.runner import run_service


def main() -> None:
    settings = ApiSettings()
    run_service("api", settings, lambda: create_app(settings))


if __name__ == "__main__":
    main()
