"""Schedules: periodic jobs kept in Postgres and fired once per tick by any replica."""
