/* kswapd: one kernel thread per NUMA node. It sleeps until an allocation
 * finds the node below its low watermark, then reclaims until the node is
 * above its high watermark. Bound to a CPU of its node (for a CPU-less node,
 * to the first CPU of the nearest node with CPUs). */
#ifndef MODELS_KSWAPD_H
#define MODELS_KSWAPD_H

struct machine;

void kswapd_create(struct machine *m);

#endif
