# The Palabre image that docker-compose.yml runs (twice, behind Caddy). Debian's DejaVu fonts
# are installed for the PDF exports (without them a PDF export answers 500).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-dejavu-extra \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /app --shell /usr/sbin/nologin palabre
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server server
COPY domain domain
COPY projections projections
COPY client client
RUN pip install --no-cache-dir . && rm -rf /app/*
USER palabre
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --retries=3 CMD python -c \
  "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
STOPSIGNAL SIGTERM
CMD ["palabre", "serve", "--host", "0.0.0.0", "--port", "8000"]
