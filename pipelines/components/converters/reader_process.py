"""Reading a file's pages in a child process, so that a reader that hangs can be stopped.

pypdf, unstructured and tesseract read untrusted files; a crafted or damaged file can make one of
them loop or wait without end, and a time check between pipeline steps never comes. So when a
file has a deadline, its pages are read in a child process: if the child has not answered when
the time is up it is killed and the file fails with `timeout`; if it dies (a crash, the kernel's
out-of-memory killer) the file fails with `conversion_failed`. The batch goes on either way.

The child is started with `spawn` (it inherits neither the model nor the parent's threads), loads
only the readers its files need, and serves one file after another until it is closed, killed,
or its parent exits. It says `ready` once its interpreter is up; `start` waits for that, so a
caller that starts the child before a file's time begins (`PageConverter.warm_up`) does not
charge the child's start-up (seconds on a loaded machine) to the file.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from core.errors import BlokError, ConversionError, ErrorCode, ProcessingTimeoutError
from pipelines.components.converters.ocr import PageOcr
from pipelines.components.converters.page_readers import RawPage
from pipelines.components.converters.page_reading import read_file_pages

READY = ("ready",)
# How long a new child may take to say it is ready (a spawned interpreter and its imports).
START_SECONDS = 120.0


def serve_reads(connection: Connection, ocr: PageOcr) -> None:
    """The child's loop: read `(path, format)` requests, answer with pages or an error.

    Tesseract's OpenMP threads fight each other on a small machine: one 200 dpi page took
    12.6 s with the default threads and 1.2 s with `OMP_THREAD_LIMIT=1` on 2 cores. The child
    runs no model, so the limit is set here (unless the environment sets it) for every
    tesseract it starts; the parent's PyTorch keeps its threads.
    """
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    connection.send(READY)
    while True:
        try:
            request = connection.recv()
        except EOFError:  # the parent has gone
            return
        if request is None:
            return
        path, file_format = request
        answer: tuple[Any, ...]
        try:
            answer = ("pages", read_file_pages(Path(path), file_format, ocr))
        except BlokError as exc:
            answer = ("error", exc.code.value, exc.message)
        except Exception as exc:  # a reader's own failure, reported like one in-process
            answer = ("error", ErrorCode.INTERNAL.value, f"{type(exc).__name__}: {exc}")
        connection.send(answer)


class ReaderProcess:
    """A child process that reads pages, started on first use and replaced after a kill."""

    def __init__(self, ocr: PageOcr) -> None:
        self.ocr = ocr
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    def start(self) -> Connection:
        """The connection to the running child; starts one and waits until it is ready.

        Raises:
            ConversionError: a new child did not say it was ready within `START_SECONDS`.
        """
        if self._process is not None and self._process.is_alive() and self._connection:
            return self._connection
        self.close()
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=serve_reads, args=(child_end, self.ocr), name="blok-page-reader", daemon=True
        )
        process.start()
        child_end.close()
        self._process, self._connection = process, parent_end
        if not self._ready(parent_end):
            self.kill()
            raise ConversionError(
                "The page reader process did not start (it ended, or was not ready within "
                f"{START_SECONDS:.0f} seconds)."
            )
        return parent_end

    @staticmethod
    def _ready(connection: Connection) -> bool:
        try:
            return connection.poll(START_SECONDS) and connection.recv() == READY
        except (EOFError, OSError):  # the child died while starting
            return False

    @property
    def process_id(self) -> int | None:
        """The child's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def read(self, path: Path, file_format: str, deadline: float) -> list[RawPage]:
        """The file's pages, read in the child before `deadline` (a `time.monotonic()` value).

        Raises:
            ProcessingTimeoutError: the child did not answer in time (it is killed).
            ConversionError: the reader failed (its code and message), or the child died.
        """
        connection = self.start()
        connection.send((str(path), file_format))
        if not connection.poll(max(0.0, deadline - time.monotonic())):
            self.kill()
            raise ProcessingTimeoutError("processing took too long (stopped while reading pages)")
        try:
            answer = connection.recv()
        except (EOFError, OSError):  # closed or reset: the child is gone
            exit_code = None
            if self._process is not None:
                self._process.join(timeout=5)
                exit_code = self._process.exitcode
            self.kill()
            raise ConversionError(
                f"{path.name} could not be read: the reader process ended (exit code {exit_code})"
            ) from None
        if answer[0] == "pages":
            pages: list[RawPage] = answer[1]
            return pages
        _, code, message = answer
        raise ConversionError(message, code=ErrorCode(code))

    def kill(self) -> None:
        """Stop the child at once (a new one starts with the next file)."""
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
        self._drop()

    def close(self) -> None:
        """Let the child end on its own; kill it if it does not."""
        if self._connection is not None and self._process is not None:
            with contextlib.suppress(OSError, ValueError):
                self._connection.send(None)
            self._process.join(timeout=5)
        self.kill()

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._process = self._connection = None
