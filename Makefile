# Strata. Every target installs the Debian packages it needs when they are missing.
PREFIX ?= /usr/local
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
DEMO_DIR ?= $(CURDIR)/.demo
APT_PACKAGES = pkg-config libmount-dev libarchive-dev libcurl4-openssl-dev busybox-static util-linux tar zstd attr python3 python3-jsonschema uidmap
# The registry tests: a real registry, a client strata did not write, htpasswd for Basic
# auth, openssl for an HTTPS registry's certificate.
TEST_PACKAGES = docker-registry skopeo apache2-utils openssl uidmap

E2E_DIR ?= $(CURDIR)/.cache/e2e
E2E_PACKAGES = debootstrap dpkg-dev docker-registry uidmap autopkgtest sbuild

BENCH_DIR ?= /var/tmp/strata-bench
# Release builds link the Swift runtime and Foundation statically: the installed binary
# needs nothing from /opt/swift, and starts in about half the time (Docs/performance.md).
RELEASE = -c release --static-swift-stdlib

BENCH_DEBIAN_PACKAGES = debootstrap dpkg-dev sbuild mmdebstrap uidmap pbuilder cowbuilder

.PHONY: all build release install install-files demo test e2e bench bench-registry bench-debian bench-sbuild bench-build clean apt-prerequisites

all: build

apt-prerequisites:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: apt-prerequisites
	$(SWIFT) build

release: apt-prerequisites
	$(SWIFT) build $(RELEASE)

# The release binary, autopkgtest-virt-strata, man pages, completions, the strata-gc
# service and timer, /etc/strata/gc.conf (Packaging/install-files.sh).
install: release
	@$(MAKE) --no-print-directory install-files BIN="$$($(SWIFT) build $(RELEASE) --show-bin-path)/strata"

# Man pages are generated from the command definitions by swift-argument-parser's
# generate-manual plugin (from the debug build; the pages are the same).
MAN_DATE ?= $(shell git log -1 --format=%cs 2>/dev/null || date +%F)
install-files: build
	$(SWIFT) package generate-manual --multi-page --configuration debug --date $(MAN_DATE)
	sh Packaging/install-files.sh "$(or $(BIN),$$($(SWIFT) build --show-bin-path)/strata)" \
		"$(CURDIR)/.build/plugins/GenerateManual/outputs/strata" "$(DESTDIR)" "$(PREFIX)"

demo: build
	sh Examples/demo/run-demo.sh "$$($(SWIFT) build --show-bin-path)/strata" "$(DEMO_DIR)"

test: build
	@$(MAKE) --no-print-directory apt-prerequisites APT_PACKAGES="$(TEST_PACKAGES)"
	STRATA_BIN="$$($(SWIFT) build --show-bin-path)/strata" $(SWIFT) test

# Real Debian packages, downloaded and built: needs the Debian mirror.
e2e: build
	@$(MAKE) --no-print-directory apt-prerequisites APT_PACKAGES="$(E2E_PACKAGES)"
	rm -rf "$(E2E_DIR)/install"
	@$(MAKE) --no-print-directory install-files DESTDIR="$(E2E_DIR)/install" PREFIX=/usr/local
	sh Packaging/check-install.sh "$(E2E_DIR)/install" /usr/local
	sh Examples/debian/e2e.sh "$$($(SWIFT) build --show-bin-path)/strata" "$(E2E_DIR)"

# Benchmarks (not in CI): medians and ratios, written to $(BENCH_DIR)/results.md; then
# the real Debian rebuilds against sbuild, pbuilder and cowbuilder (bench-debian, which
# needs the Debian mirror; BENCH_DEBIAN=no leaves it out).
bench: release
	mkdir -p .build/bench
	cc -O2 -Wall -o .build/bench/mount-floor Benchmarks/mount-floor.c
	"$$($(SWIFT) build $(RELEASE) --show-bin-path)/strata-bench" --strata "$$($(SWIFT) build $(RELEASE) --show-bin-path)/strata" \
		--floor .build/bench/mount-floor --repository "$(CURDIR)" --work "$(BENCH_DIR)" \
		$$([ -d "$(E2E_DIR)/store/layers" ] && echo --debian-store "$(E2E_DIR)/store") $(BENCH_FLAGS)
	@[ "$(BENCH_DEBIAN)" = no ] || $(MAKE) --no-print-directory bench-debian

