# One image for the API and the worker (docker-compose.yml runs it twice).
FROM python:3.12-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY salespad ./salespad
COPY workflows ./workflows
COPY activities ./activities
COPY adapters ./adapters
COPY api ./api
COPY models ./models
COPY sequences ./sequences
COPY worker.py ./
RUN pip install .
RUN useradd --create-home salespad
USER salespad
EXPOSE 8000
CMD ["salespad", "api", "--host", "0.0.0.0"]
