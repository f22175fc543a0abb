"""Calls on the 12349 line: the voice menu, the queue, call-backs, the contact cascade and
outbound campaigns, over Twilio or the built-in simulator (see docs/telephony.md)."""
