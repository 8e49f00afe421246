# tlbsim build. `make run` and `make test` are all the set-up a fresh Debian 12
# machine needs: the `prereq` target installs missing packages (see scripts/prereq.sh).

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
PKGS    := glib-2.0 yaml-0.1
WERROR  := $(if $(CI),-Werror,)
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wundef -Wno-unused-parameter $(WERROR)
OPT     ?= -O2 -g
CFLAGS_ALL = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) -I. \
             -DTLBSIM_DATADIR_DEFAULT='"$(PREFIX)/share/tlbsim"' \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EXTRA_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm $(EXTRA_LDFLAGS) $(LDFLAGS)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null)

SIM_SRC    := $(sort $(wildcard sim/*.c))
MODEL_SRC  := $(sort $(wildcard models/*.c models/*/*.c))
CLI_SRC    := $(sort $(filter-out cli/main.c,$(wildcard cli/*.c)))
TEST_SRC   := $(sort $(wildcard tests/test_*.c))
BENCH_SRC  := $(sort $(wildcard bench/bench_*.c))

SIM_OBJ   := $(SIM_SRC:%.c=$(BUILD)/%.o)
MODEL_OBJ := $(MODEL_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
LIBS      := $(BUILD)/libtlbsim_cli.a $(BUILD)/libmodels.a $(BUILD)/libsim.a

.PHONY: all run test check asan bench plots install clean prereq lint sweep
.DEFAULT_GOAL := all

all: prereq $(BUILD)/tlbsim

prereq:
	@sh scripts/prereq.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CMOCKA_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libsim.a: $(SIM_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/libmodels.a: $(MODEL_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/libtlbsim_cli.a: $(CLI_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tlbsim: $(BUILD)/cli/main.o $(LIBS)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBS) $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBS) $(LDLIBS_ALL) $(CMOCKA_LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBS) $(LDLIBS_ALL)

# The default scenario: prints its summary and writes results/default/.
run: all
	$(BUILD)/tlbsim run configs/scenarios/default.yaml

# Unit, scenario and determinism tests (cmocka). Tests run from the repo root.
test: prereq $(BUILD)/tlbsim $(TEST_BIN)
	@sh scripts/run_tests.sh $(BUILD) $(TEST_BIN)

# Everything CI checks: the tests, then the same tests under ASan+UBSan, then lint.
check: test asan lint

# clang when present (its UBSan is stricter), else gcc, which supports both too.
ASAN_CC := $(shell command -v clang >/dev/null 2>&1 && echo clang || echo gcc)
asan:
	$(MAKE) BUILD=build-asan CC=$(ASAN_CC) OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" test

lint:
	@sh scripts/lint.sh

bench: prereq $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done

# The example sweep (configs/sweeps/policies.yaml) into results/sweeps/policies/,
# then its charts into plots/out/. Finished points are reused.
plots: all
	@sh plots/sweep-and-plot.sh configs/sweeps/policies.yaml results/sweeps/policies plots/out

sweep: all
	$(BUILD)/tlbsim sweep configs/sweeps/policies.yaml

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/tlbsim
	install -m 0755 $(BUILD)/tlbsim $(DESTDIR)$(PREFIX)/bin/tlbsim
	cp -R configs plots $(DESTDIR)$(PREFIX)/share/tlbsim/

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:
