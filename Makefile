# Sextant: `make demo` tunes an example on this machine; `make test` runs every test.
# Both install what is missing first (Debian/Ubuntu; root or sudo).

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
APT_PACKAGES := libzmq3-dev libopenblas-dev liblapacke-dev libsqlite3-dev zlib1g-dev pkg-config iproute2 iptables python3 python3-pip shellcheck

.PHONY: deps build test demo bench clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@command -v chromium >/dev/null 2>&1 || { echo "installing chromium (for the dashboard's browser test)"; \
		$(SUDO) apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null 2>&1 \
		|| echo "chromium could not be installed: the dashboard's browser test will say so and skip"; }
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 is required: https://www.swift.org/install/linux/"; exit 1; }
	@python3 -c 'import zmq' 2>/dev/null || python3 -m pip install -q pyzmq \
		|| python3 -m pip install -q --break-system-packages pyzmq
	@python3 -c 'import yaml, kubernetes_validate' 2>/dev/null || python3 -m pip install -q pyyaml kubernetes-validate \
		|| python3 -m pip install -q --break-system-packages pyyaml kubernetes-validate

build: deps
	$(SWIFT) build

test: deps
	bash deploy/check.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip EndToEndTests
	$(SWIFT) test --skip-build --filter EndToEndTests

demo: build
	.build/debug/sextant demo

clean:
	rm -rf .build .demo
