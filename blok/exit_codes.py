"""The exit codes of `blok` (listed in each command's help) and the API key's variable."""

EXIT_OK = 0  # done
EXIT_ERROR = 1  # an error stopped the command
EXIT_USAGE = 2  # wrong arguments or settings, or the store is held by another process
EXIT_FILES_SKIPPED = 3  # ingest: some files were skipped; reindex: some documents were lost
API_KEY_ENV = "BLOK_API_KEY"
