# okr-sync daemon image: slim Python, non-root, config and state as volumes, HEALTHCHECK on /healthz.
#   docker build -t okr-sync .
#   docker run -v ./okr-sync.yaml:/etc/okr-sync/okr-sync.yaml:ro -v okr-sync-state:/var/lib/okr-sync \
#              -e JIRA_TOKEN -p 8080:8080 okr-sync            # (see compose.yaml for okr-sync + PostgreSQL)
# Build stage: install the package and its extras into /install; nothing of the build toolchain ships.
# EXTRAS picks trackers and PostgreSQL (all = jira, gitlab, planner, postgres); never sandbox or dev.
FROM python:3.11-slim AS build
ARG EXTRAS=all
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config ./config
COPY mapping ./mapping
COPY connectors ./connectors
COPY sync ./sync
# The wheel's package list names okr_sync.sandbox, so the build needs its folder; the installed copy is
# removed right after: the production image has no tracker emulators (okr-sync[sandbox] is for demos and tests).
COPY sandbox ./sandbox
RUN pip install --prefix=/install ".[${EXTRAS}]" \
 && rm -rf /install/lib/python3*/site-packages/okr_sync/sandbox \
 && if find /install -path '*/okr_sync/sandbox*' | grep -q .; then echo "okr_sync.sandbox left in the image" >&2; exit 1; fi \
 && find /install -depth -type d -name __pycache__ -exec rm -rf {} +

# Runtime stage: the installed packages and an unprivileged user, nothing else.
FROM python:3.11-slim
LABEL org.opencontainers.image.title="okr-sync" \
      org.opencontainers.image.description="Run OKRs inside Jira, GitLab and Microsoft Planner" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN useradd --system --uid 10001 --home-dir /var/lib/okr-sync --create-home --shell /usr/sbin/nologin okr-sync \
 && mkdir -p /etc/okr-sync && chown okr-sync /etc/okr-sync
COPY --from=build /install /usr/local
# Fails the build if the sandbox (or its TLS helper) is importable in what ships.
RUN python -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ('okr_sync.sandbox', 'trustme')))"
USER 10001:10001
WORKDIR /var/lib/okr-sync
# Config is read from OKRSYNC_CONFIG. The state store is the file's state.url; when the file sets none, the
# default sqlite:///okr-sync.db lands in this WORKDIR, the state volume (one replica). No OKRSYNC_STATE__URL
# here: the environment overrides the file, and an admin's postgresql+psycopg://… would be silently ignored.
ENV OKRSYNC_CONFIG=/etc/okr-sync/okr-sync.yaml \
    OKRSYNC_SERVER__LISTEN=0.0.0.0:8080 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
VOLUME ["/etc/okr-sync", "/var/lib/okr-sync"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os,sys,urllib.request; port=os.environ.get('OKRSYNC_SERVER__LISTEN','0.0.0.0:8080').rsplit(':',1)[1]; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["okr-sync"]
CMD ["run"]
