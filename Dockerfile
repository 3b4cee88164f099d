# One image for every ClinOps process: the services, the bot and the scheduler differ only by
# command (see docker-compose.yml). The gRPC code is generated at build, as `make protos` does.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY scripts ./scripts
COPY clinops ./clinops
COPY bot ./bot
COPY services ./services
# Editable: the code runs from /app, so migrations, ratio tables and generated modules are found
# where the repository keeps them.
# grpcio-tools (the codegen extra) is needed only to generate, so it leaves the image after.
RUN pip install -e '.[codegen]' \
    && python scripts/gen_protos.py \
    && pip uninstall --yes grpcio-tools \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin clinops \
    && mkdir -p /app/data/purchase-orders && chown -R clinops /app/data

USER clinops
EXPOSE 50051 50052 50053 3000
ENTRYPOINT ["clinops"]
CMD ["--help"]
