/* The scenario's `hazards:` section and the names of hazard classes and
 * removable flushes (hazard.h). */
#include "models/hazard.h"

static const char *const class_names[HC_NR] = {
    [HC_LOST_WRITE] = "lost_write",
    [HC_STALE_READ_FREED] = "stale_read_freed",
    [HC_STALE_READ_REALLOCATED] = "stale_read_reallocated",
    [HC_STALE_WRITE_REALLOCATED] = "stale_write_reallocated",
    [HC_WRITE_AFTER_MPROTECT] = "write_after_mprotect",
    [HC_WRITE_AFTER_MIGRATION_COPY] = "write_after_migration_copy",
};

static const char *const flush_names[RF_NR] = {
    [RF_PAGEOUT_DIRTY] = "pageout_dirty", [RF_BEFORE_FREE] = "before_free",
    [RF_END_OF_PASS] = "end_of_pass",     [RF_BEFORE_COPY] = "before_copy",
    [RF_BATCHED_PENDING] = "batched_pending", [RF_ALLOC] = "alloc",
    [RF_PTE_WRITABLE] = "pte_writable",   [RF_ZAP] = "zap", [RF_MPROTECT] = "mprotect",
};

const char *hazard_class_name(enum hazard_class c)
{
    return c < HC_NR ? class_names[c] : "?";
}

const char *removable_flush_name(enum removable_flush f)
{
    return f < RF_NR ? flush_names[f] : "?";
}

void hazard_cfg_defaults(struct hazard_cfg *out)
{
    *out = (struct hazard_cfg){ .adversarial = false, .witnesses = 3, .remove_flush = -1 };
}

int hazard_cfg_load(struct cfg_node *map, struct hazard_cfg *out, struct cfg_error *err)
{
    hazard_cfg_defaults(out);
    if (!map)
        return 0;
    if (cfg_expect(map, CFG_MAP, "hazards", err) ||
        cfg_get_bool(map, "adversarial", false, &out->adversarial, err) ||
        cfg_get_u32(map, "witnesses", false, 0, 1000, &out->witnesses, err) ||
        cfg_get_enum(map, "remove_flush", false, flush_names, RF_NR, &out->remove_flush, err))
        return -1;
    return cfg_check_unknown(map, err);
}
