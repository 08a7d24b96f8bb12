# ipcmp - one GNU Makefile. `make test` and `make compare` install what they
# need through ci/deps (as root) or say exactly what to install.

CC      ?= cc
CFLAGS  ?= -O2 -g
# What the code needs, kept whatever CFLAGS a user passes (CFLAGS and
# LDFLAGS are for optimisation, debugging and instrumentation:
# `make CFLAGS=-O0`); appended after CFLAGS so they win.
IPCMP_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Icommon
ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) $(IPCMP_CFLAGS)
LDLIBS  += -lrt -lpthread -lm
# Where objects and programs go: `make BUILD=build/x` builds a variant
# beside the default one (make sanitize and make coverage do).
BUILD   ?= build
-include config.mak

LIB_SRC   := $(wildcard common/*.c sysv/*.c posix/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC  := $(wildcard tools/*.c)
TOOL_OBJ  := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
# The probes of the two families' differences: linked into the command
# (ipcmp compare prints them) and into the suite (which asserts them).
PROBE_SRC := $(wildcard tools/probes/*.c)
PROBE_OBJ := $(PROBE_SRC:%.c=$(BUILD)/obj/%.o)
# The benchmark's cases and baselines: linked into the command (ipcmp bench)
# and into the suite (which checks that each runs and cleans up).
BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/obj/%.o)
# The lessons (ipcmp lesson): linked into the command and into the suite,
# whose tests assert what each lesson claims.
LESSON_SRC := $(wildcard tools/lessons/*.c)
LESSON_OBJ := $(LESSON_SRC:%.c=$(BUILD)/obj/%.o)
SUITE_SRC := $(wildcard suite/*.c suite/support/*.c)
SUITE_OBJ := $(SUITE_SRC:%.c=$(BUILD)/obj/%.o)
DEPS      := $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(PROBE_OBJ:.o=.d) $(SUITE_OBJ:.o=.d)
DEPS      += $(BENCH_OBJ:.o=.d) $(LESSON_OBJ:.o=.d)

# Criterion's flags are asked for only when the suite is built, after deps.
CRITERION_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
CRITERION_LIBS   = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

VALGRIND_FLAGS = --trace-children=yes --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --vgdb=no \
	--suppressions=ci/valgrind.supp --log-file=$(BUILD)/vg/vg.%p.log

.PHONY: all tools suite test valgrind compare bench deps clean sanitize coverage flags-check fuzz docs
all: tools
	@if pkg-config --exists criterion 2>/dev/null; then $(MAKE) --no-print-directory suite; \
	else echo "make: Criterion not installed: $(BUILD)/suite skipped (make deps, or make test)"; fi

tools: $(BUILD)/ipcmp
suite: $(BUILD)/suite

$(BUILD)/ipcmp: $(TOOL_OBJ) $(BUILD)/libbench.a $(BUILD)/libprobes.a $(BUILD)/liblessons.a $(BUILD)/libipcmp.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libprobes.a: $(PROBE_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/libbench.a: $(BENCH_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/liblessons.a: $(LESSON_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/libipcmp.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

# The calls the suite can make fail (suite/support/fault.h): each goes
# through a wrapper that calls the real one unless a test armed it.
SUITE_WRAP = shmget shmat shmdt shmctl semget semctl semop semtimedop msgget msgsnd \
	msgrcv msgctl shm_open shm_unlink fstat mmap munmap posix_fallocate sem_open \
	sem_close sem_unlink sem_post sem_trywait sem_timedwait mq_open mq_close mq_unlink \
	mq_getattr mq_timedsend mq_timedreceive malloc calloc realloc
$(BUILD)/suite: $(SUITE_OBJ) $(BUILD)/libbench.a $(BUILD)/libprobes.a $(BUILD)/liblessons.a $(BUILD)/libipcmp.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(SUITE_WRAP:%=-Wl,--wrap=%) -o $@ $^ $(CRITERION_LIBS) $(LDLIBS)

$(BUILD)/obj/suite/%.o: suite/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CRITERION_CFLAGS) -Isuite/support -Itools/probes -Itools/lessons -MMD -MP -c -o $@ $<

$(BUILD)/obj/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itools -Itools/probes -Itools/lessons -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/tools/bench_cmd.o $(BUILD)/obj/suite/bench.o: IPCMP_CFLAGS += -Ibench

deps:
	@ci/deps

# The suite runs the command itself (suite/cli.c): this one, also under valgrind.
test valgrind: export IPCMP_BIN = $(CURDIR)/$(BUILD)/ipcmp

test: deps
	@$(MAKE) --no-print-directory $(BUILD)/suite $(BUILD)/ipcmp
	$(BUILD)/suite $(SUITE_FLAGS)

# Criterion's runner ignores its workers' exit codes under valgrind: every
# process writes its own log, and any summary with errors (leaks of the
# definite and indirect kinds count as errors) fails the run. A process that
# a crash test SIGKILLs writes no summary; it is counted, not judged.
# Under memcheck Criterion runs one worker at a time, 20-50x slower than
# natively: the suite runs as VALGRIND_PARTS, disjoint filters, one valgrind
# each, side by side (one per core); the POSIX backends and the probes,
# which make POSIX queues, share one part: root's RLIMIT_MSGQUEUE budget is
# one for all its processes. The commands tests (suite/commands.c) skip
# under valgrind and are left out. To run some tests only, name them as
# the parts: make valgrind VALGRIND_PARTS="'lessons/*'".
VALGRIND_PARTS = '@(posix_*|semantics|errno_rows)/*' '!(posix_*|semantics|errno_rows|errno_table|commands)/*'
valgrind: deps
	@$(MAKE) --no-print-directory $(BUILD)/suite $(BUILD)/ipcmp
	@rm -rf $(BUILD)/vg && mkdir -p $(BUILD)/vg
	@i=0; pids=; for part in $(VALGRIND_PARTS); do i=$$((i + 1)); \
		echo "valgrind: part $$i: $$part"; \
		IPCMP_VALGRIND=1 valgrind $(VALGRIND_FLAGS) $(BUILD)/suite --filter "$$part" \
			$(SUITE_FLAGS) >$(BUILD)/vg/part$$i.out 2>&1 & pids="$$pids $$!"; done; \
	st=0; i=0; for p in $$pids; do i=$$((i + 1)); wait $$p; s=$$?; \
		[ $$s = 0 ] || { echo "valgrind: part $$i exited with $$s" >>$(BUILD)/vg/status; st=1; }; done; \
	cat $(BUILD)/vg/part*.out; [ $$st = 0 ] || { cat $(BUILD)/vg/status; \
		grep -h -E '^\[(----|FAIL)\]' $(BUILD)/vg/part*.out; echo "valgrind: the suite failed"; exit 1; }
	@bad=$$(grep -l -E 'ERROR SUMMARY: [1-9]' $(BUILD)/vg/vg.*.log); \
	if [ -n "$$bad" ]; then echo "valgrind: errors or leaks in:"; \
		for f in $$bad; do echo "== $$f"; grep -A12 -E 'blocks are definitely|blocks are indirectly|Invalid|uninitialised|Syscall param|ERROR SUMMARY' $$f | head -60; done; exit 1; fi; \
	echo "valgrind: $$(ls $(BUILD)/vg/vg.*.log | wc -l) processes, $$(grep -L 'ERROR SUMMARY' $(BUILD)/vg/vg.*.log | wc -l) killed before a summary, 0 errors, 0 definite or indirect leaks"

compare: $(BUILD)/ipcmp
	$(BUILD)/ipcmp compare

# docs/COMPARISON.md: the comparison observed on this machine (commit it).
docs: docs-compare
docs-compare: $(BUILD)/ipcmp
	@mkdir -p docs
	$(BUILD)/ipcmp compare --markdown > docs/COMPARISON.md.tmp || { rm -f docs/COMPARISON.md.tmp; exit 1; }
	mv docs/COMPARISON.md.tmp docs/COMPARISON.md

# Timing, so never part of `make test`. BENCH_FLAGS: e.g. --reps 9 --seconds 1.
bench: $(BUILD)/ipcmp
	$(BUILD)/ipcmp bench --svg $(BUILD)/bench.svg $(BENCH_FLAGS)

# Producers and consumers SIGKILLed and restarted, checked message by
# message: about 5 s here, not part of `make test`. SOAK_FLAGS: --seed S, ...
.PHONY: soak
soak: $(BUILD)/ipcmp
	$(BUILD)/ipcmp soak $(SOAK_FLAGS)

# docs/BENCH.md: the table, the plot (docs/bench.svg) and the machine.
# BENCH_NOTE: a line for the top of the page.
docs: docs-bench
docs-bench: $(BUILD)/ipcmp
	@mkdir -p docs
	$(BUILD)/ipcmp bench --svg docs/bench.svg --markdown --note "$(BENCH_NOTE)" $(BENCH_FLAGS) > $(BUILD)/BENCH.md
	mv $(BUILD)/BENCH.md docs/BENCH.md

# docs/LESSONS.md: every lesson's text and one run, with the machine it ran on.
docs: docs-lessons
docs-lessons: $(BUILD)/ipcmp
	@mkdir -p docs
	$(BUILD)/ipcmp lesson all --markdown > docs/LESSONS.md.tmp
	mv docs/LESSONS.md.tmp docs/LESSONS.md

.PHONY: docs-compare docs-bench docs-lessons

# ASan + UBSan, one build per compiler, each in its own directory. The
# runner and its workers are exec'd: every process writes its reports to
# its own log (log_path, named by pid), and any log fails the run, as with
# valgrind. LeakSanitizer runs in every worker, in the private namespaces
# too (measured: a planted leak is reported); a forked child that ends with
# _exit skips the check at exit, as it skips atexit. The one exception is
# the runner's own log when it holds only leaks of Criterion's blocks
# (allocated in libcriterion itself: it keeps some until exit; its exit
# status is then LeakSanitizer's, 23, which would hide a failing test's 1:
# the runner's closing line says whether every test passed); a suppression
# cannot say so, as it would match every test's stack through Criterion. The tests that expect a
# child to die of SIGSEGV or SIGBUS (SHM_RDONLY, a page past the end) need
# the signal itself, not ASan's report of it: handle_segv=0, handle_sigbus=0.
# The failed tests' lines are printed again at the end, where the tail of
# a long log shows them.
SANITIZERS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SANITIZE_CC = gcc clang
SANITIZE_OPTIONS = ASAN_OPTIONS=detect_leaks=1:handle_segv=0:handle_sigbus=0:log_path=$(BUILD)/asan-$$cc/log/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(BUILD)/asan-$$cc/log/ubsan \
	LSAN_OPTIONS=exitcode=23
sanitize:
	@ci/deps clang
	@for cc in $(SANITIZE_CC); do \
		$(MAKE) --no-print-directory BUILD=$(BUILD)/asan-$$cc CC=$$cc \
			CFLAGS="-O1 -g $(SANITIZERS)" LDFLAGS="$(SANITIZERS)" \
			$(BUILD)/asan-$$cc/suite $(BUILD)/asan-$$cc/ipcmp || exit 1; \
	done
	@for cc in $(SANITIZE_CC); do \
		log=$(BUILD)/asan-$$cc/log; rm -rf $$log && mkdir -p $$log; \
		echo "sanitize: $$cc"; \
		$(SANITIZE_OPTIONS) IPCMP_BIN=$(BUILD)/asan-$$cc/ipcmp \
			$(BUILD)/asan-$$cc/suite $(SUITE_FLAGS) 2>$(BUILD)/asan-$$cc/suite.out & runner=$$!; \
		wait $$runner; st=$$?; cat $(BUILD)/asan-$$cc/suite.out; \
		grep -q 'Failing: 0 | Crashing: 0' $(BUILD)/asan-$$cc/suite.out || \
			{ echo "sanitize: $$cc: tests failed"; fail=1; }; \
		for f in $$log/*; do [ -e "$$f" ] || continue; \
			if [ "$${f##*.}" = "$$runner" ] && ! grep -q -e 'runtime error' \
				-e 'ERROR: AddressSanitizer' "$$f" && \
				! grep '^ *#1 ' "$$f" | grep -q -v libcriterion; then \
				[ $$st = 23 ] && st=0; continue; fi; \
			echo "== $$f"; head -40 "$$f"; fail=1; done; \
		[ $$st = 0 ] || { echo "sanitize: $$cc: the suite exited with $$st"; fail=1; }; \
	done; \
	for cc in $(SANITIZE_CC); do out=$(BUILD)/asan-$$cc/suite.out; \
		grep -q 'Failing: 0 | Crashing: 0' $$out && continue; \
		echo "sanitize: $$cc: what failed:"; grep -E '^\[(----|FAIL)\]' $$out; done; \
	[ -z "$$fail" ] && echo "sanitize: gcc and clang builds, no ASan, LSan or UBSan report"

# Line and branch coverage of the library and the command by the suite,
# per file, from gcov. Children that end with _exit write their counts
# first (--wrap: tools/probes/coverage.c); children that became nobody write
# them too (the directory and, by umask 0, the count files are writable).
COVERAGE_DIRS = common sysv posix tools tools/probes tools/lessons bench
coverage: deps
	@rm -rf $(BUILD)/cov
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/cov CFLAGS="-O0 -g --coverage -DIPCMP_COVERAGE" \
		LDFLAGS="--coverage -Wl,--wrap=_exit,--wrap=raise" $(BUILD)/cov/suite $(BUILD)/cov/ipcmp
	@chmod -R a+rwX $(BUILD)/cov
	-umask 0; IPCMP_BIN=$(BUILD)/cov/ipcmp $(BUILD)/cov/suite $(SUITE_FLAGS)
	@for d in $(COVERAGE_DIRS); do \
		gcov -b -n -o $(BUILD)/cov/obj/$$d $$d/*.c 2>/dev/null; done | \
	awk -f ci/coverage.awk

# Every optimisation level with both compilers, warning-free (-Werror).
FLAGS_CHECK_OPT = -O0 -O1 -O2 -O3 -Os
flags-check:
	@ci/deps clang
	@for cc in gcc clang; do for o in $(FLAGS_CHECK_OPT); do \
		echo "flags-check: $$cc $$o"; \
		$(MAKE) --no-print-directory -s BUILD=$(BUILD)/flags-$$cc$$o CC=$$cc CFLAGS="$$o" \
			$(BUILD)/flags-$$cc$$o/suite $(BUILD)/flags-$$cc$$o/ipcmp || exit 1; \
	done; done

# libFuzzer (clang) over what reads untrusted bytes: fuzz/ring.c. The
# inputs that once crashed (fuzz/regress) are replayed first, then the
# fuzzer runs FUZZ_SECONDS from fuzz/corpus; a crash leaves its input in
# $(BUILD)/fuzz/crash-*: add it to fuzz/regress with the fix.
FUZZ_SECONDS = 60
FUZZ_SANITIZERS = -fsanitize=address,undefined -fno-sanitize-recover=all
fuzz:
	@ci/deps clang
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz CC=clang \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link $(FUZZ_SANITIZERS)" $(BUILD)/fuzz/libipcmp.a
	clang -g -O1 -fsanitize=fuzzer $(FUZZ_SANITIZERS) $(IPCMP_CFLAGS) $(LDFLAGS) \
		-o $(BUILD)/fuzz/ring fuzz/ring.c $(BUILD)/fuzz/libipcmp.a $(LDLIBS)
	$(BUILD)/fuzz/ring fuzz/regress/*
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/ring -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(BUILD)/fuzz/ \
		$(BUILD)/fuzz/corpus fuzz/corpus

clean:
	rm -rf build

-include $(DEPS)
