/* kswapd threads: see kswapd.h. */
#include "models/kswapd.h"

#include <stdio.h>

#include "models/machine.h"
#include "models/reclaim.h"

static void kswapd_run(struct task *t);

bool kswapd_node_balanced(const struct machine *m, unsigned node)
{
    enum wmark mark = m->kcfg.numa_tiering ? WMARK_PROMO : WMARK_HIGH;

    return mem_node_free(m->mem, node) >= mem_wmark(m->mem, node, mark);
}

static void kswapd_balanced(struct task *t)
{
    t->run = kswapd_run;
    cpu_sleep(t);
}

static void kswapd_run(struct task *t)
{
    struct machine *m = t->m;
    unsigned node = (unsigned)(uintptr_t)t->owner;

    if (kswapd_node_balanced(m, node)) {
        cpu_sleep(t);
        return;
    }
    reclaim_start(t, node, true, UINT32_MAX, kswapd_balanced);
}

static unsigned kswapd_cpu(const struct machine *m, unsigned node)
{
    const uint16_t *zl = &m->zonelist[node * m->cfg->n_nodes];

    for (unsigned i = 0; i < m->cfg->n_nodes; i++)
        for (unsigned c = 0; c < m->n_cpus; c++)
            if (m->cfg->cpu_node[c] == zl[i])
                return c;
    return 0;
}

void kswapd_create(struct machine *m)
{
    for (unsigned node = 0; node < m->cfg->n_nodes; node++) {
        char name[32];
        struct task *t;

        snprintf(name, sizeof(name), "kswapd%u", node);
        t = machine_new_task(m, TASK_KSWAPD, kswapd_cpu(m, node), NULL, name);
        t->owner = (void *)(uintptr_t)node;
        t->run = kswapd_run;
        t->state = TASK_SLEEPING;
        m->kswapd[node] = t;
    }
}
