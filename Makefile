# dunnd — GNU make, no autotools.
#
#   make                 build dunnd, dunnctl and the carrier plugins into build/
#   make check           unit + integration tests (ends with "N passed, N failed")
#   make check-asan      the same tests built with -fsanitize=address,undefined into build-asan/
#   make demo            a campaign over 2,000 sample households through the file carrier
#   make fuzz            build the libFuzzer harnesses and run each for FUZZ_SECONDS
#   make bench           benchmarks (figures, not pass/fail)
#   make install         honours PREFIX, DESTDIR, SYSCONFDIR
#
# lib/*.c is a pure helper library (buffer, JSON, time zones, outcome names, the host's curl
# defaults) built -fPIC -fvisibility=hidden into build/libdunnlib.a: the daemon, the plugins
# and the tests link the same code, and a plugin still exports nothing but `dunnd_carrier`.
# Every daemon/*.c except the two mains goes into build/libdunn.a; every plugins/NAME.c
# becomes NAME.so together with its plugins/NAME-*.c parts; every tests/unit/test-*.c one
# cmocka binary: adding a module needs no edit here.

PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBDIR     ?= $(PREFIX)/lib
PLUGINDIR  ?= $(LIBDIR)/dunnd/plugins
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DESTDIR    ?=

PKG_CONFIG ?= pkg-config
CC         ?= cc
VERSION    := 0.1.0
B          ?= build
V          ?= 0

PKGS := libcurl libconfig sqlite3 libsystemd jansson
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
PLUGIN_LIBS := $(shell $(PKG_CONFIG) --libs libcurl jansson 2>/dev/null)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wwrite-strings \
            -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wundef -Wvla \
            -Wno-missing-field-initializers

ifeq ($(SANITIZE),1)
B := build-asan
OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDSAN := -fsanitize=address,undefined
HARDEN := -fstack-protector-strong
else
OPT := -O2 -g
LDSAN :=
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fcf-protection
endif

DEFS := -D_GNU_SOURCE -DDUNND_VERSION=\"$(VERSION)\" \
        -DDUNND_PLUGIN_DIR=\"$(PLUGINDIR)\" -DDUNND_SYSCONFDIR=\"$(SYSCONFDIR)\"

ALL_CFLAGS := -std=gnu11 $(OPT) $(WARNINGS) $(HARDEN) $(DEFS) -Ilib -Idaemon -Iplugins \
              $(PKG_CFLAGS) $(CFLAGS)
