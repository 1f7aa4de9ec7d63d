# syntax=docker/dockerfile:1
# rancher-reconciler container image.
#   docker build -t rancher-reconciler .
#   docker run --rm -p 127.0.0.1:8081:8081 rancher-reconciler
# (the second line runs the daemon against the embedded emulator and the example manifests.)
# Node 22 is an LTS line still in support; the code also runs on Node 20 (what CI uses).

# ---- build: compile TypeScript with the dev dependencies ----
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# the build also writes schema/instance.json from the compiled field table
COPY scripts/build-schema.mjs ./scripts/
RUN npm run build

# ---- runtime: production dependencies, compiled code, schema data, example manifests ----
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
# git and an ssh client for the git source (--git-url); ca-certificates for https remotes
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no runtime dependency needs an install script, and none should run here
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
# data/ holds the emulator's schema data (the embedded emulator serves /v1/schemas from it)
COPY data ./data
COPY ui ./ui
COPY manifests ./manifests

# The state volume holds the inventory (what this reconciler owns) and, with --git-url, the shallow
# clone (<state dir>/git); it must survive restarts.
# /git is where the git-sync sidecar's shared volume is mounted (deploy/, the sidecar variant).
RUN mkdir -p /var/lib/rancher-reconciler /git && chown node:node /var/lib/rancher-reconciler /git
VOLUME /var/lib/rancher-reconciler

# RECONCILER_LISTEN: the default listen address is loopback, which inside a container is unreachable
# from the kubelet's probes, Prometheus or `docker run -p`. The container's network namespace is the
# boundary here; protect POST /reconcile with --reconcile-token(-file) when the port is exposed further.
# No RECONCILER_MANIFESTS here: the git-sync variant passes --manifests=/git/current, the git-source
# variant --git-url (the two cannot be combined); with neither, the example manifests in /app/manifests.
ENV RECONCILER_STATE_DIR=/var/lib/rancher-reconciler \
    RECONCILER_LISTEN=0.0.0.0:8081
EXPOSE 8081

# The official node image's unprivileged user (uid 1000).
USER node

# Graceful shutdown: SIGTERM stops intake, drains in-flight calls, flushes the inventory, exits 0.
STOPSIGNAL SIGTERM

# Slim images have no curl: probe with node's fetch, on the port from RECONCILER_LISTEN.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const port = (process.env.RECONCILER_LISTEN || '').split(':').pop() || '8081'; fetch('http://127.0.0.1:' + port + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "dist/cli.js"]
CMD ["run"]
