"""Train the answer-sentence ranker and the answerability classifier; write the model file.

`python -m evaluation.train_answer_ranker --data-dir DIR` ingests each gold set's corpus (as
`blok eval` does), retrieves the passages of every question through the real query pipeline,
splits them into the candidate sentences the answering pipeline sees and computes their features
(`pipelines.answers.features`). Labels come from the gold answers: a sentence of a relevant
document answers the question when most of its words are in the gold answer or most of the gold
answer's words are in it (OMoS-QA dev's answer sentences, XQuAD-de's answer spans, the demo
set's answers). The off-domain calibration questions (`gold/off_domain.jsonl`) are asked of the
demo and XQuAD-de corpora and are unanswerable by construction.

It prints 5-fold cross-validated figures (folds by question) for logistic regression and gradient
boosting, picks the model, calibrates the abstention threshold on out-of-fold confidences (the
highest that keeps wrong abstentions of answerable questions at or below `--max-wrong`), and
writes `pipelines/resources/answer_model.json`. `--sentence-vectors` adds the e5 cosine of each
sentence to the question as a feature, to measure whether storing sentence vectors would pay.
`--samples FILE` keeps the featurised questions after each set and reuses them (their features
are recomputed with the current code, retrieval and labels are kept); `--omosqa-sample N`
featurises only about N of OMoS-QA dev's questions (its corpus is still ingested whole).
"""

from __future__ import annotations

import argparse
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from haystack import Document, Pipeline
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from core.persistence.registry import Registry
from core.settings import Settings
from evaluation.datasets import GoldQuestion, load_off_domain_questions
from evaluation.metrics import normalized_words
from evaluation.runner import eval_settings, load_gold_set
from ingest.runner import run_ingest
from pipelines.answers.features import (
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    LexicalSpace,
    QuestionTerms,
    question_features,
    sentence_features,
)
from pipelines.answers.model import DEFAULT_ANSWER_MODEL, AnswerModel, LinearModel
from pipelines.answers.patterns import question_kind
from pipelines.components.preprocessors.passage_sentence_splitter import PassageSentenceSplitter
from pipelines.models.embedding_model import (
    resolve_dense_encoder,
    resolve_embedding_model,
    warm_up_pipeline,
)
from pipelines.query import build_query_pipeline, run_query
from pipelines.stores import build_chunk_store
from pipelines.text.glossary import load_glossary

SETS = ("demo", "xquad-de", "omosqa-de-dev")
XQUAD_SAMPLE = 400  # of 1,190 questions over 240 paragraphs: enough, and ingestion dominates
FOLDS = 5


@dataclass
class QuestionSample:
    """One question's candidate sentences with features and labels."""

    set_name: str
    query: str
    answerable: bool
    sentences: list[Document]
    terms: QuestionTerms
    rows: list[list[float]]
    labels: list[int]
    cosines: list[float] = field(default_factory=list)


def labels_for(question: GoldQuestion, sentences: list[Document]) -> list[int]:
    """1 for a sentence of a relevant document that overlaps a gold answer, else 0."""
    answers = [set(normalized_words(a)) for a in question.answers]
    labels = []
    for sentence in sentences:
        words = set(normalized_words(sentence.content or ""))
        relevant = str(sentence.meta.get("source_name")) in question.relevant
        hit = any(
            words
            and answer
            and (
                len(words & answer) / len(words) >= 0.6 or len(words & answer) / len(answer) >= 0.6
            )
            for answer in answers
        )
        labels.append(int(relevant and hit))
    return labels


@contextmanager
def open_query_pipeline(settings: Settings) -> Iterator[Pipeline]:
    """The real query pipeline over the store of `settings` (no answering pipeline)."""
    registry = Registry.open(settings)
    store = build_chunk_store(settings, registry)
    try:
        encoder = resolve_dense_encoder(settings.embedding, settings.models_dir)
        pipeline = build_query_pipeline(
            store=store,
            encoder=encoder,
            retrieval=settings.retrieval,
            query_prefix=settings.embedding.query_prefix,
            glossary=load_glossary(settings.data_dir),
            serving=registry.documents,
        )
        warm_up_pipeline(pipeline, encoder.model)
        yield pipeline
    finally:
        store.close()
        registry.close()


class SentenceCosine:
    """e5 cosine of sentences to the question (only for the `--sentence-vectors` measurement)."""

    def __init__(self, settings: Settings) -> None:
        from haystack_integrations.components.embedders.sentence_transformers import (
            SentenceTransformersDocumentEmbedder,
        )

        model = resolve_embedding_model(settings.embedding.model, settings.models_dir)
        self.embedder = SentenceTransformersDocumentEmbedder(
            model=model,
            prefix=settings.embedding.passage_prefix,
            progress_bar=False,
            normalize_embeddings=True,
            local_files_only=True,
        )
        self.embedder.warm_up()
        self.cache: dict[str, np.ndarray] = {}

    def of(self, query_vector: list[float], sentences: list[Document]) -> list[float]:
        """Cosine of each sentence (embedded once per distinct text)."""
        missing = [
            Document(content=t) for t in {s.content or "" for s in sentences} - set(self.cache)
        ]
        if missing:
            for doc in self.embedder.run(documents=missing)["documents"]:
                self.cache[doc.content or ""] = np.asarray(doc.embedding, dtype=np.float32)
        query = np.asarray(query_vector, dtype=np.float32)
        return [float(self.cache[s.content or ""] @ query) for s in sentences]


def collect(
    settings: Settings,
    name: str,
    questions: list[tuple[str, GoldQuestion | None]],
    space: LexicalSpace,
    cosine: SentenceCosine | None,
) -> list[QuestionSample]:
    """Retrieve, split and featurise every question of one corpus."""
    splitter = PassageSentenceSplitter(
        passages=settings.answer.passages, min_words=settings.answer.min_sentence_words
    )
    glossary = load_glossary(settings.data_dir)
    samples = []
    with open_query_pipeline(settings) as pipeline:
        for number, (query, question) in enumerate(questions, start=1):
            if number % 50 == 0:
                print(f"  {name}: {number} of {len(questions)} questions", flush=True)
            result = run_query(pipeline, query, top_k=settings.answer.passages)
            sentences = splitter.run(documents=result.documents)["documents"]
            terms = QuestionTerms.of(query, space, glossary)
            samples.append(
                QuestionSample(
                    set_name=name if question else "off-domain",
                    query=query,
                    answerable=bool(question and question.relevant),
                    sentences=sentences,
                    terms=terms,
                    rows=sentence_features(terms, sentences, space),
                    labels=labels_for(question, sentences) if question else [0] * len(sentences),
                    cosines=cosine.of(result.query_embedding, sentences) if cosine else [],
                )
            )
    return samples


def refeaturise(samples: list[QuestionSample], space: LexicalSpace) -> list[QuestionSample]:
    """Recompute kept questions' features with the current code (retrieval and labels stay)."""
    for sample in samples:
        sample.terms = replace(sample.terms, kind=question_kind(sample.query))
        sample.rows = sentence_features(sample.terms, sample.sentences, space)
    return samples


def ranking_figures(
    samples: list[QuestionSample], scores: list[list[float]]
) -> tuple[float, float]:
    """Precision@1 and MRR of the first positive over questions with a positive sentence."""
    p1, rr = [], []
    for sample, score in zip(samples, scores, strict=True):
        order = sorted(range(len(score)), key=lambda i: (-score[i], i))
        ranks = [r for r, i in enumerate(order, 1) if sample.labels[i]]
        p1.append(float(ranks[0] == 1))
        rr.append(1.0 / ranks[0])
    return float(np.mean(p1)), float(np.mean(rr))


def matrix(
    samples: list[QuestionSample], with_cosine: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, labels and question groups of the samples' sentences."""
    rows, labels, groups = [], [], []
    for index, sample in enumerate(samples):
        for r, row in enumerate(sample.rows):
            rows.append(row + ([sample.cosines[r]] if with_cosine else []))
            labels.append(sample.labels[r])
            groups.append(index)
    return np.asarray(rows), np.asarray(labels), np.asarray(groups)


def make(kind: str) -> LogisticRegression | HistGradientBoostingClassifier:
    """A fresh classifier of the kind compared."""
    if kind == "logistic":
        return LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15)


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale (no zero scales) of a feature matrix."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)


