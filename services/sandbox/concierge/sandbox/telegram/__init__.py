"""Telegram Bot API emulator: the bot side, the user side and the chat page.

Bot side (Telegram's wire protocol): ``/bot<token>/<method>`` and
``/file/bot<token>/<file_path>``. User side and controls (our error shape;
every route takes an optional ``?bot_id=``, default: the last active bot):

- ``POST /sandbox/users/{id}/messages``, ``/callbacks``, ``/webapp_data``,
  ``/block``, ``/unblock``; ``GET /sandbox/users/{id}/webapp?url=``
- ``GET /sandbox/chats/{id}/messages`` (history), ``GET /sandbox/chats/{id}`` (info)
- ``POST /sandbox/users`` (bulk), ``POST /sandbox/groups``
- ``POST|GET|DELETE /sandbox/faults``, ``GET /sandbox/stats``, ``GET /sandbox/bots``,
  ``GET /sandbox/callbacks/{id}``, ``POST /sandbox/reset``
- ``GET /`` and ``GET /sandbox/chat``: the chat page
"""
