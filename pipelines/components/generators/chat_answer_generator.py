"""`ChatAnswerGenerator`: ask an OpenAI-compatible chat endpoint for a cited German answer.

Never raises: an unreachable, slow or malformed endpoint yields `reply=None` and the reason, so
the caller falls back to the extractive answer.
"""

from __future__ import annotations

from typing import Any

import httpx
from haystack import Document, component

SYSTEM_PROMPT = (
    "Du beantwortest Fragen von Beschäftigten kommunaler Jobcenter. Antworte auf Deutsch, sachlich "
    "und in höchstens 120 Wörtern, ausschließlich mit Informationen aus den nummerierten Auszügen. "
    "Belege jeden Satz mit der Nummer des Auszugs in eckigen Klammern, z. B. [1] oder [2][3]. "
    "Nenne bei Aussagen aus Vergleichsringen den Ring und das Jahr. Wenn die Auszüge die Frage "
    "nicht beantworten, schreibe genau: KEINE QUELLE."
)
NO_SOURCE_MARKER = "KEINE QUELLE"


def format_passages(passages: list[Document]) -> str:
    """The numbered excerpts of the prompt: `[n] Titel, S. p: text`."""
    lines = []
    for number, passage in enumerate(passages, start=1):
        meta = passage.meta
        where = f"{meta.get('title') or meta.get('source_name')}, S. {meta.get('page_start', 1)}"
        lines.append(f"[{number}] {where}: {' '.join((passage.content or '').split())}")
    return "\n\n".join(lines)


@component
class ChatAnswerGenerator:
    """Call `POST {base_url}/chat/completions` with the question and the numbered passages."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 30.0,
        max_tokens: int = 400,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout_seconds = timeout_seconds
        self.max_tokens = max_tokens

    @component.output_types(reply=str | None, error=str | None)
    def run(self, query: str, passages: list[Document], abstained: bool) -> dict[str, Any]:
        """Return the model's reply, or None and why (also when retrieval already abstained)."""
        if abstained or not passages:
            return {"reply": None, "error": "no relevant passages"}
        body = {
            "model": self.model,
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {
                    "role": "user",
                    "content": f"Frage: {query}\n\nAuszüge:\n\n{format_passages(passages)}",
                },
            ],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = httpx.post(
                f"{self.base_url}/chat/completions",
                json=body,
                headers=headers,
                timeout=self.timeout_seconds,
            )
            response.raise_for_status()
            reply = response.json()["choices"][0]["message"]["content"]
        except httpx.TimeoutException:
            return {"reply": None, "error": f"timeout after {self.timeout_seconds:g} s"}
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            return {"reply": None, "error": f"{type(exc).__name__}: {exc}"}
        if not isinstance(reply, str) or not reply.strip():
            return {"reply": None, "error": "empty reply"}
        return {"reply": reply, "error": None}
