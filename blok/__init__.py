"""The `blok` command: argument parsing, one module per command group, the hand-off client."""
