# A small image that serves kefu on 0.0.0.0:8000 with the shipped library.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KEFU_DATA_DIR=/data \
    KEFU_REPLIES_DIR=/srv/kefu/replies \
    KEFU_LOCALES_DIR=/srv/kefu/locales

WORKDIR /srv/kefu
COPY pyproject.toml README.md ./
COPY app ./app
COPY replies ./replies
COPY locales ./locales
RUN pip install --no-cache-dir . \
    && useradd --system --home /data kefu \
    && mkdir -p /data && chown kefu /data

USER kefu
VOLUME ["/data"]
EXPOSE 8000
CMD ["kefu", "serve", "--host", "0.0.0.0", "--port", "8000"]
