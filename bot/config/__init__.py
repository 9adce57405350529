"""Configuration: settings from the environment and the organisation file."""
