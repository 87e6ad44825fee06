# Multi-stage build: a static binary on a minimal, non-root image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/hookline/hookline/internal/app.Version=${VERSION} -X github.com/hookline/hookline/internal/app.Commit=${COMMIT} -X github.com/hookline/hookline/internal/app.BuildDate=${BUILD_DATE}" \
    -o /hookline ./cmd/hookline
# The image has no shell to create the data directory with: make it here,
# so that a new volume mounted on /data starts owned by the non-root user
# (Docker copies the ownership of the image's directory into the volume).
RUN mkdir -m 0700 /data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /hookline /usr/local/bin/hookline
COPY --from=build --chown=65532:65532 /data /data
# The SQLite database and the secret-encryption key live here: mount a volume.
VOLUME ["/data"]
ENV HOOKLINE_DATA_DIR=/data HOOKLINE_ADDR=:8080 HOOKLINE_LOG_FORMAT=json
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/hookline"]
CMD ["serve"]
