# photoproc — see README.md. Every target runs on this machine without Docker except
# start/stop/shell/logs, which drive docker-compose.yml (and Postgres or RabbitMQ, which
# .ci/services starts with Docker only where neither answers nor is installed here).

SHELL        := /bin/bash
BIN          := bin/photoproc
GO           ?= go
export PG_CONNECTION_URI ?= postgres://postgres@127.0.0.1:5432/photoproc?sslmode=disable
export AMQP_URI          ?= amqp://guest:guest@127.0.0.1:5672/
FUZZTIME     ?= 30s
BENCHCOUNT   ?= 6
SWAGGER_UI   ?= 5.35.0
BENCHSTAT    := $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

# The default build decodes JPEG with libjpeg-turbo and HEIC/AVIF with libheif, converts colour
# profiles with Little CMS, and encodes WebP with libwebp and AVIF with libavif, all through
# cgo. Where cgo is on but a header is missing, every go command here (and the builds tests
# make) leaves that library out through GOFLAGS, and build and test say so in one line each:
# without turbojpeg.h or jpeglib.h the purego tag (no cgo library at all: pure-Go JPEG, HEIC and AVIF photos
# refused, WebP and AVIF thumbnails refused, matrix/TRC profiles converted in Go); without
# libheif/heif.h or libde265/de265.h (HEIC's direct HEVC path) the noheif tag (HEIC and AVIF photos refused); without lcms2.h the nolcms tag
# (CMYK and other LUT profiles not converted); without webp/encode.h the nowebp tag, without
# avif/avif.h the noavif tag (that thumbnail format refused at start-up).
# The GOFLAGS this make was given, before the codec tags below: `make test` hands them to the
# make that runs the suite once .ci/setup may have installed the headers.
GOFLAGS_IN   := $(GOFLAGS)
CGO_ON       := $(filter 1,$(shell $(GO) env CGO_ENABLED))
has-header    = $(shell printf '\043include <$(1)>\n' | $$($(GO) env CC) -E -x c - >/dev/null 2>&1 && echo yes)
TURBOJPEG    := $(if $(CGO_ON),$(and $(call has-header,turbojpeg.h),$(call has-header,jpeglib.h)))
LIBHEIF      := $(if $(CGO_ON),$(and $(call has-header,libheif/heif.h),$(call has-header,libde265/de265.h)))
LCMS         := $(if $(CGO_ON),$(call has-header,lcms2.h))
LIBWEBP      := $(if $(CGO_ON),$(call has-header,webp/encode.h))
LIBAVIF      := $(if $(CGO_ON),$(call has-header,avif/avif.h))
PUREGO       := $(if $(CGO_ON),$(if $(TURBOJPEG),,yes))
NOHEIF       := $(if $(CGO_ON),$(if $(PUREGO),,$(if $(LIBHEIF),,yes)))
NOLCMS       := $(if $(CGO_ON),$(if $(PUREGO),,$(if $(LCMS),,yes)))
NOWEBP       := $(if $(CGO_ON),$(if $(PUREGO),,$(if $(LIBWEBP),,yes)))
NOAVIF       := $(if $(CGO_ON),$(if $(PUREGO),,$(if $(LIBAVIF),,yes)))
comma        := ,
CODEC-TAGS   := $(if $(PUREGO),purego,$(strip $(if $(NOHEIF),noheif) $(if $(NOLCMS),nolcms) $(if $(NOWEBP),nowebp) $(if $(NOAVIF),noavif)))
ifneq ($(CODEC-TAGS),)
export GOFLAGS := $(strip $(GOFLAGS) -tags=$(subst $() ,$(comma),$(CODEC-TAGS)))
endif
PUREGO-WARN  := libjpeg-turbo's headers are missing (apt-get install libturbojpeg0-dev libjpeg62-turbo-dev): building without cgo codecs, so JPEG is decoded in pure Go (about 6x the CPU per photo), HEIC/AVIF are refused and thumbnails are JPEG only
NOHEIF-WARN  := libheif's or libde265's header is missing (apt-get install libheif-dev libde265-dev): building without libheif, so HEIC and AVIF photos will be refused
NOLCMS-WARN  := Little CMS's header is missing (apt-get install liblcms2-dev): building without it, so CMYK and other LUT-based colour profiles will not be converted
NOWEBP-WARN  := libwebp's header is missing (apt-get install libwebp-dev): building without libwebp, so PHOTOPROC_THUMBNAIL_FORMATS=webp will be refused
NOAVIF-WARN  := libavif's header is missing (apt-get install libavif-dev): building without libavif, so PHOTOPROC_THUMBNAIL_FORMATS=avif will be refused
CODEC-WARNS  := $(if $(PUREGO),PUREGO-WARN,$(if $(NOHEIF),NOHEIF-WARN) $(if $(NOLCMS),NOLCMS-WARN) $(if $(NOWEBP),NOWEBP-WARN) $(if $(NOAVIF),NOAVIF-WARN))
codec-check   = $(if $(strip $(CODEC-WARNS)),@printf 'warning: %s\n' $(foreach w,$(CODEC-WARNS),"$($(w))") >&2)

