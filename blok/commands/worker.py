"""`blok worker`: run the service's upload jobs in a process of their own, without HTTP.

With `BLOK_INGEST__JOB_RUNNER=worker` the service replicas only queue the uploads; one or more
`blok worker` processes on the same registry (and the same data directory, where the uploads
are kept) claim the jobs and run them, each job once (`search_service.ingest_jobs`). SIGTERM or
Ctrl-C stops a worker after the file it is ingesting and hands its job back.
"""

from __future__ import annotations

import argparse
import logging.config
import signal
from types import FrameType

from blok.exit_codes import EXIT_OK
from blok.help_text import simple_epilog
from core.settings import Settings


def add_worker_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `worker` subcommand."""
    commands.add_parser(
        "worker",
        help="run the upload jobs of the service (BLOK_INGEST__JOB_RUNNER=worker)",
        description="Claims the upload jobs the service queued in the registry and ingests "
        "them, one turn of BLOK_UPLOAD__FILES_PER_TURN files at a time, until stopped (SIGTERM "
        "or Ctrl-C: after the current file). Several workers, on one or more machines, share "
        "the jobs of one registry; each job runs once, and the job of a worker that was killed "
        "is taken up by another once its lease (BLOK_INGEST__LEASE_SECONDS) has run out. "
        "Workers need the service's data directory (the uploads are kept there). With the "
        "embedded store, stop the service first: the store admits one process, which the "
        "workers take in turns.",
        epilog=simple_epilog("stopped", "it could not start (registry or store unavailable)"),
    )


def command_worker(settings: Settings, args: argparse.Namespace) -> int:
    """`blok worker`: claim and run jobs until SIGTERM or Ctrl-C."""
    from core.persistence.registry import Registry
    from search_service.ingest_jobs import worker_jobs
    from search_service.request_log import log_config

    logging.config.dictConfig(log_config(settings.logs))
    logger = logging.getLogger("blok.worker")
    registry = Registry.open(settings)
    try:
        jobs = worker_jobs(settings, registry)

        def stop(signum: int, _frame: FrameType | None) -> None:
            logger.info("stopping after the current file (%s)", signal.Signals(signum).name)
            jobs.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        logger.info("worker %s is waiting for upload jobs", jobs.owner)
        try:
            jobs.run()
        finally:
            jobs.runner.close()
            jobs.runner.store.close()
    finally:
        registry.close()
    logger.info("worker %s stopped", jobs.owner)
    return EXIT_OK
