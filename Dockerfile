# syntax=docker/dockerfile:1
# Modelgate: build with the dev toolchain, run with production dependencies only.
#   docker build -t modelgate .
#   docker run -p 8080:8080 -v modelgate-data:/data modelgate
# The environment is documented in docs/deploy.md.

# Node 24 is an LTS line onnxruntime-node 1.30 and embedded-postgres ship
# binaries for (glibc, linux-x64 and arm64); bookworm-slim keeps glibc.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
# onnxruntime-node's install script would fetch CUDA libraries; the CPU
# binaries are inside the package. .npmrc says the same for npm itself.
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web console (/ui): npm run build compiles it into dist/ui with vite.
COPY ui ./ui
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS deps
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip \
    HOST=0.0.0.0 \
    PORT=8080 \
    MODELGATE_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The gRPC service loads its .proto files at start.
COPY proto ./proto
COPY package.json ./
# The embedded default keeps PostgreSQL and artifacts under /data; with
# DATABASE_URL and S3_* set it holds only the model cache and scratch files.
RUN mkdir -p /data && chown 1000:1000 /data
# The base image's `node` user, numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
VOLUME ["/data"]
# HTTP (REST, V2 REST, /metrics) and the V2 gRPC service (GRPC_PORT).
EXPOSE 8080 8081
# The slim image has no curl; Node 24 has fetch.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
