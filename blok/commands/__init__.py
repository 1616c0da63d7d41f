"""One module per command group of `blok`."""
