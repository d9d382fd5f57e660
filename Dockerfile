# The worker and the codec server share this image; docker-compose.yml picks the command.
# Node 24: an LTS line, supported until April 2028 (Node 20 left support in April 2026).
# Build stage: compile TypeScript to dist/ and pre-bundle the workflow code (dist/workflow-bundle.js: no webpack at
# a worker's start) with the development dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# The client package is an npm workspace: npm ci needs its manifest.
COPY package.json package-lock.json ./
COPY packages/client/package.json ./packages/client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: compiled JavaScript, the workflow bundle and the production dependencies only.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json ./packages/client/
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
# The worker's build id (its Worker Deployment Version) is the release and a digest of the workflow and activity code
# in dist/: images of the same code share it, any change gets a new one; nothing to pass at build time.
ENV NODE_ENV=production PLUM_METRICS_PORT=9464
EXPOSE 9464
# A worker is healthy once it is connected to Temporal and polls its task queue (/readyz on PLUM_METRICS_PORT);
# the codec server's service overrides this with `healthcheck.js codec`.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "dist/main/healthcheck.js", "readyz"]
CMD ["node", "dist/worker.js"]
