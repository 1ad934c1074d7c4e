# Sextant: `make demo` tunes an example on this machine; `make test` runs every test;
# `make install` puts a release build of `sextant` in $(PREFIX)/bin.
# `deps` and `test-deps` install what is missing first (Debian/Ubuntu; root or sudo).

SWIFT ?= swift
PREFIX ?= /usr/local
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# What building sextant and running the demo and the README's examples need.
APT_PACKAGES := libzmq3-dev libopenblas-dev liblapacke-dev libsqlite3-dev zlib1g-dev pkg-config python3
# What only the tests add: network namespaces and firewall rules (multi-host tests),
# shellcheck (deploy/check.sh), pip for pyzmq (the Python worker), pyyaml and
# kubernetes-validate (deploy/check.sh), chromium (the dashboard's browser test).
APT_TEST_PACKAGES := iproute2 iptables shellcheck python3-pip

.PHONY: deps test-deps build test demo install clean

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 is required: https://www.swift.org/install/linux/"; exit 1; }

test-deps: deps
	$(call apt_install,$(APT_TEST_PACKAGES))
	@python3 -c 'import zmq' 2>/dev/null || python3 -m pip install -q pyzmq \
		|| python3 -m pip install -q --break-system-packages pyzmq
	@command -v chromium >/dev/null 2>&1 || { echo "installing chromium (for the dashboard's browser test)"; \
		$(SUDO) apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null 2>&1 \
		|| echo "chromium could not be installed: the dashboard's browser test will say so and skip"; }
	@python3 -c 'import yaml, kubernetes_validate' 2>/dev/null || python3 -m pip install -q pyyaml kubernetes-validate \
		|| python3 -m pip install -q --break-system-packages pyyaml kubernetes-validate

build: deps
	$(SWIFT) build

test: deps test-deps
	bash deploy/check.sh
	SEXTANT_WARNINGS_AS_ERRORS=1 $(SWIFT) build --build-tests
	SEXTANT_WARNINGS_AS_ERRORS=1 $(SWIFT) test --skip-build --skip EndToEndTests
	SEXTANT_WARNINGS_AS_ERRORS=1 $(SWIFT) test --skip-build --filter EndToEndTests
	@python3 -m pip install -q ./Sources/python pytest \
		|| python3 -m pip install -q --break-system-packages ./Sources/python pytest
	python3 -m pytest -q Sources/python/tests

demo: build
	.build/debug/sextant demo

# sudo only when $(PREFIX)/bin is not writable already (a PREFIX in your home needs none).
install: deps
	$(SWIFT) build -c release --product sextant
	@bin="$(DESTDIR)$(PREFIX)/bin"; binary="$$($(SWIFT) build -c release --show-bin-path)/sextant"; \
	if mkdir -p "$$bin" 2>/dev/null && [ -w "$$bin" ]; then sudo=""; else sudo="$(SUDO)"; fi; \
	$$sudo install -d "$$bin" && $$sudo install -m 0755 "$$binary" "$$bin/sextant" && echo "installed $$bin/sextant"

clean:
	rm -rf .build .demo
