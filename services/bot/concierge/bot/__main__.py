from concierge.bot.main import create_app
from concierge.bot.settings import BotSettings
from concierge.common.runner import run_service


def main() -> None:
    settings = BotSettings()
    run_service("bot", settings, lambda: create_app(settings))


if __name__ == "__main__":
    main()
