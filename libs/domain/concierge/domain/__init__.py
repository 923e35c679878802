"""The shared domain: every table's ORM model, by desk, and the queries more than one
service makes on them.

api owns the schema (it runs the alembic migrations); api and worker both map rows with
these classes. No service module defines a table of its own.
"""
