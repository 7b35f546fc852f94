# Next.js app (FRAMEWORK=nextjs), built by infra/jenkins/Jenkinsfile with the app as context.
#
# - Dependencies: pnpm-lock.yaml -> pnpm, yarn.lock -> yarn (both through corepack, which honours
#   the "packageManager" field), package-lock.json -> npm ci, none -> npm install.
# - Build: the package's "build" script (normally `next build`).
# - Run: with `output: 'standalone'` in next.config.* the image holds only the standalone
#   server (`node server.js`, small); without it, the whole app with its node_modules and
#   `next start`. Both listen on $PORT (build arg APP_PORT) on all interfaces.
# - No shared cache mounts: builds of different tenants share the agent.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY . .
RUN set -eu; \
    if [ -f pnpm-lock.yaml ]; then corepack enable pnpm && pnpm install --frozen-lockfile; \
    elif [ -f yarn.lock ]; then corepack enable yarn && yarn install --frozen-lockfile; \
    elif [ -f package-lock.json ]; then npm ci; \
    else npm install; fi
RUN set -eu; \
    if [ -f pnpm-lock.yaml ]; then pnpm run build; \
    elif [ -f yarn.lock ]; then yarn run build; \
    else npm run build; fi
# /out is what the runtime image gets: the standalone server, or the whole built app.
RUN set -eu; mkdir -p /out; \
    if [ -f .next/standalone/server.js ]; then \
      cp -a .next/standalone/. /out/; \
      mkdir -p /out/.next && cp -a .next/static /out/.next/static; \
      if [ -d public ]; then cp -a public /out/public; fi; \
      touch /out/.standalone; \
    else \
      cp -a . /out/; \
    fi

FROM node:${NODE_VERSION}-bookworm-slim
WORKDIR /app
ARG APP_PORT=3000
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=${APP_PORT} \
    HOSTNAME=0.0.0.0
# Owned by `node`: Next.js writes its image and fetch caches under .next/cache.
COPY --from=build --chown=node:node /out ./
USER node
EXPOSE ${APP_PORT}
CMD ["sh", "-c", "if [ -f .standalone ]; then exec node server.js; else exec node_modules/.bin/next start --port \"$PORT\" --hostname 0.0.0.0; fi"]