EXE_LDFLAGS := -pie -Wl,-z,relro,-z,now $(LDSAN) $(LDFLAGS)
SO_LDFLAGS  := -shared -Wl,-z,relro,-z,now $(LDSAN) $(LDFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

MAINS     := daemon/dunnd.c daemon/dunnctl.c
LIB_SRCS  := $(filter-out $(MAINS),$(wildcard daemon/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o)
COMMON_SRCS := $(wildcard lib/*.c)
COMMON_OBJS := $(COMMON_SRCS:%.c=$(B)/%.o)
COMMON_LIB  := $(B)/libdunnlib.a
# plugins/NAME.c is a plugin; plugins/NAME-PART.c a part of it
PLUGIN_ALL_SRCS := $(wildcard plugins/*.c)
PLUGIN_SRCS := $(foreach f,$(PLUGIN_ALL_SRCS),$(if $(findstring -,$(notdir $(f))),,$(f)))
PLUGINS   := $(PLUGIN_SRCS:plugins/%.c=$(B)/plugins/%.so)
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
TESTPLUGIN_SRCS := $(wildcard tests/plugins/*.c)
TESTPLUGINS := $(TESTPLUGIN_SRCS:tests/plugins/%.c=$(B)/tests/plugins/%.so)
PROGRAMS  := $(if $(wildcard daemon/dunnd.c),$(B)/dunnd) $(if $(wildcard daemon/dunnctl.c),$(B)/dunnctl)

.PHONY: all check check-asan unit demo fuzz bench install uninstall clean deps cppcheck valgrind
all: $(PROGRAMS) $(PLUGINS)

# The compiled-in paths (PREFIX, SYSCONFDIR...) live in DEFS: when they change, every object
# is rebuilt, so `make install PREFIX=/usr` after a plain `make` installs the right paths.
$(B)/.defs: FORCE
	@mkdir -p $(@D)
	@echo '$(DEFS) $(OPT)' | cmp -s - $@ || echo '$(DEFS) $(OPT)' > $@
.PHONY: FORCE
$(LIB_OBJS) $(COMMON_OBJS) $(B)/daemon/dunnctl.o $(B)/daemon/dunnd.o $(PLUGINS): $(B)/.defs

$(B)/libdunn.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(COMMON_LIB): $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

$(B)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -fPIE -MMD -MP -c -o $@ $<

$(B)/dunnctl: $(B)/daemon/dunnctl.o $(B)/libdunn.a $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(EXE_LDFLAGS) -o $@ $^ $(PKG_LIBS) -ldl -lm

$(B)/dunnd: $(B)/daemon/dunnd.o $(B)/libdunn.a $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(EXE_LDFLAGS) -o $@ $^ $(PKG_LIBS) -ldl -lm

.SECONDEXPANSION:
$(B)/plugins/%.so: plugins/%.c $$(wildcard plugins/$$*-*.c) plugins/dunnd-carrier.h $(COMMON_LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -o $@ $(filter %.c,$^) \
		$(COMMON_LIB) $(SO_LDFLAGS) -Wl,--as-needed $(PLUGIN_LIBS)

$(B)/tests/plugins/%.so: tests/plugins/%.c plugins/dunnd-carrier.h
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -o $@ $< $(SO_LDFLAGS)

$(B)/tests/unit/%: tests/unit/%.c $(B)/libdunn.a $(COMMON_LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -fPIE -MMD -MP -o $@ $< $(B)/libdunn.a $(COMMON_LIB) \
		$(EXE_LDFLAGS) $(PKG_LIBS) -lcmocka -ldl -lm

deps:
	@scripts/deps

unit: $(UNIT_BINS) $(TESTPLUGINS)

# The test runner counts cmocka cases and integration TAP lines and ends with
# "N passed, N failed".
check: deps
	$(Q)$(MAKE) --no-print-directory all unit
	$(Q)tests/run-tests $(B)

check-asan: deps
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all unit
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run-tests build-asan

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo $(B)

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 30
# the carrier harnesses #include a plugin's source
build-fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(COMMON_SRCS) $(PLUGIN_ALL_SRCS) $(wildcard plugins/*.h)
	@mkdir -p $(@D)
	$(Q)clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined $(DEFS) -Ilib -Idaemon -Iplugins \
		$(PKG_CFLAGS) -o $@ $< $(LIB_SRCS) $(COMMON_SRCS) $(PKG_LIBS) -ldl -lm
fuzz: deps $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
		seeds=tests/fuzz/corpus/$${n#fuzz-}; \
		echo "== $$n ($(FUZZ_SECONDS)s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$n $$( [ -d $$seeds ] && echo $$seeds ) \
			2>&1 | tail -n 3 || exit 1; \
	done

# Not part of check: it takes about ten minutes and prints figures, never fails on time.
# BENCH_QUICK=1 make bench is the two-minute version (tests/bench/README.md).
bench:
	@scripts/deps bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/bench/run $(B)

# cppcheck does not model __attribute__((cleanup)), so every _cleanup_ variable looks like a
# leak to it; leaks are what LeakSanitizer (check-asan) and valgrind check instead.
cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--suppress=memleak --suppress=resourceLeak \
		--inline-suppr --std=c11 -D_GNU_SOURCE -Ilib -Idaemon -Iplugins lib daemon plugins

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PLUGINDIR) \
		$(DESTDIR)$(SYSCONFDIR)/dunnd $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(B)/dunnctl $(DESTDIR)$(BINDIR)/dunnctl
	$(if $(wildcard $(B)/dunnd),install -m 0755 $(B)/dunnd $(DESTDIR)$(SBINDIR)/dunnd)
	install -m 0644 $(PLUGINS) $(DESTDIR)$(PLUGINDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/dunnd/dunnd.conf ] || \
		install -m 0600 etc/dunnd.conf $(DESTDIR)$(SYSCONFDIR)/dunnd/dunnd.conf
# the holiday calendar dunnd.conf includes: no secrets in it; ops add years, so it is kept too
	[ -e $(DESTDIR)$(SYSCONFDIR)/dunnd/holidays.conf ] || \
		install -m 0644 etc/holidays.conf $(DESTDIR)$(SYSCONFDIR)/dunnd/holidays.conf
	for m in $(wildcard man/*.[158]); do \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	for u in $(wildcard systemd/*.service); do \
		install -d $(DESTDIR)$(UNITDIR); \
		sed -e 's|@sbindir@|$(SBINDIR)|g' -e 's|@sysconfdir@|$(SYSCONFDIR)|g' $$u \
			> $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	$(if $(wildcard systemd/dunnd.sysusers),install -d $(DESTDIR)$(SYSUSERSDIR) && \
		install -m 0644 systemd/dunnd.sysusers $(DESTDIR)$(SYSUSERSDIR)/dunnd.conf)
	$(if $(wildcard systemd/dunnd.tmpfiles),install -d $(DESTDIR)$(TMPFILESDIR) && \
		install -m 0644 systemd/dunnd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/dunnd.conf)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/dunnctl $(DESTDIR)$(SBINDIR)/dunnd
	rm -rf $(DESTDIR)$(PLUGINDIR)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard man/*.8)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(wildcard systemd/*.service)))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/dunnd.conf $(DESTDIR)$(TMPFILESDIR)/dunnd.conf
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/dunnd (your config) and the database"

clean:
	rm -rf build build-asan build-fuzz demo

-include $(shell find $(B) -name '*.d' 2>/dev/null)
