# One image per service: docker build --build-arg SERVICE=ingest -t ledgerflow-ingest .
# SERVICE is one of: ingest, planner, numbering, ledger-writer, qbo-sim.
FROM python:3.11-slim-bookworm AS build
ARG SERVICE=ingest
WORKDIR /src
COPY constraints.txt ./
COPY libs ./libs
COPY services ./services
RUN python -m venv /opt/ledgerflow \
 && /opt/ledgerflow/bin/pip install --no-cache-dir -c constraints.txt ./libs/contracts ./libs/runtime "./services/${SERVICE}"

FROM python:3.11-slim-bookworm
ARG SERVICE=ingest
ENV PATH=/opt/ledgerflow/bin:$PATH PYTHONUNBUFFERED=1 LEDGERFLOW_SERVICE=${SERVICE}
COPY --from=build /opt/ledgerflow /opt/ledgerflow
RUN useradd --system --uid 10001 --no-create-home ledgerflow
USER 10001
# The module name is the service name with underscores (ledger-writer -> ledgerflow.ledger_writer).
CMD ["sh", "-c", "exec python -m ledgerflow.$(echo \"$LEDGERFLOW_SERVICE\" | tr - _)"]
