"""The worker: runs jobs from Redis streams and fires the schedules kept in Postgres.

Any number of replicas may run: each job runs on one of them (consumer groups), each
schedule tick fires on one of them (``FOR UPDATE SKIP LOCKED``).
"""
