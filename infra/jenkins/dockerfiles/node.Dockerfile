# Node.js app (FRAMEWORK=node), built by infra/jenkins/Jenkinsfile with the app as context.
#
# - Dependencies: package-lock.json -> npm ci; pnpm-lock.yaml / yarn.lock -> pnpm / yarn through
#   corepack; no lockfile -> npm install.
# - Build: the "build" script when the package has one.
# - Runtime: devDependencies are pruned (as on Heroku: what `npm start` needs at run time
#   belongs in "dependencies"), then `npm start` (the "start" script, or `node server.js`).
#   The app must listen on $PORT (build arg APP_PORT).
# - No shared cache mounts: builds of different tenants share the agent.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN set -eu; \
    if [ -f pnpm-lock.yaml ]; then corepack enable pnpm && pnpm install --frozen-lockfile && pnpm run --if-present build && pnpm prune --prod; \
    elif [ -f yarn.lock ]; then corepack enable yarn && yarn install --frozen-lockfile && if npm pkg get scripts.build | grep -qv '{}'; then yarn run build; fi; \
    elif [ -f package-lock.json ]; then npm ci && npm run build --if-present && npm prune --omit=dev; \
    else npm install && npm run build --if-present && npm prune --omit=dev; fi

FROM node:${NODE_VERSION}-bookworm-slim
WORKDIR /app
ARG APP_PORT=3000
ENV NODE_ENV=production \
    PORT=${APP_PORT}
COPY --from=build --chown=node:node /app ./
USER node
EXPOSE ${APP_PORT}
CMD ["npm", "start"]
