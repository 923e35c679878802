"""The bot's own conversation: welcome, main menu, help, language, unknown input, errors."""
