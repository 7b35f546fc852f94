# The engine's image (API and worker share it; the command picks the process).
# Stage 1: dependencies and the generated Prisma client.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/false npx prisma generate

# Stage 2: runtime. git is needed by the source and GitOps steps, and the ssh client by
# `git@host:` / `ssh://` repositories (docker-compose.yml mounts the key and known_hosts).
FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends git openssh-client ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/generated ./generated
COPY . .
# A fixed uid, so the mounted ssh key can be owned by it (chown 10001, chmod 600: docs/compose.md).
RUN useradd --uid 10001 --create-home engine && mkdir -p /app/.data && chown -R engine /app/.data
USER engine
EXPOSE 3000
CMD ["node_modules/.bin/tsx", "api/server.ts"]
