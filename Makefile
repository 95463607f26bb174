# kapsule: plain Makefile. Sources are found by folder, so adding a file to
# src/<layer>/ or tests/unit/ needs no edit here.
#
#   make            library (static + shared) and the kapsule command
#   make test       every test; last line "N passed, N failed, N skipped"
#   make sanitize   the same tests under ASan + UBSan (build/san)
#   make fuzz       libFuzzer harnesses (clang), build/fuzz/*
#   make bench      benchmarks, printed as a table
#   make demo       the main job on an embedded store
#   make CC=clang   everything builds clean with gcc and clang
#   make check-includes  libsodium/OpenSSL only in src/crypto/, the engine libc only
#   make check-layers    no include against DESIGN.md's layer table
#                   (make test runs it too, as tests/cli/includes.sh)

CC      ?= cc
BUILD   ?= build
# V=1 shows every command
ifeq ($(V),1)
Q :=
else
Q := @
endif
OPT     ?= -O2
SAN     ?=
CFLAGS_EXTRA ?=
LDFLAGS_EXTRA ?=

WARN    := -Wall -Wextra -Werror -Wshadow -Wvla -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
CFLAGS  := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(OPT) -g $(WARN) \
           -fvisibility=hidden -fPIC -Iinclude -Isrc $(SAN) $(CFLAGS_EXTRA)
ifneq (,$(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1)))
CFLAGS  += -Wno-gnu-label-as-value
endif
LIBS    := -lsodium -lcrypto -lsqlite3 -ljansson -lm
LDFLAGS := $(SAN) $(LDFLAGS_EXTRA)

