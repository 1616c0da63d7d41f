# The search service as a container, for use with a Qdrant server (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 BLOK_DATA_DIR=/data
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY blok blok
COPY core core
COPY ingest ingest
COPY pipelines pipelines
COPY search_service search_service
COPY evaluation evaluation
COPY corpora corpora

# Tesseract with German for the OCR of scanned PDF pages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-deu \
    && rm -rf /var/lib/apt/lists/*

# CPU PyTorch first, so that nothing pulls a CUDA build; then the project with pinned versions.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install --no-cache-dir -c constraints.txt . \
    && blok model

EXPOSE 8000
CMD ["blok", "serve", "--host", "0.0.0.0", "--port", "8000"]
