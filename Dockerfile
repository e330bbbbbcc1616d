# The service on a slim Python; `docker compose up` runs it with a seeded PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv
WORKDIR /app

# The pip lines of `make install`, in its order, without the dev one (tests/test_docker.py
# checks it). The dependencies get their own layer, pinned by requirements.lock, rebuilt only
# when either file changes.
COPY requirements.txt requirements.lock ./
RUN pip install --upgrade pip
RUN pip install -r requirements.txt -c requirements.lock
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-deps -e .

RUN useradd --system --uid 10001 --create-home --home-dir /home/txt2sql txt2sql
USER txt2sql

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
CMD ["txt2sql-api", "serve", "--host", "0.0.0.0", "--port", "8000"]
