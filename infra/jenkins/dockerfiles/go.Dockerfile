# Go app (FRAMEWORK=go), built by infra/jenkins/Jenkinsfile with the app as context.
#
# - A static binary (CGO_ENABLED=0) of the main package: the module root when it is `main`,
#   else the first main package under ./cmd/, else the first one in the module; the build arg
#   GO_MAIN (e.g. ./cmd/server) chooses one explicitly. A newer `go` line in go.mod is honoured
#   (GOTOOLCHAIN=auto fetches that toolchain).
# - Runtime: distroless static, non-root. Next to the binary (/app/server) the image holds the
#   repository's non-Go files (templates, static assets, config) at the same relative paths, and
#   /app is the working directory, so files the program opens relative to it are found.
# - The program must listen on $PORT (build arg APP_PORT).
ARG GO_VERSION=1.24

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
# All of the source before the first go command: replace directives may point into it.
COPY . .
ARG GO_MAIN=
RUN set -eu; \
    main="${GO_MAIN}"; \
    if [ -z "$main" ]; then \
      if [ "$(go list -f '{{.Name}}' . 2>/dev/null)" = main ]; then main=.; \
      else main=$(go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./cmd/... 2>/dev/null | head -n 1); fi; \
    fi; \
    if [ -z "$main" ]; then main=$(go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./... | head -n 1); fi; \
    if [ -z "$main" ]; then echo 'no main package in this module (set the build arg GO_MAIN)' >&2; exit 1; fi; \
    echo "building $main"; \
    go build -trimpath -ldflags='-s -w' -o /out/server "$main"; \
    mkdir -p /out/root; \
    find . -type f ! -name '*.go' ! -name 'go.mod' ! -name 'go.sum' ! -path './.git/*' ! -path './vendor/*' \
      -exec cp --parents {} /out/root/ \;

FROM gcr.io/distroless/static-debian12:nonroot
ARG APP_PORT=8080
ENV PORT=${APP_PORT}
WORKDIR /app
COPY --from=build /out/root/ /app/
COPY --from=build /out/server /app/server
USER nonroot:nonroot
EXPOSE ${APP_PORT}
ENTRYPOINT ["/app/server"]
