# syntax=docker/dockerfile:1
# AegisOps as a container image: Node 20 on Debian slim, built in one stage and run in another, as a
# non-root user, on a read-only root filesystem (state lives in /data; give it a volume).
# Machines that cannot pull base images build the same image FROM scratch: deploy/docker/build-local.sh.

FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 compiles from source when no prebuilt binary matches: the toolchain stays in this stage.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm pack --silent --pack-destination /tmp && mkdir /app && tar -xzf /tmp/aegisops-*.tgz -C /app --strip-components=1
WORKDIR /app
RUN cp /src/package-lock.json . && npm ci --omit=dev --no-audit --no-fund && rm package-lock.json

FROM node:20-bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends wget && rm -rf /var/lib/apt/lists/* \
  && groupadd --gid 10001 aegis && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home aegis \
  && mkdir /data && chown 10001:10001 /data
COPY --from=build /app /app
ENV NODE_ENV=production AEGIS_HOST=0.0.0.0 AEGIS_PORT=8080 AEGIS_DB=/data/aegis.db
WORKDIR /data
USER 10001:10001
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${AEGIS_PORT:-8080}/healthz" || exit 1
LABEL org.opencontainers.image.title="AegisOps" \
      org.opencontainers.image.description="Autonomous incident responder for Docker and Kubernetes" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/aegis.js"]
CMD ["serve"]
