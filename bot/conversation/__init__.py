"""The conversation: a turn from message to reply, confirmations, cases and the relay, commands."""
