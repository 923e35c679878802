from concierge.common.runner import run_service
from concierge.worker.main import create_app
from concierge.worker.settings import WorkerSettings


def main() -> None:
    settings = WorkerSettings()
    run_service("worker", settings, lambda: create_app(settings))


if __name__ == "__main__":
    main()
