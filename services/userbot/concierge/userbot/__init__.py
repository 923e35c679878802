"""The user-bot: the one service speaking MTProto (Telethon) as a Telegram user account,
reading channels for the rest of the product over HTTP."""
