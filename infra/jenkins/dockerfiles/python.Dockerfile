# Python app (FRAMEWORK=python), built by infra/jenkins/Jenkinsfile with the app as context.
#
# - Dependencies into a virtualenv: requirements.txt, else pyproject.toml (`pip install .`),
#   else Pipfile (exported with pipenv from Pipfile.lock, locked first when there is none).
#   Wheels only as far as PyPI has them: packages that must compile C code need their own
#   Dockerfile (FRAMEWORK=dockerfile).
# - Start, first that applies (the script /usr/local/bin/start-app):
#   1. gunicorn is installed (the requirements mention it): `gunicorn --bind 0.0.0.0:$PORT
#      $APP_MODULE`; APP_MODULE defaults to <dir>.wsgi:application when a Django-style
#      <dir>/wsgi.py exists, else app:app (Flask style). Set APP_MODULE at run time to change it.
#   2. main.py or app.py: `python main.py` / `python app.py`; the app must listen on $PORT.
#   3. fallback: `python -m http.server $PORT`, which serves the files of /app, enough to answer
#      a health check and to see that the image runs, not an application server.
# - PORT is the build arg APP_PORT.
ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY . .
RUN set -eu; \
    if [ -f requirements.txt ]; then pip install -r requirements.txt; \
    elif [ -f pyproject.toml ]; then pip install .; \
    elif [ -f Pipfile ]; then \
      python -m venv /tmp/pipenv && /tmp/pipenv/bin/pip install pipenv; \
      if [ ! -f Pipfile.lock ]; then /tmp/pipenv/bin/pipenv lock; fi; \
      /tmp/pipenv/bin/pipenv requirements > /tmp/requirements.txt && pip install -r /tmp/requirements.txt; \
    fi
RUN printf '%s\n' \
      '#!/bin/sh' \
      'cd /app' \
      'if [ -x /opt/venv/bin/gunicorn ]; then' \
      '  module="${APP_MODULE:-}"' \
      '  if [ -z "$module" ]; then' \
      '    wsgi=$(ls -d */wsgi.py 2>/dev/null | head -n 1)' \
      '    if [ -n "$wsgi" ]; then module="$(dirname "$wsgi").wsgi:application"; else module="app:app"; fi' \
      '  fi' \
      '  exec gunicorn --bind "0.0.0.0:${PORT}" "$module"' \
      'fi' \
      'for script in main.py app.py; do' \
      '  if [ -f "$script" ]; then exec python "$script"; fi' \
      'done' \
      'exec python -m http.server "$PORT" --bind 0.0.0.0' \
      > /usr/local/bin/start-app \
 && chmod 0755 /usr/local/bin/start-app

FROM python:${PYTHON_VERSION}-slim
ARG APP_PORT=8000
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=${APP_PORT}
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /usr/local/bin/start-app /usr/local/bin/start-app
COPY --from=build /app /app
USER 10001
EXPOSE ${APP_PORT}
CMD ["/usr/local/bin/start-app"]
