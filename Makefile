# relaygate: POP-before-SMTP relay control for qmail-style mail servers.
#
#   make             build the programs into build/
#   make check       unit tests (plain and under ASan+UBSan) and program tests,
#                    and every fuzz corpus replayed
#   make check-asan  unit and program tests, and the corpora, all under ASan+UBSan
#   make fuzz        each fuzz target for FUZZ_SECONDS under libFuzzer (clang)
#   make fuzz-merge  keep what make fuzz found in tests/fuzz/corpus
#   make bench       the figures: check and allow against a bare exec and a floor,
#                    store size, views, expiry cost, console, sync
#   make screenshots the console's PNGs in screenshots/, from real runs in tmux
#   make install     PREFIX=/usr/local DESTDIR= (as root: relaygate-allow is setgid STORE_GROUP,
#                    relaygate-passwd setuid root)

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
# Compiled in: where the programs look (relaygate.conf(5), relaygate-security(7)).
SYSCONFDIR ?= /etc
STOREDIR ?= /var/lib/relaygate
STORE_USER ?= relaygate
STORE_GROUP ?= relaygate
DESTDIR  ?=

CC       ?= cc
OPT      ?= -O2
CFLAGS   ?= $(OPT)
WERROR   ?= -Werror
WARN      = -Wall -Wextra $(WERROR)
STD       = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
# -Isrc and the sanitizers of check-asan and fuzz hold whatever CPPFLAGS or
# CFLAGS the environment or the command line gives.
override CPPFLAGS += -Isrc
SANITIZE ?=
override CFLAGS += $(SANITIZE)
LDFLAGS  ?=
LDLIBS   ?=
PATHS     = -DRG_SYSCONFDIR='"$(SYSCONFDIR)"' -DRG_STOREDIR='"$(STOREDIR)"' \
	    -DRG_STORE_USER='"$(STORE_USER)"' -DRG_STORE_GROUP='"$(STORE_GROUP)"'
LDLIBS_DB = -ldb -lcdb -lcrypto
LDLIBS_UI = $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
# relaygate sync's PostgreSQL client: only build/relaygate links it.
PQ_CFLAGS = $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
LDLIBS_PQ = $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)
SAN       = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -g

B ?= build

CORE   = err addr config priv shield grant relay check view sched chain peer ticket login allow rules ruleset pop secret store syncstat text
STORES = lock dirsync safefile uidname bdbfile pagelog grantrec grantlock btread grantread grantdb spool rulescdb textfile pwdb tries
CLI    = commands output loop rules passwd prompt init sync daemon
PROGS  = relaygate relaygate-allow relaygate-login relaygate-check relaygate-checkpw relaygate-passwd
UNITS  = test_addr test_config test_grantdb test_pagelog test_relay test_view test_sched test_chain test_rules test_pop test_synclog test_btread test_group test_tidy
MAN8   = relaygate.8 relaygate-allow.8 relaygate-login.8 relaygate-check.8 relaygate-checkpw.8 relaygate-passwd.8 relaygate-sync.8
MAN5   = relaygate-grants.5 relaygate.conf.5
MAN7   = relaygate-security.7