.PHONY: swagger-ui build run demo services test test-suite test-unit check-openapi config-docs check-config-docs bench bench-e2e bench-compare bench-vs-seed lint fmt openapi fuzz \
        start stop logs create-db psql shell revise-db upgrade-db downgrade-db clean help

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

build: ## build bin/photoproc (libjpeg-turbo and libheif when their headers are there; see the codec warning)
	$(codec-check)
	$(GO) build -o $(BIN) ./cmd/photoproc

run: build create-db ## migrate the database, then run the daemon (API :3000, admin 127.0.0.1:9090)
	$(BIN) serve

demo: services build ## run the daemon on bundled sample photos (no internet needed)
	$(BIN) demo

services: ## make sure Postgres and RabbitMQ answer: start them where installed here, else with Docker
	.ci/services

# The codec headers are looked for when make reads this file, so the suite runs in a new make
# once .ci/setup may have installed them.
test: ## install what the tests need (.ci/setup: Debian packages, versitygw, services), then test-suite
	.ci/setup
	GOFLAGS='$(GOFLAGS_IN)' $(MAKE) --no-print-directory test-suite

test-suite: ## vet, all tests against real Postgres and RabbitMQ with the cgo codecs (libjpeg-turbo, libheif) and again pure Go, OpenAPI and configuration reference drift, deploy files
	$(codec-check)
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -run '^(TestMakeCloseToLanczos|TestColour.*)$$' ./imaging/
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 20m ./...
	$(MAKE) check-openapi
	$(MAKE) check-config-docs
	deploy/check.sh

# -short skips every test that needs Postgres, RabbitMQ or the S3 server (testkit.NeedServices,
# called by storetest, queuetest and s3test); test and test-suite never pass it.
test-unit: ## the unit tests alone, with no Postgres, RabbitMQ or S3 server needed (go test -short), with the cgo codecs and again pure Go
	$(codec-check)
	$(GO) test -short ./...
	CGO_ENABLED=0 $(GO) test -short ./...

check-openapi: ## fail if openapi/openapi.yaml is not what `photoproc openapi` prints
	$(GO) run ./cmd/photoproc openapi | diff -u openapi/openapi.yaml - || { echo "openapi/openapi.yaml is stale: run make openapi"; exit 1; }

openapi: ## regenerate openapi/openapi.yaml
	$(GO) run ./cmd/photoproc openapi > openapi/openapi.yaml

check-config-docs: ## fail if docs/configuration.md is not what `photoproc config-docs` prints
	$(GO) run ./cmd/photoproc config-docs | diff -u docs/configuration.md - || { echo "docs/configuration.md is stale: run make config-docs"; exit 1; }

config-docs: ## regenerate docs/configuration.md from the table of settings in daemon/config.go
	$(GO) run ./cmd/photoproc config-docs > docs/configuration.md

