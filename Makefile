# relaygate: POP-before-SMTP relay control for qmail-style mail servers.
#
#   make             build the programs into build/
#   make check       unit tests (plain and under ASan+UBSan) and program tests
#   make bench       the figures: check cost against exec, expiry cost, views, console
#   make screenshots the console's PNGs in screenshots/, from real runs in tmux
#   make install     PREFIX=/usr/local DESTDIR=

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=

CC       ?= cc
OPT      ?= -O2
CFLAGS   ?= $(OPT)
WARN      = -Wall -Wextra -Werror
STD       = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CPPFLAGS += -Isrc
LDLIBS_DB = -ldb -lcdb -lcrypto
LDLIBS_UI = $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
# relaygate sync's PostgreSQL client: only build/relaygate links it.
PQ_CFLAGS = $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
LDLIBS_PQ = $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)
SAN       = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -g

B ?= build

CORE   = err addr config grant relay view sched chain rules ruleset pop secret syncstat
STORES = lock dirsync bdbfile pagelog grantdb spool rulescdb textfile pwdb
CLI    = commands output loop rules passwd sync
PROGS  = relaygate relaygate-allow relaygate-check relaygate-checkpw
UNITS  = test_addr test_config test_grantdb test_pagelog test_relay test_view test_sched test_chain test_rules test_pop test_synclog
MAN8   = relaygate.8 relaygate-allow.8 relaygate-check.8 relaygate-checkpw.8 relaygate-sync.8
MAN5   = relaygate-grants.5 relaygate.conf.5

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

$(B)/stores/%.o: src/stores/%.c src/core/*.h src/stores/*.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(B)/cli/%.o: src/cli/%.c src/cli/*.h src/core/*.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(B)/ui/%.o: src/ui/%.c $(wildcard src/ui/*.h) src/core/*.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(B)/stores/pgstore.o: CPPFLAGS += $(PQ_CFLAGS)

$(B)/relaygate: src/relaygate.c $(CLIOBJ) $(UIOBJ) $(PQOBJ) $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(CLIOBJ) $(UIOBJ) $(PQOBJ) $(B)/librelaygate.a $(LDLIBS_DB) $(LDLIBS_UI) $(LDLIBS_PQ) $(LDFLAGS)

$(B)/librelaygate.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(B)/%: src/%.c $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(B)/librelaygate.a $(LDLIBS_DB) $(LDFLAGS)

# Test drivers: not installed.
$(B)/stress: tests/stress.c $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(B)/librelaygate.a $(LDLIBS_DB)

$(B)/bench: tests/bench.c $(B)/librelaygate.a
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(B)/librelaygate.a $(LDLIBS_DB)

$(B)/unit/%: tests/unit/%.c tests/unit/helpers.h $(B)/librelaygate.a
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -Itests/unit -o $@ $< $(B)/librelaygate.a $(LDLIBS_DB) -lcmocka

units: $(UNITS:%=$(B)/unit/%)

# The same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) B=build/asan OPT="-O1 $(SAN)" units

PROVE = CMOCKA_MESSAGE_OUTPUT=TAP prove --exec '' --timer

check: all units asan
	$(PROVE) $(UNITS:%=$(B)/unit/%) $(UNITS:%=build/asan/unit/%)
	RELAYGATE_BUILD=$(CURDIR)/$(B) prove --timer tests/*.t
	$(MAKE) lint-man

lint-man:
	mandoc -Tlint -W warning man/*.[58]

bench: all $(B)/bench
	RELAYGATE_BUILD=$(CURDIR)/$(B) $(B)/bench
	RELAYGATE_BUILD=$(CURDIR)/$(B) bash tests/bench-sync.sh

# PNGs of the console from real runs in tmux (tools/screenshots).
screenshots: all
	sh tools/screenshots

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN8:%=man/%) $(DESTDIR)$(MANDIR)/man8
	install -m 644 $(MAN5:%=man/%) $(DESTDIR)$(MANDIR)/man5

clean:
	rm -rf build

.PHONY: all units asan check lint-man bench screenshots install clean
.SECONDARY:
