# ipcmp - one GNU Makefile. `make test` and `make compare` install what they
# need through ci/deps (as root) or say exactly what to install.

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Icommon
LDLIBS  += -lrt -lpthread
LDLIBS  += -lm
-include config.mak

LIB_SRC   := $(wildcard common/*.c sysv/*.c posix/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=build/obj/%.o)
TOOL_SRC  := $(wildcard tools/*.c)
TOOL_OBJ  := $(TOOL_SRC:%.c=build/obj/%.o)
# The probes of the two families' differences: linked into the command
# (ipcmp compare prints them) and into the suite (which asserts them).
PROBE_SRC := $(wildcard tools/probes/*.c)
PROBE_OBJ := $(PROBE_SRC:%.c=build/obj/%.o)
# The benchmark's cases and baselines: linked into the command (ipcmp bench)
# and into the suite (which checks that each runs and cleans up).
BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:%.c=build/obj/%.o)
# The lessons (ipcmp lesson): linked into the command and into the suite,
# whose tests assert what each lesson claims.
LESSON_SRC := $(wildcard tools/lessons/*.c)
LESSON_OBJ := $(LESSON_SRC:%.c=build/obj/%.o)
SUITE_SRC := $(wildcard suite/*.c suite/support/*.c)
SUITE_OBJ := $(SUITE_SRC:%.c=build/obj/%.o)
DEPS      := $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(PROBE_OBJ:.o=.d) $(SUITE_OBJ:.o=.d)
DEPS      += $(BENCH_OBJ:.o=.d) $(LESSON_OBJ:.o=.d)

# Criterion's flags are asked for only when the suite is built, after deps.
CRITERION_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
CRITERION_LIBS   = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

VALGRIND_FLAGS = --trace-children=yes --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --vgdb=no \
	--suppressions=ci/valgrind.supp --log-file=build/vg/vg.%p.log
# A worker per errno row is too slow under memcheck: errno_rows runs them all.
VALGRIND_SUITE_FLAGS = --filter '!(errno_table)/*'

.PHONY: all tools suite test valgrind compare bench deps clean
all: tools
	@if pkg-config --exists criterion 2>/dev/null; then $(MAKE) --no-print-directory suite; \
	else echo "make: Criterion not installed: build/suite skipped (make deps, or make test)"; fi

tools: build/ipcmp
suite: build/suite

build/ipcmp: $(TOOL_OBJ) build/libbench.a build/libprobes.a build/liblessons.a build/libipcmp.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/libprobes.a: $(PROBE_OBJ)
	$(AR) rcs $@ $^

build/libbench.a: $(BENCH_OBJ)
	$(AR) rcs $@ $^

build/liblessons.a: $(LESSON_OBJ)
	$(AR) rcs $@ $^

build/libipcmp.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

build/suite: $(SUITE_OBJ) build/libbench.a build/libprobes.a build/liblessons.a build/libipcmp.a
	$(CC) $(CFLAGS) -o $@ $^ $(CRITERION_LIBS) $(LDLIBS)

build/obj/suite/%.o: suite/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CRITERION_CFLAGS) -Isuite/support -Itools/probes -Itools/lessons -MMD -MP -c -o $@ $<

build/obj/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itools -Itools/probes -Itools/lessons -MMD -MP -c -o $@ $<

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

build/obj/tools/bench_cmd.o build/obj/suite/bench.o: CFLAGS += -Ibench

deps:
	@ci/deps

# The suite runs the command itself (suite/cli.c): this one, also under valgrind.
test valgrind: export IPCMP_BIN = $(CURDIR)/build/ipcmp

test: deps
	@$(MAKE) --no-print-directory build/suite build/ipcmp
	./build/suite $(SUITE_FLAGS)

# Criterion's runner ignores its workers' exit codes under valgrind: every
# process writes its own log, and any summary with errors (leaks of the
# definite and indirect kinds count as errors) fails the run. A process that
# a crash test SIGKILLs writes no summary; it is counted, not judged.
valgrind: deps
	@$(MAKE) --no-print-directory build/suite build/ipcmp
	@rm -rf build/vg && mkdir -p build/vg
	IPCMP_VALGRIND=1 valgrind $(VALGRIND_FLAGS) ./build/suite $(VALGRIND_SUITE_FLAGS) $(SUITE_FLAGS)
	@bad=$$(grep -l -E 'ERROR SUMMARY: [1-9]' build/vg/vg.*.log); \
	if [ -n "$$bad" ]; then echo "valgrind: errors or leaks in:"; \
		for f in $$bad; do echo "== $$f"; grep -A12 -E 'blocks are definitely|blocks are indirectly|Invalid|uninitialised|Syscall param|ERROR SUMMARY' $$f | head -60; done; exit 1; fi; \
	echo "valgrind: $$(ls build/vg | wc -l) processes, $$(grep -L 'ERROR SUMMARY' build/vg/vg.*.log | wc -l) killed before a summary, 0 errors, 0 definite or indirect leaks"

compare: build/ipcmp
	./build/ipcmp compare

# docs/COMPARISON.md: the comparison observed on this machine (commit it).
.PHONY: docs docs-compare
docs: docs-compare
docs-compare: build/ipcmp
	@mkdir -p docs
	./build/ipcmp compare --markdown > docs/COMPARISON.md.tmp || { rm -f docs/COMPARISON.md.tmp; exit 1; }
	mv docs/COMPARISON.md.tmp docs/COMPARISON.md

# Timing, so never part of `make test`. BENCH_FLAGS: e.g. --reps 9 --seconds 1.
bench: build/ipcmp
	./build/ipcmp bench --svg build/bench.svg $(BENCH_FLAGS)

# Producers and consumers SIGKILLed and restarted, checked message by
# message: about 10 s here, not part of `make test`. SOAK_FLAGS: --seed S, ...
.PHONY: soak
soak: build/ipcmp
	./build/ipcmp soak $(SOAK_FLAGS)

# docs/BENCH.md: the table, the plot (docs/bench.svg) and the machine.
# BENCH_NOTE: a line for the top of the page.
.PHONY: docs docs-bench
docs: docs-bench
docs-bench: build/ipcmp
	@mkdir -p docs
	./build/ipcmp bench --svg docs/bench.svg --markdown --note "$(BENCH_NOTE)" $(BENCH_FLAGS) > build/BENCH.md
	mv build/BENCH.md docs/BENCH.md

# docs/LESSONS.md: every lesson's text and one run, with the machine it ran on.
.PHONY: docs docs-lessons
docs: docs-lessons
docs-lessons: build/ipcmp
	@mkdir -p docs
	./build/ipcmp lesson all --markdown > docs/LESSONS.md.tmp
	mv docs/LESSONS.md.tmp docs/LESSONS.md

clean:
	rm -rf build

-include $(DEPS)
