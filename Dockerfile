# okr-sync daemon image: slim Python, non-root, config and state as volumes.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config ./config
COPY mapping ./mapping
COPY connectors ./connectors
COPY sync ./sync
COPY sandbox ./sandbox
RUN pip install --no-cache-dir --prefix=/install '.[all]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/okr-sync --create-home okr-sync \
 && mkdir -p /etc/okr-sync && chown okr-sync /etc/okr-sync
COPY --from=build /install /usr/local
USER okr-sync
WORKDIR /var/lib/okr-sync
ENV OKRSYNC_CONFIG=/etc/okr-sync/okr-sync.yaml \
    OKRSYNC_STATE__URL=sqlite:////var/lib/okr-sync/okr-sync.db \
    OKRSYNC_SERVER__LISTEN=0.0.0.0:8080 \
    PYTHONUNBUFFERED=1
VOLUME ["/etc/okr-sync", "/var/lib/okr-sync"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os,sys,urllib.request; port=os.environ.get('OKRSYNC_SERVER__LISTEN','0.0.0.0:8080').rsplit(':',1)[1]; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["okr-sync"]
CMD ["run"]
