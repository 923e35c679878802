"""/watch, /watches, /unwatch: appointment-slot watches in the chat."""
