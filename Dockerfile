# The worker and the codec server share this image; docker-compose.yml picks the command.
# Build stage: compile TypeScript to dist/ with the development dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: compiled JavaScript and the production dependencies only.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
ENV NODE_ENV=production
CMD ["node", "dist/main/keeper.js"]
