"""Redis Streams consumer groups, used directly: ack after the work commits."""

from concierge.streams.group import StreamEntry, StreamGroup

__all__ = ["StreamEntry", "StreamGroup"]
