# syntax=docker/dockerfile:1
# Multi-stage build: a Go toolchain stage, then a small Debian runtime that runs as a
# non-root user. The runtime keeps libturbojpeg for the fast JPEG path (see docs/performance.md),
# and libjpeg62-turbo, the same library's libjpeg API, for progressive JPEGs at 1/8 scale,
# and libheif for HEIC and AVIF (Debian 12's libheif1 has its codecs linked in: libde265 and
# dav1d decode; libx265 and libaom come along as dependencies; photoproc also calls libde265 itself
# for HEIC's HEVC pictures, imaging/heif_de265.go), Little CMS (liblcms2-2) to
# convert photos' colour profiles to sRGB, and libwebp and libavif (aom) for WebP and AVIF
# thumbnails.

FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libturbojpeg0-dev libjpeg62-turbo-dev libheif-dev libde265-dev liblcms2-dev libwebp-dev libavif-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/photoproc ./cmd/photoproc

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libturbojpeg0 libjpeg62-turbo libheif1 libde265-0 liblcms2-2 libwebp7 libavif15 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin photoproc \
 && mkdir -p /tpp-app-thumbs && chown photoproc /tpp-app-thumbs
COPY --from=build /out/photoproc /usr/local/bin/photoproc
# The image must not start without its codecs: check the libraries load and decode what they should.
RUN photoproc version | grep -qx 'JPEG codec libjpeg-turbo' \
 && photoproc version | grep -qx 'HEIF codec libheif .* (HEIC, AVIF)' \
 && photoproc version | grep -q '^colour profiles Little CMS ' \
 && photoproc version | grep -qx 'thumbnail encoders JPEG libjpeg-turbo, WebP libwebp .*, AVIF libavif .*'
USER 10001
ENV PHOTOPROC_THUMBS_DIR=/tpp-app-thumbs \
    PHOTOPROC_HTTP_ADDR=:3000 \
    PHOTOPROC_LOG_FORMAT=json
VOLUME /tpp-app-thumbs
EXPOSE 3000 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["photoproc", "healthcheck"]
ENTRYPOINT ["photoproc"]
CMD ["serve"]