# Push and pull of the Debian update layer (build-essential) against skopeo copy of the
# same image; uses the store of `make e2e` (run first when it is missing). Not in CI.
bench-registry: release
	@$(MAKE) --no-print-directory apt-prerequisites APT_PACKAGES="$(TEST_PACKAGES)"
	@strata="$$($(SWIFT) build $(RELEASE) --show-bin-path)/strata"; \
	key=$$("$$strata" --store "$(E2E_DIR)/store" --json layers list 2>/dev/null | python3 -c 'import json,sys; print(next((l["key"] for l in json.load(sys.stdin)["layers"] if l["role"] == "update"), ""))' 2>/dev/null || true); \
	if [ -z "$$key" ]; then $(MAKE) --no-print-directory e2e; \
		key=$$("$$strata" --store "$(E2E_DIR)/store" --json layers list | python3 -c 'import json,sys; print(next(l["key"] for l in json.load(sys.stdin)["layers"] if l["role"] == "update"))'); fi; \
	sh Benchmarks/registry.sh "$$strata" "$(E2E_DIR)/store" "$$key" "$(BENCH_DIR)/registry" $(BENCH_ROUNDS)

# Real Debian packages (tree: 30 build dependencies, gzip: 64) rebuilt by strata and by
# sbuild --chroot-mode=unshare, pbuilder and cowbuilder, interleaved, BENCH_ROUNDS rounds
# (default 3): medians, each tool's build step and overhead, and ratios. Needs the Debian
# mirror; takes about three quarters of an hour. Not in CI.
bench-debian: release
	@$(MAKE) --no-print-directory apt-prerequisites APT_PACKAGES="$(BENCH_DEBIAN_PACKAGES)"
	python3 Benchmarks/debian.py "$$($(SWIFT) build $(RELEASE) --show-bin-path)/strata" "$(E2E_DIR)" "$(BENCH_DIR)/debian" \
		$(or $(BENCH_ROUNDS),3) $(BENCH_DEBIAN_SOURCES)

clean:
	rm -rf .build .demo .cache

# The same sbuild build in unshare mode and with strata's autopkgtest testbed, with and
# without --source: medians and ratios (Docs/sbuild-and-autopkgtest.md). Uses the store
# of `make e2e`; needs the Debian mirror. Not in CI.
bench-sbuild: release
	@$(MAKE) --no-print-directory apt-prerequisites APT_PACKAGES="$(BENCH_DEBIAN_PACKAGES) autopkgtest"
	python3 Benchmarks/sbuild-modes.py "$$($(SWIFT) build $(RELEASE) --show-bin-path)/strata" "$(E2E_DIR)" "$(BENCH_DIR)/sbuild" \
		$(or $(BENCH_ROUNDS),3) $(BENCH_SBUILD_SOURCES)

# The build step alone: dpkg-buildpackage in strata's root (with and without its user
# namespace) against a plain directory copy of the same merged root, tree and devscripts
# (240 build dependencies, nocheck), on a journaled ext4 file system made for the run,
# interleaved, BENCH_ROUNDS rounds (default 7): medians and ratios. Uses the store and
# sources of `make e2e` (devscripts' source is fetched there). Not in CI.
bench-build: release
	@$(MAKE) --no-print-directory apt-prerequisites APT_PACKAGES="$(BENCH_DEBIAN_PACKAGES) e2fsprogs"
	@[ -d "$(E2E_DIR)/src/devscripts" ] || (cd "$(E2E_DIR)/src" && apt-get -o Dir::Etc::SourceList="$(E2E_DIR)/apt/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$(E2E_DIR)/apt/lists" -o Dir::Cache="$(E2E_DIR)/apt" \
		-o Dir::Cache::archives="$(E2E_DIR)/apt/archives" -q source devscripts && mv devscripts-*/ devscripts)
	python3 Benchmarks/build-step.py "$$($(SWIFT) build $(RELEASE) --show-bin-path)/strata" "$(E2E_DIR)" "$(BENCH_DIR)/build-step" \
		$(or $(BENCH_ROUNDS),7) tree "devscripts:nocheck parallel=2"
