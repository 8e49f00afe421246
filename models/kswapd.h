/* kswapd: one kernel thread per NUMA node. It sleeps until an allocation
 * finds the node below its low watermark, then reclaims until the node is
 * balanced: above its high watermark, or its promo watermark in NUMA tiering
 * mode. Bound to a CPU of its node (for a CPU-less node, to the first CPU of
 * the nearest node with CPUs). */
#ifndef MODELS_KSWAPD_H
#define MODELS_KSWAPD_H

#include <stdbool.h>

struct machine;

void kswapd_create(struct machine *m);
/* pgdat_balanced(): free pages at or above high (WMARK_PROMO with
 * kernel.numa_tiering, v5.18+). */
bool kswapd_node_balanced(const struct machine *m, unsigned node);

#endif
