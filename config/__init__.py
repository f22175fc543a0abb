"""Settings, the default config file and logging setup."""
