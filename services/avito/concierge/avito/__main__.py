from concierge.avito.main import create_app
from concierge.avito.settings import AvitoSettings
from concierge.common.runner import run_service


def main() -> None:
    settings = AvitoSettings()
    run_service("avito", settings, lambda: create_app(settings))


if __name__ == "__main__":
    main()
