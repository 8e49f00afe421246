/* Part of machine_cfg_load: the NUMA nodes of a machine YAML (memory, the
 * sockets whose CPUs each node holds, watermarks) and the SLIT distance
 * matrix. Also the default-watermark arithmetic, exposed for tests. */
#ifndef MODELS_MACHINE_CFG_NODE_H
#define MODELS_MACHINE_CFG_NODE_H

#include <stdint.h>

#include "models/machine_cfg.h"

#define MACHINE_PAGE_BYTES 4096u
/* Frame numbers are 32-bit: at most 2^31 pages (8 TiB) in a machine. */
#define MACHINE_MAX_PAGES  ((uint64_t)1 << 31)

/* Reads `nodes` and `distance` of the machine mapping; cfg->sockets and the
 * CPU numbering must already be set. Fills n_nodes, node[], distance and
 * cpu_node. Returns 0, or -1 with *err. */
int machine_cfg_load_nodes(struct cfg_node *machine, struct machine_cfg *cfg,
                           struct cfg_error *err);

/* Kernel default watermark min, in pages, of a node of node_pages in a
 * machine of total_pages (node_pages <= total_pages <= MACHINE_MAX_PAGES). */
uint64_t machine_cfg_wmark_min_default(uint64_t node_pages, uint64_t total_pages);
/* The distance between consecutive watermarks for a node with that min. */
uint64_t machine_cfg_wmark_gap(uint64_t node_pages, uint64_t min_pages);

#endif