def fit_linear(x: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> LinearModel:
    """A logistic regression on standardised features, as the shipped `LinearModel`."""
    mean, scale = standardise(x)
    model = make("logistic").fit((x - mean) / scale, y)
    return LinearModel(
        features=names,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]),
    )


def out_of_fold(kind: str, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Out-of-fold decision scores (logits for logistic regression)."""
    scores = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        mean, scale = standardise(x[train])
        model = make(kind).fit((x[train] - mean) / scale, y[train])
        scores[test] = model.decision_function((x[test] - mean) / scale)
    return scores


def split_scores(samples: list[QuestionSample], flat: np.ndarray) -> list[list[float]]:
    """A flat score vector back into one list per question."""
    out, at = [], 0
    for sample in samples:
        out.append([float(v) for v in flat[at : at + len(sample.rows)]])
        at += len(sample.rows)
    return out


def main() -> None:
    """Collect, cross-validate, choose, calibrate and write the model."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--sentence-vectors", action="store_true")
    parser.add_argument("--max-wrong", type=float, default=0.04)
    parser.add_argument("--output", type=Path, default=DEFAULT_ANSWER_MODEL)
    parser.add_argument("--xquad-sample", type=int, default=XQUAD_SAMPLE)
    parser.add_argument(
        "--omosqa-sample", type=int, help="featurise only about N OMoS-QA dev questions (all)"
    )
    parser.add_argument("--sets", nargs="+", default=list(SETS), help="gold sets to train on")
    parser.add_argument(
        "--samples", type=Path, help="keep the featurised questions here and reuse them"
    )
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    space = LexicalSpace()
    off_domain = load_off_domain_questions("calibration")
    samples: list[QuestionSample] = []
    if args.samples and args.samples.exists():
        samples = refeaturise(pickle.loads(args.samples.read_bytes()), space)
        print(f"{len(samples)} featurised questions read from {args.samples}")
    done = {s.set_name for s in samples}
    for name in args.sets:
        if name in done:
            continue
        gold = load_gold_set(settings, name)
        local = eval_settings(settings, gold.name)
        run_ingest(local, [gold.corpus_dir])
        cosine = SentenceCosine(local) if args.sentence_vectors else None
        questions = gold.questions
        if name == "xquad-de":
            questions = questions[:: max(1, len(questions) // args.xquad_sample)]
        if name == "omosqa-de-dev" and args.omosqa_sample:
            questions = questions[:: max(1, len(questions) // args.omosqa_sample)]
        batch: list[tuple[str, GoldQuestion | None]] = [(q.query, q) for q in questions]
        if name in ("demo", "xquad-de"):
            batch += [(q, None) for q in off_domain]
        samples += collect(local, gold.name, batch, space, cosine)
        print(f"{name}: {len(batch)} questions featurised", flush=True)
        if args.samples:
            args.samples.write_bytes(pickle.dumps(samples))
    report(samples, args)


def print_row(label: str, figures: tuple[float, float]) -> None:
    """One row of the ranker table."""
    print(f"| {label} | {figures[0]:.3f} | {figures[1]:.3f} |")


def report(samples: list[QuestionSample], args: argparse.Namespace) -> None:
    """Cross-validated figures, the choice, the calibration; writes the model file."""
    ranked = [s for s in samples if s.answerable and any(s.labels)]
    print(f"\nranker training: {len(ranked)} questions with a gold sentence among the candidates")
    x, y, groups = matrix(ranked, with_cosine=False)
    print("| ranker (5-fold CV by question) | P@1 | MRR |\n|---|---|---|")
    baseline = [[-float(i) for i in range(len(s.rows))] for s in ranked]
    print(
        "| passage order (fused rank, then position) | {:.3f} | {:.3f} |".format(
            *ranking_figures(ranked, baseline)
        )
    )
    if args.sentence_vectors:
        cos = [s.cosines for s in ranked]
        print(
            "| e5 sentence cosine alone (previous selector) | {:.3f} | {:.3f} |".format(
                *ranking_figures(ranked, cos)
            )
        )
    for kind in ("logistic", "boosting"):
        with threadpool_limits(limits=1):  # OpenMP threads on a busy machine only spin
            oof = split_scores(ranked, out_of_fold(kind, x, y, groups))
        print_row(kind, ranking_figures(ranked, oof))
    if args.sentence_vectors:
        xc, yc, gc = matrix(ranked, with_cosine=True)
        oof = split_scores(ranked, out_of_fold("logistic", xc, yc, gc))
        print(
            "| logistic + e5 sentence cosine | {:.3f} | {:.3f} |".format(
                *ranking_figures(ranked, oof)
            )
        )
    oof_flat = out_of_fold("logistic", x, y, groups)
    oof_all = split_scores(ranked, oof_flat)
    for name in SETS:
        subset = [i for i, s in enumerate(ranked) if s.set_name == name]
        if subset:
            figures = ranking_figures([ranked[i] for i in subset], [oof_all[i] for i in subset])
            print_row(f"logistic, {name} only ({len(subset)})", figures)
    ranker = fit_linear(x, y, SENTENCE_FEATURES)
    oof_by_query = {id(s): sc for s, sc in zip(ranked, oof_all, strict=True)}
    calibrate(samples, ranker, oof_by_query, args)


def calibrate(
    samples: list[QuestionSample],
    ranker: LinearModel,
    oof: dict[int, list[float]],
    args: argparse.Namespace,
) -> None:
    """Train the answerability classifier, choose the threshold, write the model file."""
    space = LexicalSpace()
    used = [s for s in samples if s.answerable or s.set_name in ("off-domain", "demo")]
    rows, labels = [], []
    for sample in used:
        scores = oof.get(id(sample)) or ranker.logits(sample.rows)
        rows.append(question_features(sample.terms, sample.sentences, sample.rows, scores, space))
        labels.append(int(sample.answerable))
    x, y = np.asarray(rows), np.asarray(labels)
    flat = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, np.arange(len(y))):
        fold = fit_linear(x[train], y[train], QUESTION_FEATURES)
        flat[test] = fold.logits(x[test].tolist())
    confidence = 1.0 / (1.0 + np.exp(-flat))
    answerable = confidence[y == 1]
    threshold = float(np.quantile(answerable, args.max_wrong))
    kinds = np.asarray([s.set_name for s in used])
    print(f"\n| answerability (5-fold CV), threshold {threshold:.3f} | questions | abstained |")
    print("|---|---|---|")
    for name in ("demo", "xquad-de", "omosqa-de-dev", "off-domain"):
        for answerable_flag in (True, False):
            mask = (kinds == name) & (y == int(answerable_flag))
            if mask.any():
                share = float(np.mean(confidence[mask] < threshold))
                label = f"{name} {'answerable' if answerable_flag else 'unanswerable'}"
                print(f"| {label} | {int(mask.sum())} | {share:.3f} |")
    model = AnswerModel(
        ranker=ranker,
        answerability=fit_linear(x, y, QUESTION_FEATURES),
        threshold=round(threshold, 4),
    )
    unseen = [s for s in samples if s not in used]
    if unseen:  # OMoS-QA's unanswerable questions: on topic, not in the calibration
        rows = [
            question_features(s.terms, s.sentences, s.rows, ranker.logits(s.rows), space)
            for s in unseen
        ]
        logits = np.asarray(model.answerability.logits(rows))
        share = float(np.mean(1.0 / (1.0 + np.exp(-logits)) < threshold))
        print(f"| omosqa-de-dev unanswerable (not calibrated on) | {len(unseen)} | {share:.3f} |")
    args.output.write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"\nwrote {args.output} ({args.output.stat().st_size} bytes)")
    print(
        "ranker weights: "
        + ", ".join(f"{n} {w:+.2f}" for n, w in zip(ranker.features, ranker.weights, strict=True))
    )
    print(
        "answerability weights: "
        + ", ".join(
            f"{n} {w:+.2f}"
            for n, w in zip(model.answerability.features, model.answerability.weights, strict=True)
        )
    )


if __name__ == "__main__":
    main()
