"""Schedules: periodic jobs fired by any number of worker replicas, once per tick."""
