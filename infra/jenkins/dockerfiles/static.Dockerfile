# Static site (FRAMEWORK=static), built by infra/jenkins/Jenkinsfile with the app as context.
#
# - Site root: the repository root when it has index.html, else public/.
# - Served by nginx as a non-root user (nginxinc/nginx-unprivileged). The server block is a
#   template rendered by the image's entrypoint (envsubst of /etc/nginx/templates/*.template
#   into /etc/nginx/conf.d/), so nginx listens on $PORT (build arg APP_PORT; default 8080; use a
#   port >= 1024, the server does not run as root). Dotfiles (.git, .env, ...) are never served.
FROM busybox:1.36 AS site
WORKDIR /src
COPY . .
RUN set -eu; mkdir /site; \
    if [ -f index.html ]; then cp -a . /site/; \
    elif [ -f public/index.html ]; then cp -a public/. /site/; \
    else echo 'no index.html at the root or in public/' >&2; exit 1; fi; \
    rm -rf /site/.git

FROM nginxinc/nginx-unprivileged:stable-alpine
ARG APP_PORT=8080
ENV PORT=${APP_PORT}
USER root
# ${PORT} is rendered when the container starts; $uri stays nginx's (no such environment variable).
RUN mkdir -p /etc/nginx/templates \
 && printf '%s\n' \
      'server {' \
      '    listen ${PORT};' \
      '    server_name _;' \
      '    root /usr/share/nginx/html;' \
      '    index index.html;' \
      '    absolute_redirect off;' \
      '    location ~ /\.(?!well-known/) { deny all; }' \
      '    location / { try_files $uri $uri/ $uri.html =404; }' \
      '}' \
      > /etc/nginx/templates/default.conf.template \
 && chown -R 101:0 /etc/nginx/templates \
 && rm -rf /usr/share/nginx/html/*
COPY --from=site /site/ /usr/share/nginx/html/
USER 101
EXPOSE ${APP_PORT}
