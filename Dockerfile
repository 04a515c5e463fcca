# The monitor daemon. Build: docker build -t monitor .
# Run:  docker run -v $PWD/rules:/etc/monitor/rules:ro -v monitor-data:/var/lib/monitor \
#         -p 9108:9108 monitor
# Rules are read from /etc/monitor/rules, the SQLite database lives in /var/lib/monitor;
# set MONITOR_DATABASE_URL=postgresql+psycopg://... to use PostgreSQL instead
# (deploy/compose.yaml does, and runs `monitor db upgrade` first).
# The dependencies are the exact versions of constraints.txt (`make constraints`).

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
# monitor/migrations is a symbolic link to ../alembic: both go in, and the wheel holds the files.
COPY alembic ./alembic
COPY monitor ./monitor
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt '.[postgres,estimate]'

FROM python:3.11-slim
RUN useradd --system --create-home --uid 10001 monitor \
 && mkdir -p /etc/monitor/rules /var/lib/monitor \
 && chown monitor:monitor /var/lib/monitor
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels 'monitor[postgres,estimate]' \
 && rm -rf /wheels
USER monitor
WORKDIR /var/lib/monitor
ENV MONITOR_DATABASE_URL=sqlite:////var/lib/monitor/monitor.db \
    MONITOR_RULES=/etc/monitor/rules \
    MONITOR_HTTP=0.0.0.0:9108 \
    MONITOR_LOG_FORMAT=json \
    PYTHONUNBUFFERED=1
VOLUME ["/etc/monitor/rules", "/var/lib/monitor"]
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)"
STOPSIGNAL SIGTERM
ENTRYPOINT ["monitor"]
CMD ["run"]
