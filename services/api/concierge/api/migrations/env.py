from concierge.db.migrations import run_env
from concierge.domain.schema import metadata

run_env(metadata)
