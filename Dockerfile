# One image for every SalesPad process; docker-compose.yml runs it as `migrate`, `api` and
# `worker` (the entrypoint is the `salespad` command, so a service's command is its subcommand).
FROM python:3.12-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
# Every package pyproject.toml installs (tests/unit/test_compose.py checks the list).
COPY salespad ./salespad
COPY config ./config
COPY services ./services
COPY workflows ./workflows
COPY activities ./activities
COPY adapters ./adapters
COPY api ./api
COPY models ./models
COPY sequences ./sequences
COPY worker.py ./
RUN pip install .
# SALESPAD_DATA_DIR (default .salespad, under /app) must be writable by the user that runs.
RUN useradd --create-home salespad && mkdir -p /app/.salespad && chown salespad /app/.salespad
USER salespad
EXPOSE 8000
ENTRYPOINT ["salespad"]
CMD ["api", "--host", "0.0.0.0"]