swagger-ui: ## update the docs page's Swagger UI (openapi/swagger-ui) from npm: make swagger-ui SWAGGER_UI=x.y.z
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  (cd "$$tmp" && npm pack --silent swagger-ui-dist@$(SWAGGER_UI) >/dev/null && tar xzf swagger-ui-dist-$(SWAGGER_UI).tgz) && \
	  cp "$$tmp"/package/{swagger-ui-bundle.js,swagger-ui-bundle.js.LICENSE.txt,swagger-ui.css,LICENSE,NOTICE} openapi/swagger-ui/ && \
	  echo $(SWAGGER_UI) > openapi/swagger-ui/VERSION && echo "Swagger UI $(SWAGGER_UI) in openapi/swagger-ui"

bench: ## imaging benchmarks, libjpeg-turbo against pure Go (benchstat), and the pool by size
	CGO_ENABLED=0 $(GO) test -run '^$$' -bench '^BenchmarkMake$$' -benchmem -count $(BENCHCOUNT) ./imaging/ > bench-purego.txt
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./imaging/ > bench-imaging.txt
	$(BENCHSTAT) -filter '.name:/^Make/' purego=bench-purego.txt libjpeg-turbo=bench-imaging.txt
	$(BENCHSTAT) -filter '-.name:/^Make/' bench-imaging.txt
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./pool/ > bench-pool.txt
	$(BENCHSTAT) bench-pool.txt

bench-e2e: build ## N photos (default 200) through API, RabbitMQ, pool, Postgres: photos/s, p50/p95, CPU, peak RSS (BENCH_FLAGS: -24mp, -server python, -mix)
	$(GO) run ./tools/benche2e -photoproc $(BIN) -n $(or $(N),200) $(if $(WORKERS),-workers $(WORKERS)) $(BENCH_FLAGS)

bench-vs-seed: build ## the Python service's own consumer, then photoproc end to end, on the 12 MP photo served alike (SEED=<its git dir>)
	@test -n "$(SEED)" || { echo "usage: make bench-vs-seed SEED=<git dir or checkout of github:gbityunan/tiny_photo_processor>"; exit 2; }
	SEED=$(SEED) N=60 tools/seed-consumer.sh
	$(GO) run ./tools/benche2e -photoproc $(BIN) -n 200 -server python

bench-compare: build ## CPU and quality per thumbnail, and of a set of sizes and formats, against Pillow and vipsthumbnail (apt: python3-pil libvips-tools webp libheif-examples libjpeg-turbo-progs)
	$(GO) run ./tools/thumbcompare -photoproc $(BIN) -24mp -p3 -progressive -heic -set testdata/photos/camera-4032x3024.jpg $(addprefix testdata/photos/,camera-4032x3024.jpg phone-3264x2448.jpg phone-4608x1976.jpg camera-1600x1200.jpg camera-1704x2272-portrait.jpg)

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt: ## gofmt every Go file
	gofmt -w $$(git ls-files '*.go')

fuzz: ## run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

create-db: build ## create the database if missing and migrate it to the latest version
	$(BIN) migrate up

upgrade-db: build ## migrate to the latest version
	$(BIN) migrate up

downgrade-db: build ## go back one migration
	$(BIN) migrate down

revise-db: build ## write a new migration file: make revise-db NAME=add_something
	@test -n "$(NAME)" || { echo "usage: make revise-db NAME=add_something"; exit 2; }
	$(BIN) migrate new $(NAME)

psql: ## psql on the photoproc database
	psql "$(PG_CONNECTION_URI)"

# docker-compose.yml requires PHOTOPROC_ADMIN_TOKEN, and every compose command reads the whole
# file: those that start no photoproc container get a placeholder when it is unset.
COMPOSE_ANY  := PHOTOPROC_ADMIN_TOKEN="$${PHOTOPROC_ADMIN_TOKEN:-unused}" docker compose

start: ## the whole stack in Docker (set PHOTOPROC_ADMIN_TOKEN first): postgres, rabbitmq, migrate, photoproc, prometheus, grafana
	docker compose up -d --build --wait

stop: ## stop the Docker stack
	$(COMPOSE_ANY) down

logs: ## follow the daemon's logs in Docker
	$(COMPOSE_ANY) logs -f photoproc

shell: ## a shell in the photoproc container
	$(COMPOSE_ANY) exec photoproc sh

clean:
	rm -rf bin bench.txt
