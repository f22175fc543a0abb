"""Call recording with notice: which calls are recorded, the sealed audio, audited playback."""
