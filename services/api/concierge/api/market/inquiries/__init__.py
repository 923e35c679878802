"""Conversations between a buyer and a seller about a listing, relayed by the bot."""
