"""Scheduling tables: periodic jobs fired once per tick by any number of workers."""
