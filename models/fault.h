/* Page faults (handle_mm_fault): anonymous zero-fill and swap-in, file
 * faults with readahead and fault-around, and write-protect faults. A fault
 * allocates through alloc.c and so may enter direct reclaim. */
#ifndef MODELS_FAULT_H
#define MODELS_FAULT_H

#include <stdint.h>

#include "models/task.h"
#include "models/tlb.h"
#include "sim/sim_time.h"

struct fault_ctx;

/* Handles a fault of t at vpn for an access of `kind`; credit_ns of the
 * fault's entry cost has already elapsed (the fault was found late, see
 * app.c). Then sets t->run = done and calls it. */
void fault_start(struct task *t, uint64_t vpn, enum tlb_access kind, sim_time_t credit_ns,
                 task_run_fn *done);
void fault_ctx_free(struct fault_ctx *fc);

#endif
