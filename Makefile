# llmgw: build the nginx module against Debian's nginx-dev, run the demo,
# run the tests.  `make help` lists the targets.

NGINX_SRC    ?= /usr/share/nginx/src
NGINX        ?= /usr/sbin/nginx
PORT         ?= 8080
MOCK_PORT    ?= 8081
BUILD        := build
MODULE       := $(BUILD)/ngx_http_llmgw_module.so
ASAN_BUILD   := build-asan
ASAN_MODULE  := $(ASAN_BUILD)/ngx_http_llmgw_module.so

PACKAGES := nginx nginx-dev libjansson-dev libhiredis-dev libpcre2-dev \
            libssl-dev openssl gcc make redis-server curl jq \
            libtest-base-perl libipc-run-perl libwww-perl libtext-diff-perl
ASAN_PACKAGES := clang libclang-rt-14-dev

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter
SRCS     := ngx_http_llmgw_module.c $(sort $(wildcard src/*.c src/providers/*.c))
HDRS     := $(wildcard src/*.h)
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# the real Test::Nginx when installed, else the runner carried in t/lib
PROVE_INC := $(shell perl -MTest::Nginx::Socket -e1 2>/dev/null || echo -I t/lib)

.PHONY: all deps run test test-unit test-runner test-nginx test-asan \
        test-sdk test-agents test-admin fuzz \
        fuzz-run clean help verify-audit

all: $(MODULE)

help:
	@echo "make            build $(MODULE)"
	@echo "make run        install what is missing, build, start the demo on 127.0.0.1:$(PORT)"
	@echo "make test       install what is missing, build, run every suite"
	@echo "make test-asan  the Test::Nginx suites against an ASan/UBSan build"
	@echo "make test-sdk   the official OpenAI SDK (Node) against the demo"
	@echo "make test-admin the admin API in a 2-worker nginx: restart, audit chains,"
	@echo "                the dashboard in headless Chromium (a screenshot)"
	@echo "make test-agents  Claude Code, Codex, Gemini CLI and Qwen Code (npm) through"
	@echo "                the gateway to mock providers (AGENTS=claude,qwen to choose)"
	@echo "make fuzz-run   run each fuzz target for FUZZ_SECONDS (default 30)"
	@echo "make bench      llmgw against plain nginx proxying (BENCH_QUICK=1)"
	@echo "make verify-audit FILE=\"a.log b.log\" [KEY=$(KEY)]"
	@echo "                verify the audit log's hash chains, oldest file first"

deps:
	@missing=$$(for p in $(PACKAGES) $(EXTRA_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	        | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	        --no-install-recommends $$missing >/dev/null; \
	fi

DEB_CFLAGS := -g -O2 -fstack-protector-strong -Wformat \
              -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined

$(MODULE): FORCE
	@tools/build-module.sh $(BUILD) "$(DEB_CFLAGS) $(WARN)" "-fPIC"

# clang: its UBSan, unlike gcc's, writes reports to ASAN_OPTIONS' log_path
$(ASAN_MODULE): FORCE
	@CC=clang tools/build-module.sh $(ASAN_BUILD) \
	    "-g -O1 -fPIC $(SAN_FLAGS) $(WARN)" "-fPIC $(SAN_FLAGS)"

FORCE:

# the audit log's verifier: libc and libcrypto, no nginx
VERIFY := $(BUILD)/llmgw-audit-verify
KEY    ?= /etc/nginx/llmgw-audit.key

$(VERIFY): tools/llmgw-audit-verify.c
	@mkdir -p $(BUILD)
	$(CC) -std=c99 -O2 -Wall -Wextra -Werror -Wpointer-arith \
	    -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	    -o $@ tools/llmgw-audit-verify.c -lcrypto

verify-audit: $(VERIFY)
	@if [ -z "$(FILE)" ]; then \
	    echo 'usage: make verify-audit FILE="a.log b.log" [KEY=...]'; \
	    exit 2; \
	fi
	$(VERIFY) -k $(KEY) $(FILE)

# --- tests -----------------------------------------------------------------

PROVE      ?= prove
TEST_FILES ?= t/
TEST_ENV    = TEST_NGINX_LLMGW_ROOT=$(CURDIR) \
              TEST_NGINX_SERVROOT=$(CURDIR)/t/servroot

test: deps all test-unit test-runner test-nginx

test-unit:
	$(MAKE) -s -C test

# the Test::Nginx runner carried in t/lib fails what it must
test-runner:
	@if [ -n "$(PROVE_INC)" ]; then t/runner-selftest.sh; fi

# with a Redis of their own, on a free port; the governance suite once more
# on the Redis store
REDIS_FILES ?= t/050-governance.t t/052-concurrency.t t/085-failover.t t/087-audit.t \
	t/088-metrics.t \
	t/090-redis.t t/092-admin.t

# every block's logs are kept (our runner only) and grepped for secrets
LOG_ARCHIVE := $(BUILD)/test-logs

test-nginx: all $(VERIFY)
	rm -rf $(LOG_ARCHIVE) && mkdir -p $(LOG_ARCHIVE)
	$(TEST_ENV) TEST_NGINX_BINARY=$(NGINX) \
	TEST_NGINX_LOAD_MODULES=$(CURDIR)/$(MODULE) \
	TEST_NGINX_LOG_ARCHIVE=$(CURDIR)/$(LOG_ARCHIVE) \
	    tools/with-redis.sh $(PROVE) $(PROVE_INC) $(TEST_FILES)
	$(TEST_ENV) TEST_NGINX_BINARY=$(NGINX) TEST_LLMGW_STORE=redis \
	TEST_NGINX_LOAD_MODULES=$(CURDIR)/$(MODULE) \
	TEST_NGINX_LOG_ARCHIVE=$(CURDIR)/$(LOG_ARCHIVE) \
	    tools/with-redis.sh $(PROVE) $(PROVE_INC) $(REDIS_FILES)
	LLMGW_MODULE=$(CURDIR)/$(MODULE) NGINX_BIN=$(NGINX) \
	    tools/with-redis.sh tools/admin-nodes.sh
	@if [ -n "$(PROVE_INC)" ]; then tools/check-secrets.pl $(LOG_ARCHIVE); \
	else echo "check-secrets: skipped, openresty's Test::Nginx keeps no logs"; fi

# The same suites against a module built with AddressSanitizer and UBSan,
# loaded into Debian's nginx with the sanitizer runtime preloaded; any
# report fails.  nginx logs at info here: its debug log of a stream fed a
# byte at a time is most of a debug run's time, and `make test` runs at
# debug already.
ASAN_LOG_LEVEL ?= info

test-asan: deps
	@$(MAKE) -s deps EXTRA_PACKAGES="$(ASAN_PACKAGES)"
	@$(MAKE) -s $(ASAN_MODULE) $(VERIFY)
	rm -rf $(ASAN_BUILD)/reports && mkdir -p $(ASAN_BUILD)/reports
	$(TEST_ENV) TEST_NGINX_BINARY=$(CURDIR)/tools/nginx-asan \
	TEST_NGINX_LOG_LEVEL=$(ASAN_LOG_LEVEL) \
	TEST_NGINX_LOAD_MODULES=$(CURDIR)/$(ASAN_MODULE) \
	LLMGW_SAN_REPORTS=$(CURDIR)/$(ASAN_BUILD)/reports \
	    tools/with-redis.sh $(PROVE) $(PROVE_INC) $(TEST_FILES)
	$(TEST_ENV) TEST_NGINX_BINARY=$(CURDIR)/tools/nginx-asan \
	TEST_NGINX_LOG_LEVEL=$(ASAN_LOG_LEVEL) TEST_LLMGW_STORE=redis \
	TEST_NGINX_LOAD_MODULES=$(CURDIR)/$(ASAN_MODULE) \
	LLMGW_SAN_REPORTS=$(CURDIR)/$(ASAN_BUILD)/reports \
	    tools/with-redis.sh $(PROVE) $(PROVE_INC) $(REDIS_FILES)
	@if ls $(ASAN_BUILD)/reports/* >/dev/null 2>&1; then \
	    cat $(ASAN_BUILD)/reports/*; \
	    echo "test-asan: sanitizer reports above"; exit 1; \
	fi
	@echo "test-asan: no sanitizer report"

# the official OpenAI SDK (Node) against the demo
test-sdk: deps all
	tools/sdk-check.sh

# the admin API end to end: two workers, a restart, the audit log, the
# dashboard in headless Chromium (its screenshot in build/admin-check/)
test-admin: deps all $(VERIFY)
	@$(MAKE) -s deps EXTRA_PACKAGES="chromium"
	LLMGW_MODULE=$(CURDIR)/$(MODULE) NGINX_BIN=$(NGINX) tools/admin-check.sh

# four coding-agent CLIs (npm, pinned in t/agents/package.json) through the
# gateway to mock providers, in a network namespace of their own
test-agents: deps all
	@$(MAKE) -s deps EXTRA_PACKAGES="iproute2 jq"
	NGINX_BIN=$(NGINX) tools/test-agents.sh

fuzz:
	$(MAKE) -s -C fuzz

fuzz-run:
	$(MAKE) -s -C fuzz run FUZZ_SECONDS=$(or $(FUZZ_SECONDS),30)

run: deps all
	@PORT=$(PORT) MOCK_PORT=$(MOCK_PORT) NGINX_BIN=$(NGINX) tools/run-demo.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) t/servroot
	-$(MAKE) -s -C test clean
	-$(MAKE) -s -C fuzz clean

# --- bench -----------------------------------------------------------------

# llmgw against plain nginx proxy_pass to the same mock: wrk rounds and
# callgrind counts (bench/run.sh).  Never part of `make test`.
# BENCH_QUICK=1 for a run of under a minute.
BENCH_PACKAGES := wrk valgrind

.PHONY: bench
bench: deps
	@$(MAKE) -s deps EXTRA_PACKAGES="$(BENCH_PACKAGES)"
	@$(MAKE) -s all
	@bench/run.sh
