"""Configuration: a TOML file, checked strictly, with secrets only from the environment."""
