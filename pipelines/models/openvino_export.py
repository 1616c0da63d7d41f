"""Export the built-in e5-small to an OpenVINO int8 model beside its folder, offline.

`blok model` (run by setup) builds ``<models>/multilingual-e5-small`` and then this export,
``<models>/multilingual-e5-small-openvino-int8``: the sentence-transformers model (BERT, mean
pooling, L2 normalisation) converted to one OpenVINO graph whose output is the normalised
sentence vector, its weights and activations quantised to int8 (post-training, calibrated on the
German texts of ``pipelines/resources/encoder_calibration.json``), and a copy of the tokenizer.
Nothing is downloaded. The marker file names the model folder's own marker, so a rebuilt model
folder makes the export stale (`export_is_current`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, cast

from pipelines.models.e5_provisioning import MARKER_FILE as MODEL_MARKER
from pipelines.models.e5_provisioning import MAX_SEQ_LENGTH

EXPORT_FORMAT_VERSION = 1
EXPORT_MARKER = ".exported.json"
MODEL_XML = "model.xml"
TOKENIZER = "tokenizer.json"
CALIBRATION = Path(__file__).resolve().parents[1] / "resources" / "encoder_calibration.json"
_OUTPUT_NAMES = frozenset({MODEL_XML, "model.bin", TOKENIZER, EXPORT_MARKER})


class EncoderExportError(Exception):
    """The OpenVINO export could not be built; the message says what to do."""


def export_dir_for(model_dir: Path) -> Path:
    """Where the int8 export of `model_dir` is stored: a sibling folder."""
    return model_dir.with_name(f"{model_dir.name}-openvino-int8")


def _source_marker(model_dir: Path) -> Any:
    try:
        return json.loads((model_dir / MODEL_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def export_is_current(model_dir: Path, export_dir: Path) -> bool:
    """True when `export_dir` holds a complete export of the model folder as it is now."""
    try:
        marker = json.loads((export_dir / EXPORT_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("format_version") == EXPORT_FORMAT_VERSION
        and marker.get("source") == _source_marker(model_dir)
        and (export_dir / MODEL_XML).is_file()
        and (export_dir / TOKENIZER).is_file()
    )


def calibration_texts() -> list[str]:
    """The German passages and questions the activations are calibrated on, with E5 prefixes."""
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    return [f"passage: {p}" for p in data["passages"]] + [f"query: {q}" for q in data["queries"]]


def _convert(model_dir: Path) -> Any:
    """The sentence-transformers model as an OpenVINO float32 graph (ids, mask → unit vector)."""
    import openvino as ov
    import torch
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    bert = cast(torch.nn.Module, st[0].auto_model)
    bert.eval()

    class Pooled(torch.nn.Module):
        """BERT, mean pooling over the attention mask, L2 normalisation (as the model folder)."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = bert(input_ids=input_ids, attention_mask=attention_mask)
            mask = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
            summed = (hidden.last_hidden_state * mask).sum(1)
            mean = summed / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    example = st.tokenizer(["passage: Beispiel", "query: Frage"], padding=True, return_tensors="pt")
    with torch.no_grad():
        return ov.convert_model(
            Pooled().eval(),
            example_input={
                "input_ids": example["input_ids"],
                "attention_mask": example["attention_mask"],
            },
            input=[
                ("input_ids", [-1, -1], ov.Type.i64),
                ("attention_mask", [-1, -1], ov.Type.i64),
            ],
        )


def _quantize(model: Any, tokenizer_file: Path) -> Any:
    """Post-training int8 quantisation of weights and activations, calibrated one text a step."""
    import nncf
    import numpy as np
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    samples = []
    for text in calibration_texts():
        encoding = tokenizer.encode(text)
        samples.append(
            {
                "input_ids": np.array([encoding.ids], dtype=np.int64),
                "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            }
        )
    return nncf.quantize(
        model,
        nncf.Dataset(samples),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(samples),
    )


def export_openvino_int8(model_dir: Path, export_dir: Path | None = None) -> Path:
    """Build the int8 export of `model_dir` (a sentence-transformers BERT folder) if it is stale.

    Written into a temporary sibling folder and renamed into place, so a reader never sees half
    an export. Takes a few minutes on two cores (calibration runs the model over 96 texts).

    Returns:
        The export folder.

    Raises:
        EncoderExportError: OpenVINO or NNCF is missing, or the folder cannot be written.
    """
    export_dir = export_dir or export_dir_for(model_dir)
    if export_is_current(model_dir, export_dir):
        return export_dir
    try:
        import nncf  # noqa: F401
        import openvino as ov
    except ImportError as exc:
        raise EncoderExportError(
            f"The OpenVINO export needs `openvino` and `nncf` ({exc}); install the project's "
            "dependencies again, or set BLOK_EMBEDDING__BACKEND=torch."
        ) from exc
    if export_dir.exists() and not all(p.name in _OUTPUT_NAMES for p in export_dir.iterdir()):
        raise EncoderExportError(f"{export_dir} exists but is not an export made here; remove it.")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{export_dir.name}.tmp-", dir=export_dir.parent))
        try:
            shutil.copyfile(model_dir / TOKENIZER, tmp / TOKENIZER)
            quantized = _quantize(_convert(model_dir), tmp / TOKENIZER)
            ov.save_model(quantized, str(tmp / MODEL_XML), compress_to_fp16=False)
            marker = {"format_version": EXPORT_FORMAT_VERSION, "source": _source_marker(model_dir)}
            (tmp / EXPORT_MARKER).write_text(json.dumps(marker, indent=2) + "\n", "utf-8")
            tmp.chmod(0o755)
            if export_dir.exists():
                shutil.rmtree(export_dir)
            tmp.rename(export_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        message = f"Cannot write the OpenVINO export to {export_dir}: {exc}"
        raise EncoderExportError(message) from exc
    return export_dir
