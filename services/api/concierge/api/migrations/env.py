from concierge.api.models import metadata
from concierge.db.migrations import run_env

run_env(metadata)
