/* Part of machine_cfg_load: the TLB geometry (`tlb`) and the cost table
 * (`cost`) of a machine YAML. A cost key may be written in ns (`<name>_ns`:
 * an integer, or a duration with a unit such as "1.5us") or in cycles
 * (`<name>_cycles`, converted with clock_mhz), never both. */
#ifndef MODELS_MACHINE_CFG_COST_H
#define MODELS_MACHINE_CFG_COST_H

#include "models/machine_cfg.h"

/* Largest cost accepted: 10 s, far above any single kernel operation. */
#define MACHINE_MAX_COST_NS     10000000000ULL
#define MACHINE_MAX_COST_CYCLES 1000000000000ULL

/* Reads `tlb`; returns 0, or -1 with *err. */
int machine_cfg_load_tlb(struct cfg_node *machine, struct machine_cfg *cfg,
                         struct cfg_error *err);
/* Reads `cost`; cfg->clock_mhz must be set. Returns 0, or -1 with *err. */
int machine_cfg_load_costs(struct cfg_node *machine, struct machine_cfg *cfg,
                           struct cfg_error *err);

#endif
