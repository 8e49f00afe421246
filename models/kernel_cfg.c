/* Kernel tunables: defaults and the `kernel:` mapping of a scenario. */
#include "models/kernel_cfg.h"

#include <stdio.h>
#include <string.h>

/* Behaviour by version: tlb_gen by Andy Lutomirski (v4.13), PCID use
 * (v4.14), lazy CPUs skipped by shootdowns unless tables were freed by Rik
 * van Riel (v4.19/4.20), mm_cpumask kept after switching away (v6.14,
 * 209954cbc7d0). See policy-semantics.md §1 (vii). */
static void apply_version(struct kernel_cfg *k)
{
    uint32_t v = k->version_major * 100 + k->version_minor;

    k->tlb_gen = v >= 413;
    k->pcid = v >= 414;
    k->skip_lazy_ipi = v >= 419;
    k->lazy_cpumask = v >= 614;
    /* PAGEVEC_SIZE was 14 until v4.? raised it to 15; folio_batch of 31
     * since v6.2 (lru_add through folio_batch). */
    k->lru_add_batch = v >= 602 ? 31 : 15;
    /* shrink_folio_list frees in folio_batch chunks of 31, each after a
     * try_to_unmap_flush, since about v6.10; before, once at the end. */
    k->free_batch = v >= 610 ? 31 : 0;
}

void kernel_cfg_defaults(struct kernel_cfg *k)
{
    memset(k, 0, sizeof(*k));
    k->version_major = 6;
    k->version_minor = 14;
    apply_version(k);
    k->swap_cluster_max = 32;       /* SWAP_CLUSTER_MAX, include/linux/swap.h */
    k->pcp_batch = 63;              /* zone_batchsize() for a large zone */
    k->pcp_high = 6 * 63;           /* pcp->high ~ 6 batches (older fixed ratio) */
    k->fault_around_pages = 16;     /* fault_around_bytes = 64 KiB */
    k->readahead_pages = 32;        /* VM_READAHEAD_PAGES = 128 KiB */
    k->sched_slice_ns = 3000000;    /* CFS: 6 ms latency shared by two tasks */
    k->swap = true;
    k->numa_scan_period_ns = 1000000000;    /* sysctl_numa_balancing_scan_period_min 1 s */
    k->numa_scan_pages = 65536;             /* numa_balancing_scan_size_mb = 256 MiB */
    k->numa_hot_threshold_ns = 1000000000;  /* sysctl_numa_balancing_hot_threshold = 1 s */
}

static int parse_version(struct cfg_node *map, struct kernel_cfg *k, struct cfg_error *err)
{
    const char *s = NULL;
    unsigned maj, min;
    char tail;
    struct cfg_node *node = cfg_get(map, "version");

    if (cfg_get_str(map, "version", false, &s, err))
        return -1;
    if (!s)
        return 0;
    /* short and digits-and-dot only, so %u cannot overflow */
    if (strlen(s) > 5 || strspn(s, "0123456789.") != strlen(s) ||
        sscanf(s, "%u.%u%c", &maj, &min, &tail) != 2 || maj < 2 || maj > 9 || min > 99)
        return cfg_fail(err, node, "'version' must look like \"6.14\", got '%s'", s);
    k->version_major = maj;
    k->version_minor = min;
    apply_version(k);
    return 0;
}

int kernel_cfg_load(struct cfg_node *map, struct kernel_cfg *k, struct cfg_error *err)
{
    if (!map)
        return 0;
    if (cfg_expect(map, CFG_MAP, "kernel", err) || parse_version(map, k, err))
        return -1;
    if (cfg_get_bool(map, "tlb_gen", false, &k->tlb_gen, err) ||
        cfg_get_bool(map, "pcid", false, &k->pcid, err) ||
        cfg_get_bool(map, "skip_lazy_ipi", false, &k->skip_lazy_ipi, err) ||
        cfg_get_bool(map, "lazy_cpumask", false, &k->lazy_cpumask, err) ||
        cfg_get_u32(map, "swap_cluster_max", false, 1, 512, &k->swap_cluster_max, err) ||
        cfg_get_u32(map, "free_batch", false, 0, 512, &k->free_batch, err) ||
        cfg_get_u32(map, "lru_add_batch", false, 1, 512, &k->lru_add_batch, err) ||
        cfg_get_u32(map, "pcp_batch", false, 1, 4096, &k->pcp_batch, err) ||
        cfg_get_u32(map, "pcp_high", false, 1, 65536, &k->pcp_high, err) ||
        cfg_get_u32(map, "fault_around_pages", false, 1, 512, &k->fault_around_pages, err) ||
        cfg_get_u32(map, "readahead_pages", false, 1, 4096, &k->readahead_pages, err) ||
        cfg_get_time_ns(map, "sched_slice_ns", false, 1, 10000, 1000000000, &k->sched_slice_ns, err) ||
        cfg_get_bool(map, "swap", false, &k->swap, err) ||
        cfg_get_bool(map, "demotion", false, &k->demotion, err) ||
        cfg_get_bool(map, "numa_tiering", false, &k->numa_tiering, err) ||
        cfg_get_time_ns(map, "numa_scan_period_ms", false, 1000000, 100000, 3600000000000ull,
                        &k->numa_scan_period_ns, err) ||
        cfg_get_u32(map, "numa_scan_pages", false, 1, 1u << 24, &k->numa_scan_pages, err) ||
        cfg_get_time_ns(map, "numa_hot_threshold_ms", false, 1000000, 100000, 3600000000000ull,
                        &k->numa_hot_threshold_ns, err))
        return -1;
    if (k->fault_around_pages & (k->fault_around_pages - 1))
        return cfg_fail(err, cfg_get(map, "fault_around_pages"),
                        "'fault_around_pages' must be a power of two, got %u", k->fault_around_pages);
    return cfg_check_unknown(map, err);
}
