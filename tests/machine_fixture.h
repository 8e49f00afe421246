/* Test fixture: a small machine built in C (no YAML) and scripted tasks that
 * drive the shootdown mechanics through their `run` callbacks.
 *
 * Every tests/test_*.c is linked on its own with the libraries (see the
 * Makefile), so a shared helper .c file cannot be linked in. The helpers
 * therefore live in headers as `static inline` functions (inline only so
 * that a test not using one gets no unused-function warning). Include this
 * header from tests only.
 *
 * This header is the one tests include; it includes the parts:
 *   machine_fixture_core.h    the test machine (CPU numbering, FX_* costs),
 *                             struct fx, FX_EQ, running, probes, accounting
 *   machine_fixture_state.h   CPU and TLB state; frames, mappings, PTEs,
 *                             free and LRU lists
 *   machine_fixture_script.h  scripted tasks and their operations
 *   machine_fixture_spy.h     the policy spy, recording hook calls */
#ifndef TESTS_MACHINE_FIXTURE_H
#define TESTS_MACHINE_FIXTURE_H

#include "tests/machine_fixture_core.h"
#include "tests/machine_fixture_state.h"
#include "tests/machine_fixture_script.h"
#include "tests/machine_fixture_spy.h"

#endif
