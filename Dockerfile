# syntax=docker/dockerfile:1
# RunPod serverless image: Node 24 on CUDA 12 + cuDNN 9 (what onnxruntime-node 1.30's CUDA provider
# needs). Node 24: the LTS line supported longest among those the ecosystem has settled on
# (maintenance until April 2028; 20 is past its end of life and the AWS SDK's 2027 releases need
# ≥ 22; 26 became LTS only in October 2026). The code still runs on Node ≥ 20.19 for local use. The build stage has network access, so here npm ci downloads ffmpeg-static's ffmpeg 6.1
# and ORT's CUDA 12 provider libraries (both skipped on offline dev machines).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --onnxruntime-node-install=cuda12 --no-audit --no-fund
COPY . .
# The embedded models (super-resolution, the Foley task's vision models) are converted to ONNX
# here, once, so that no worker converts them at its first job (.cache/converted-models, named by
# their sources' hashes).
RUN npm run build \
 && node dist/handler.js --convert-models \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v6/darwin node_modules/onnxruntime-node/bin/napi-v6/win32 \
           node_modules/onnxruntime-node/bin/napi-v6/linux/arm64

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
# tini as PID 1: it forwards SIGTERM to the worker and reaps ffmpeg's children. Node itself must not
# be PID 1: the kernel ignores a signal's default action for PID 1, and a second SIGTERM ends the
# worker by re-raising the signal (src/runtime/start.ts).
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /app/package.json /app/test_input.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/.cache/converted-models ./.cache/converted-models
COPY --from=build /app/samples ./samples
ENV NODE_ENV=production
# Results of delivery "path" and scratch files stay off the network volume by default.
ENV OUTPUT_DIR=/tmp/foley-output
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/handler.js"]
