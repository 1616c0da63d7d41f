"""`OpenVinoEncoder`: the int8 export of the built-in model (`openvino_export`) on the CPU.

Compiled with OpenVINO's throughput hint: the CPU is split into streams (one per core here) and
a batch is cut into length-sorted parts that run on the streams at the same time, so two cores
work on one batch without the padding of the longest text. One encoder per export folder and
process (`load_openvino_encoder`): the query and the indexing pipeline share it.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.models.e5_provisioning import MAX_SEQ_LENGTH
from pipelines.models.openvino_export import MODEL_XML, TOKENIZER


class OpenVinoEncoder:
    """Texts → L2-normalised float32 vectors through the compiled OpenVINO model."""

    def __init__(self, folder: Path) -> None:
        import openvino as ov
        import openvino.properties as props
        import openvino.properties.hint as hints
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_SEQ_LENGTH)
        pad = self.tokenizer.token_to_id("<pad>")
        self.pad_id = 1 if pad is None else pad
        core = ov.Core()
        config = {hints.performance_mode: hints.PerformanceMode.THROUGHPUT}
        self.model = core.compile_model(core.read_model(str(folder / MODEL_XML)), "CPU", config)
        self.streams = max(1, int(self.model.get_property(props.optimal_number_of_infer_requests)))
        self.queue = ov.AsyncInferQueue(self.model, self.streams)
        self.dimension = int(self.model.output(0).get_partial_shape()[1].get_length())
        self._lock = threading.Lock()  # one batch at a time through the queue

    def _inputs(self, encodings: list[Any]) -> dict[str, np.ndarray]:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return {"input_ids": ids, "attention_mask": mask}

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text, in order (shape `len(texts) × dimension`)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        parts = np.array_split(np.array(order), min(self.streams, len(texts)))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)

        def done(request: Any, rows: np.ndarray) -> None:
            vectors[rows] = request.get_output_tensor(0).data

        with self._lock:
            self.queue.set_callback(done)
            for rows in parts:
                self.queue.start_async(self._inputs([encodings[i] for i in rows]), rows)
            self.queue.wait_all()
        return vectors


@cache
def load_openvino_encoder(folder: Path) -> OpenVinoEncoder:
    """The process's one encoder of the export in `folder` (compiled on first use)."""
    return OpenVinoEncoder(folder)