# Every layer but the command line goes into libkapsule.
LIB_SRC := $(sort $(wildcard src/util/*.c src/wasm/*.c src/cbor/*.c \
             src/crypto/*.c src/capsule/*.c src/host/*.c src/store/*.c \
             src/log/*.c src/runtime/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC := $(sort $(wildcard tests/unit/*_test.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Test-only support code (fault-injecting VFS, fault and crash loops): every
# tests/unit/*.c that is not a test program, in an archive every test links,
# so a test pulls in only what it uses and none of it enters libkapsule.
TSUP_SRC := $(filter-out $(UNIT_SRC),$(sort $(wildcard tests/unit/*.c)))
TSUP_OBJ := $(TSUP_SRC:%.c=$(BUILD)/%.o)
TSUP     := $(BUILD)/tests/libtestsupport.a
TOOL_SRC := $(sort $(wildcard tests/spec/*.c tests/tools/*.c))
TOOL_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TOOL_SRC))

# The version lives in include/kapsule.h alone (KP_VERSION); the shared
# library is libkapsule.so.MAJOR.MINOR.PATCH with SONAME libkapsule.so.MAJOR.
VERSION := $(shell sed -n 's/^\#define KP_VERSION "\(.*\)"/\1/p' include/kapsule.h)
MAJOR   := $(firstword $(subst ., ,$(VERSION)))
STATIC  := $(BUILD)/libkapsule.a
SHARED  := $(BUILD)/libkapsule.so
SONAME  := libkapsule.so.$(MAJOR)
KAPSULE := $(BUILD)/kapsule
DOCS    := $(BUILD)/doc/kapsule.1 $(BUILD)/doc/kapsule.bash

.PHONY: all lib test sanitize fuzz fuzz-bins bench demo guest clean check-exports check-includes \
        check-layers docs install uninstall
all: $(STATIC) $(SHARED) $(KAPSULE) guest docs

lib: $(STATIC) $(SHARED)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)ar rcs $@ $^

$(SHARED): $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LDFLAGS) $(LIBS)

$(KAPSULE): $(CLI_OBJ) $(STATIC)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $(CLI_OBJ) $(STATIC) $(LDFLAGS) $(LIBS)

$(TSUP): $(TSUP_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)ar rcs $@ $^

$(BUILD)/tests/%_test: tests/unit/%_test.c tests/unit/test.h $(TSUP) $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $@.d -Itests/unit -o $@ $< $(TSUP) $(STATIC) $(LDFLAGS) $(LIBS)

$(BUILD)/tests/spec/%: tests/spec/%.c $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $@.d -Itests/unit -o $@ $< $(STATIC) $(LDFLAGS) $(LIBS)

$(BUILD)/tests/tools/%: tests/tools/%.c $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $@.d -Itests/unit -o $@ $< $(STATIC) $(LDFLAGS) $(LIBS)

# Guest modules: guest/*.c are logic modules in C, built for wasm32 with
# clang and wasm-ld; tests/wat/*.wat are hand-written test modules (wabt).
GUEST_SRC := $(sort $(wildcard guest/*.c))
GUEST_BIN := $(GUEST_SRC:guest/%.c=$(BUILD)/guest/%.wasm)
WAT_SRC   := $(sort $(wildcard tests/wat/*.wat))
WAT_BIN   := $(WAT_SRC:tests/wat/%.wat=$(BUILD)/wat/%.wasm)
WASM_CC   ?= clang
WASM_CFLAGS := --target=wasm32 -O2 -nostdlib -ffreestanding -Wall -Wextra \
           -Werror -Iguest -Wl,--no-entry -Wl,--export-dynamic \
           -Wl,--allow-undefined -Wl,-z,stack-size=65536
guest: $(GUEST_BIN) $(WAT_BIN)
$(BUILD)/guest/%.wasm: guest/%.c $(wildcard guest/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  WASM    $@")
	$(Q)$(WASM_CC) $(WASM_CFLAGS) -o $@ $<
$(BUILD)/wat/%.wasm: tests/wat/%.wat
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  WAT     $@")
	$(Q)wat2wasm --enable-all -o $@ $<

# Fuzzing. tests/fuzz/<kind>_fuzz.c defines LLVMFuzzerTestOneInput. "make
# fuzz" links each with libFuzzer (clang); "make test" links each with
# tests/fuzz/replay_main.c and replays tests/corpus/<kind>/ through it.
FUZZ_SRC   := $(filter-out tests/fuzz/replay_main.c,$(sort $(wildcard tests/fuzz/*_fuzz.c)))
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/replay/%)
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/%)
$(BUILD)/tests/replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -MM -MP -MT $@ -MF $@.d $<
	$(Q)$(CC) $(CFLAGS) -o $@ $< tests/fuzz/replay_main.c $(STATIC) $(LDFLAGS) $(LIBS)

fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang OPT="-O1" \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	  fuzz-bins
fuzz-bins: $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/%)
$(BUILD)/%_fuzz: tests/fuzz/%_fuzz.c $(STATIC)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(STATIC) $(LDFLAGS) $(LIBS)

test: all $(UNIT_BIN) $(TOOL_BIN) $(REPLAY_BIN)
	@BUILD=$(BUILD) tests/run.sh

# The same tests under ASan + UBSan; any report fails the run.
sanitize:
	$(MAKE) BUILD=build/san OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DKP_DEBUG" \
	  test

# Only kp_* and kw_* may leave the shared library.
check-exports: $(SHARED)
	@scripts/check_exports.sh $(SHARED)

# Each library has one owner: scripts/check_includes.sh says which.
check-includes:
	@scripts/check_includes.sh

# The layer table of DESIGN.md: no include against it (scripts/check_layers.sh).
check-layers:
	@scripts/check_layers.sh

bench: all
	@BUILD=$(BUILD) bench/run.sh

demo: all
	@BUILD=$(BUILD) scripts/demo.sh

# The man page and bash completion, made from the command's own --help
# texts (scripts/gen-docs.sh), so that they cannot drift from it.
docs: $(DOCS)
$(DOCS) &: $(KAPSULE) scripts/gen-docs.sh
	@$(if $(Q),echo "  GEN     $(DOCS)")
	$(Q)scripts/gen-docs.sh $(KAPSULE) $(BUILD)/doc

# make install [PREFIX=/usr/local] [DESTDIR=...]: the command, both
# libraries, the public headers, kapsule.pc, the man page and the bash
# completion. make uninstall removes exactly those files.
PREFIX  ?= /usr/local
BINDIR  := $(DESTDIR)$(PREFIX)/bin
LIBDIR  := $(DESTDIR)$(PREFIX)/lib
INCDIR  := $(DESTDIR)$(PREFIX)/include
PCDIR   := $(LIBDIR)/pkgconfig
MANDIR  := $(DESTDIR)$(PREFIX)/share/man/man1
COMPDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
HEADERS := include/kapsule.h include/kapsule_errors.h include/kapsule_wasm.h

# kapsule.pc is written at install time: it names the PREFIX installed to.
install: all
	install -d $(BINDIR) $(LIBDIR) $(INCDIR) $(PCDIR) $(MANDIR) $(COMPDIR)
	install -m 0755 $(KAPSULE) $(BINDIR)/kapsule
	install -m 0644 $(STATIC) $(LIBDIR)/libkapsule.a
	install -m 0755 $(SHARED) $(LIBDIR)/libkapsule.so.$(VERSION)
	ln -sf libkapsule.so.$(VERSION) $(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(LIBDIR)/libkapsule.so
	install -m 0644 $(HEADERS) $(INCDIR)/
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
	  'Name: kapsule' 'Description: capsule runtime: signed capsules, a WebAssembly sandbox, a SQLite store and a Merkle audit log' \
	  'Version: $(VERSION)' 'Requires.private: libsodium sqlite3 jansson libcrypto' \
	  'Libs: -L$${libdir} -lkapsule' 'Libs.private: -lm' 'Cflags: -I$${includedir}' > $(PCDIR)/kapsule.pc
	install -m 0644 $(BUILD)/doc/kapsule.1 $(MANDIR)/kapsule.1
	install -m 0644 $(BUILD)/doc/kapsule.bash $(COMPDIR)/kapsule

uninstall:
	rm -f $(BINDIR)/kapsule $(LIBDIR)/libkapsule.a $(LIBDIR)/libkapsule.so.$(VERSION) \
	  $(LIBDIR)/$(SONAME) $(LIBDIR)/libkapsule.so $(PCDIR)/kapsule.pc $(MANDIR)/kapsule.1 \
	  $(COMPDIR)/kapsule $(addprefix $(INCDIR)/,$(notdir $(HEADERS)))

clean:
	rm -rf build demo-store

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TSUP_OBJ:.o=.d)
# Test, spec, tool and replay programs are compiled and linked in one step;
# their dependency files sit beside them, so that a header they include
# rebuilds them too.
-include $(UNIT_BIN:=.d) $(TOOL_BIN:=.d) $(REPLAY_BIN:=.d)
