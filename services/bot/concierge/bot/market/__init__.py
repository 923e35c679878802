"""The market desk in the bot: /sell and links into the Mini App."""
