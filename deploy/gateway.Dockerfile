# syntax=docker/dockerfile:1
# The Hive Gateway image: our own on Node 20 (the version the tests run), with the
# exact npm dependency tree of gateway/package-lock.json, the composed supergraph and
# gateway/gateway.config.ts. Build from the repository root:
#   docker build -f deploy/gateway.Dockerfile -t registry.example.org/ducha/ducha-gateway:0.1.0 .
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: npm and its cache live here only ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY gateway/package.json gateway/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
    && npm cache clean --force

# ---- web: the console, phone pages and big screen (vite build), served by the gateway ----
FROM ${NODE_IMAGE} AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY gateway/supergraph.graphql /gateway/supergraph.graphql
COPY web/ ./
RUN npx vite build --logLevel warn

# ---- runtime: node_modules, config and supergraph; a non-root user ----
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY gateway/package.json gateway/gateway.config.ts gateway/edges.ts gateway/web.ts gateway/token-cache.ts gateway/supergraph.graphql ./
COPY --from=web /web/dist ./web
ENV NODE_ENV=production \
    HOME=/tmp \
    HOST=0.0.0.0 \
    PORT=4000 \
    SUPERGRAPH_PATH=/app/supergraph.graphql \
    WEB_DIST=/app/web
USER 10001:10001
EXPOSE 4000
ENTRYPOINT ["node", "node_modules/.bin/hive-gateway"]
CMD ["supergraph"]