LIBOBJ = $(CORE:%=$(B)/core/%.o) $(STORES:%=$(B)/stores/%.o)
CLIOBJ = $(CLI:%=$(B)/cli/%.o)
PQOBJ  = $(B)/core/sync.o $(B)/stores/pgstore.o
# The console: every file in src/ui (only the relaygate program links it).
UIOBJ  = $(patsubst src/ui/%.c,$(B)/ui/%.o,$(wildcard src/ui/*.c))
BINS   = $(PROGS:%=$(B)/%)

all: $(BINS) $(B)/stress

$(B)/core/%.o: src/core/%.c src/core/*.h src/stores/*.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

# The compiled-in paths and names: config.o is rebuilt when they change.
$(B)/core/config.o: src/core/config.c src/core/*.h $(B)/paths.stamp
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(PATHS) -c -o $@ $<

$(B)/paths.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(PATHS)' | cmp -s - $@ || echo '$(PATHS)' >$@

$(B)/stores/%.o: src/stores/%.c src/core/*.h src/stores/*.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(B)/cli/%.o: src/cli/%.c src/cli/*.h src/core/*.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(B)/ui/%.o: src/ui/%.c $(wildcard src/ui/*.h) src/core/*.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(B)/stores/pgstore.o: override CPPFLAGS += $(PQ_CFLAGS)

$(B)/relaygate: src/relaygate.c $(CLIOBJ) $(UIOBJ) $(PQOBJ) $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(CLIOBJ) $(UIOBJ) $(PQOBJ) $(B)/librelaygate.a $(LDLIBS_DB) $(LDLIBS_UI) $(LDLIBS_PQ) $(LDLIBS)

$(B)/librelaygate.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

# relaygate-check runs once per SMTP connection: a static program that
# reads grants.db through grantread (no libdb) and loads no shared library,
# with uidname-bare.o's safefile_user, which needs no NSS module.  The
# sanitizers cannot link statically.
CHECK_STATIC = $(if $(SANITIZE),,-static)
$(B)/relaygate-check: src/relaygate-check.c $(B)/stores/uidname-bare.o $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) $(CHECK_STATIC) -o $@ $< $(B)/stores/uidname-bare.o $(B)/librelaygate.a $(LDLIBS)

# relaygate-allow runs once per login: libdb linked in, not loaded.
$(B)/relaygate-allow: src/relaygate-allow.c $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(B)/librelaygate.a -Wl,-Bstatic -ldb -Wl,-Bdynamic $(LDLIBS)

$(B)/%: src/%.c $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(B)/librelaygate.a $(LDLIBS_DB) $(LDLIBS)

# A user's own POP password: the one prompt module, and the engine.
$(B)/relaygate-passwd: src/relaygate-passwd.c $(B)/cli/prompt.o $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(B)/cli/prompt.o $(B)/librelaygate.a $(LDLIBS_DB) $(LDLIBS)

# Test drivers: not installed.
$(B)/stress: tests/stress.c $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(B)/librelaygate.a $(LDLIBS_DB) $(LDLIBS)

$(B)/mkstore: tests/mkstore.c $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(B)/librelaygate.a $(LDLIBS_DB) $(LDLIBS)

BENCH = tests/bench.c tests/bench-exec.c tests/bench-store.c

$(B)/bench: $(BENCH) tests/bench.h $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(BENCH) $(B)/librelaygate.a $(LDLIBS_DB) $(LDLIBS)

# relay-ctrl's design as make bench's floor: one stat, one exec, linked statically.
$(B)/floor: tests/floor.c
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -static -o $@ $<

$(B)/unit/%: tests/unit/%.c tests/unit/helpers.h $(B)/librelaygate.a
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(B)/librelaygate.a $(LDLIBS_DB) -lcmocka $(LDLIBS)

units: $(UNITS:%=$(B)/unit/%)

# The same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) B=build/asan OPT=-O1 SANITIZE="$(SAN)" units

PROVE = CMOCKA_MESSAGE_OUTPUT=TAP prove --exec $(CURDIR)/tests/guard --timer

check: all units asan
	$(PROVE) $(UNITS:%=$(B)/unit/%) $(UNITS:%=build/asan/unit/%)
	RELAYGATE_BUILD=$(CURDIR)/$(B) $(PROVE) tests/*.t
	$(MAKE) lint-man

# Every fuzz target's corpus through the target once, as a plain program.
FUZZ = addr rules config pop grantrec journal viewprefix btread

$(B)/replay/replay-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(B)/librelaygate.a
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -Itests/fuzz -o $@ tests/fuzz/replay.c $< $(B)/librelaygate.a $(LDLIBS_DB) $(LDLIBS)

replays: $(FUZZ:%=$(B)/replay/replay-%)

check-corpus: replays
	@for t in $(FUZZ); do $(B)/replay/replay-$$t tests/fuzz/corpus/$$t || exit 1; done

check: check-corpus

# The unit tests, the program tests and the corpora, every program built
# with ASan+UBSan, whatever CFLAGS says.  LD_PRELOAD (faketime, nss_wrapper)
# comes before the ASan runtime in the tests: that is expected.  Left out,
# each for its reason: leaks inside libraries (tests/lsan.supp), and leak
# checking (only that) in set-user-id relaygate-passwd, which is not
# dumpable, so LeakSanitizer cannot ptrace it (tests/64-passwd-self.t).
ASAN_ENV = ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

check-asan:
	$(MAKE) B=build/asan OPT=-O1 SANITIZE="$(SAN)" all units replays
	$(ASAN_ENV) $(PROVE) $(UNITS:%=build/asan/unit/%)
	$(ASAN_ENV) $(MAKE) B=build/asan check-corpus
	$(ASAN_ENV) RELAYGATE_BUILD=$(CURDIR)/build/asan $(PROVE) tests/*.t

# libFuzzer (clang): each target for FUZZ_SECONDS, new inputs kept under
# build/fuzz/work, a crash written to build/fuzz/crash-TARGET-*; the
# executions of each run in build/fuzz/TARGET.log.  make -j2 fuzz runs two
# at a time.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60

$(B)/fuzz/fuzz-%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(B)/librelaygate.a
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< $(B)/librelaygate.a $(LDLIBS_DB) $(LDLIBS)

fuzz-build:
	$(MAKE) B=build/fuzz CC=$(FUZZ_CC) OPT="-O1" SANITIZE="$(SAN) -fsanitize=fuzzer-no-link" $(FUZZ:%=build/fuzz/fuzz/fuzz-%)

fuzz-run-%: fuzz-build
	@mkdir -p build/fuzz/work/$*
	@echo "fuzz $*: $(FUZZ_SECONDS) s"
	@build/fuzz/fuzz/fuzz-$* -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/crash-$*- build/fuzz/work/$* tests/fuzz/corpus/$* \
	    >build/fuzz/$*.log 2>&1 || { tail -60 build/fuzz/$*.log; exit 1; }
	@echo "fuzz $*: $$(sed -n 's/^stat::number_of_executed_units: *//p' build/fuzz/$*.log) executions in $(FUZZ_SECONDS) s, no crash"

fuzz: $(FUZZ:%=fuzz-run-%)

# Keep what the last make fuzz found that covers something new in
# tests/fuzz/corpus (libFuzzer's merge), so make check replays it from now on.
fuzz-merge: fuzz-build
	@for t in $(FUZZ); do \
	    build/fuzz/fuzz/fuzz-$$t -merge=1 tests/fuzz/corpus/$$t build/fuzz/work/$$t >/dev/null 2>&1 || exit 1; \
	    echo "fuzz-merge $$t: $$(ls tests/fuzz/corpus/$$t | wc -l) inputs"; done

lint-man:
	mandoc -Tlint -W warning man/*.[578]

# make bench BENCH_ARGS="ROUNDS RUNS" (default 21 rounds of 200 runs)
BENCH_ARGS ?=

bench: all $(B)/bench $(B)/floor $(B)/mkstore
	RELAYGATE_BUILD=$(CURDIR)/$(B) $(B)/bench $(BENCH_ARGS)
	RELAYGATE_BUILD=$(CURDIR)/$(B) sh tools/bench-console
	RELAYGATE_BUILD=$(CURDIR)/$(B) bash tests/bench-sync.sh

# PNGs of the console from real runs in tmux (tools/screenshots).
screenshots: all
	sh tools/screenshots

# Installed files name the real paths: the sources say /usr/local/bin,
# /usr/local/sbin, /etc/relaygate and /var/lib/relaygate, and the account
# relaygate, and these are put right for this install.
SUBST = sed -e 's|/usr/local/sbin|$(SBINDIR)|g' -e 's|/usr/local/bin|$(BINDIR)|g' \
	-e 's|/usr/local/share/man|$(MANDIR)|g' -e 's|/etc/relaygate|$(SYSCONFDIR)/relaygate|g' \
	-e 's|/var/lib/relaygate|$(STOREDIR)|g' -e 's|setuidgid relaygate |setuidgid $(STORE_USER) |' \
	-e 's|^User=relaygate$$|User=$(STORE_USER)|' -e 's|^Group=relaygate$$|Group=$(STORE_GROUP)|'
DTOOLS = $(DESTDIR)$(DATADIR)/relaygate/daemontools/relaygate-expire
DTOOLS_SYNC = $(DESTDIR)$(DATADIR)/relaygate/daemontools/relaygate-sync

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSTEMDDIR) $(DTOOLS)/log $(DTOOLS_SYNC)/log
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(B)/relaygate $(DESTDIR)$(SBINDIR)
	install -m 755 $(B)/relaygate-check $(B)/relaygate-checkpw $(B)/relaygate-login $(DESTDIR)$(BINDIR)
	install -m 2755 -g $(STORE_GROUP) $(B)/relaygate-allow $(DESTDIR)$(BINDIR)
	install -m 4755 -o root -g root $(B)/relaygate-passwd $(DESTDIR)$(BINDIR)
	for m in $(MAN5:%=5/%) $(MAN7:%=7/%) $(MAN8:%=8/%); do \
	    $(SUBST) man/$${m#*/} >$(DESTDIR)$(MANDIR)/man$$m && chmod 644 $(DESTDIR)$(MANDIR)/man$$m || exit 1; done
	$(SUBST) contrib/systemd/relaygate-expire.service >$(DESTDIR)$(SYSTEMDDIR)/relaygate-expire.service
	$(SUBST) contrib/daemontools/relaygate-expire/run >$(DTOOLS)/run
	$(SUBST) contrib/daemontools/relaygate-expire/log/run >$(DTOOLS)/log/run
	$(SUBST) contrib/systemd/relaygate-sync.service >$(DESTDIR)$(SYSTEMDDIR)/relaygate-sync.service
	$(SUBST) contrib/daemontools/relaygate-sync/run >$(DTOOLS_SYNC)/run
	$(SUBST) contrib/daemontools/relaygate-sync/log/run >$(DTOOLS_SYNC)/log/run
	chmod 644 $(DESTDIR)$(SYSTEMDDIR)/relaygate-expire.service $(DESTDIR)$(SYSTEMDDIR)/relaygate-sync.service
	chmod 755 $(DTOOLS)/run $(DTOOLS)/log/run $(DTOOLS_SYNC)/run $(DTOOLS_SYNC)/log/run

clean:
	rm -rf build

.PHONY: all units asan check check-asan check-corpus replays fuzz fuzz-build fuzz-merge lint-man bench screenshots install clean FORCE
.SECONDARY:
