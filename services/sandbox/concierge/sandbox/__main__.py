from concierge.common.runner import run_service
from concierge.sandbox.main import create_app
from concierge.sandbox.settings import SandboxSettings


def main() -> None:
    settings = SandboxSettings()
    run_service("sandbox", settings, lambda: create_app(settings))


if __name__ == "__main__":
    main()
