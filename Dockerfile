# The worker and the codec server share this image; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY bin ./bin
COPY tsconfig.json ./
USER node
ENV NODE_ENV=production
CMD ["node", "--import", "tsx", "src/worker.ts"]
