# Keel's front door. A newcomer needs only `make image` and `make test`.
# CMake and CTest do the work underneath; see docs/DEVELOPING.md.

BUILD      ?= build
IMAGE      ?= default
FLAVOUR    ?=
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
# FLAVOUR=generic composes the image with that kernel flavour, as <image>-<flavour>.
IMAGE_NAME := $(IMAGE)$(if $(FLAVOUR),-$(FLAVOUR))
IMAGE_DIR  := $(BUILD)/images/$(IMAGE_NAME)

.PHONY: all deps configure build image cloud-images live-image test unit-test qemu-test format format-check bench clean

all: image

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Composes images/$(IMAGE).toml into $(IMAGE_DIR) and prints how to boot it.
image: build
	@$(BUILD)/bin/keel-compose build images/$(IMAGE).toml --out $(IMAGE_DIR) \
	  --repo $(BUILD)/repo --cache $(BUILD)/cache/debs --work $(BUILD)/work/$(IMAGE_NAME) \
	  $(if $(FLAVOUR),--flavour $(FLAVOUR))

# The composed image's disk in the formats clouds import (docs/INSTALL.md):
# $(IMAGE_DIR)/cloud/{aws.raw,azure.vhd,gce.tar.gz,vmware.vmdk}.
cloud-images: image
	@$(BUILD)/bin/keel-compose export $(IMAGE_DIR)

# The live ISO and PXE bundle (docs/INSTALL.md "Live ISO and PXE"): $(IMAGE_DIR)/live/.
live-image: image
	@$(BUILD)/bin/keel-compose live $(IMAGE_DIR)

# Every test: unit tests, root integration tests, QEMU boot tests, $(JOBS) at a time
# (each QEMU runs one TCG thread; tests that need more say so with PROCESSORS).
test: image format-check
	@cd $(BUILD) && ctest --output-on-failure --timeout 900 -j $(JOBS)

unit-test: build
	@cd $(BUILD) && ctest --output-on-failure -L unit

qemu-test: image
	@cd $(BUILD) && ctest --output-on-failure -L qemu

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

bench: image
	@bench/boot $(IMAGE_DIR)
	@bench/runtime-start --runs 100

clean:
	@rm -rf $(BUILD)
