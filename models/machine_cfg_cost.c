/* TLB geometry and hardware/kernel costs of a machine YAML. The cost table is
 * driven by one list of key names, each mapped to its field of struct
 * machine_costs, so a field added there needs one line here. Every cost is
 * required: a machine file states each number and where it came from. */
#include "models/machine_cfg_cost.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#define TLB_MAX_ENTRIES  ((uint32_t)1 << 20)
#define ASID_MAX_SLOTS   65536u              /* arm64 16-bit ASIDs */
#define FLUSH_CEILING_MAX 1048576u           /* pages; the kernel's is 33 */
#define COST_KEY_MAX     64

struct cost_key {
    const char *name;     /* YAML key without its _ns / _cycles suffix */
    size_t off;           /* of a uint64_t in struct machine_costs */
};

#define COST(f) { #f, offsetof(struct machine_costs, f##_ns) }
static const struct cost_key cost_keys[] = {
    COST(ipi_send), COST(ipi_deliver_smt), COST(ipi_deliver_same_socket),
    COST(ipi_deliver_remote_socket), COST(irq_entry_exit), COST(ack_same_socket),
    COST(ack_remote_socket), COST(invlpg), COST(full_flush), COST(page_walk),
    COST(page_walk_remote_extra), COST(tlbi_issue), COST(dsb_base), COST(dsb_per_cpu),
    COST(dsb_per_pending_tlbi), COST(dsb_per_concurrent), COST(page_fault),
    COST(page_zero), COST(page_copy), COST(page_copy_remote_extra), COST(reclaim_scan),
    COST(rmap_unmap), COST(page_free), COST(page_alloc), COST(swap_write),
    COST(swap_read), COST(file_read), COST(file_write), COST(context_switch),
    COST(lru_move), COST(pagecache_insert),
};
#undef COST
#define N_COST_KEYS (sizeof(cost_keys) / sizeof(cost_keys[0]))

static int load_tlb_level(struct cfg_node *tlb, const char *key, struct tlb_level_cfg *lv,
                          struct cfg_error *err)
{
    static const char *const keys[] = { "entries", "ways", NULL };
    struct cfg_node *m = cfg_get(tlb, key);
    uint32_t sets;

    if (!m)
        return cfg_fail(err, tlb, "missing key '%s'", key);
    if (m->kind != CFG_MAP)
        return cfg_fail(err, m, "'tlb.%s' must be a mapping {entries: N, ways: W}", key);
    if (machine_cfg_check_keys(m, keys, err) ||
        cfg_get_u32(m, "entries", true, 1, TLB_MAX_ENTRIES, &lv->entries, err) ||
        cfg_get_u32(m, "ways", true, 1, TLB_MAX_ENTRIES, &lv->ways, err))
        return -1;
    if (lv->entries % lv->ways)
        return cfg_fail(err, cfg_get(m, "ways"), "tlb.%s: 'ways' (%" PRIu32 ") must divide "
                        "'entries' (%" PRIu32 ")", key, lv->ways, lv->entries);
    /* The set index is a bit field of the page number. */
    sets = lv->entries / lv->ways;
    if (sets & (sets - 1))
        return cfg_fail(err, cfg_get(m, "entries"), "tlb.%s: %" PRIu32 " entries / %" PRIu32
                        " ways = %" PRIu32 " sets, not a power of two", key, lv->entries,
                        lv->ways, sets);
    return 0;
}

int machine_cfg_load_tlb(struct cfg_node *machine, struct machine_cfg *cfg,
                         struct cfg_error *err)
{
    static const char *const keys[] = { "l1d", "l1i", "l2", "asid_slots", NULL };
    struct cfg_node *tlb = cfg_get(machine, "tlb");

    if (!tlb)
        return cfg_fail(err, machine, "missing key 'tlb'");
    if (cfg_expect(tlb, CFG_MAP, "tlb", err) || machine_cfg_check_keys(tlb, keys, err) ||
        load_tlb_level(tlb, "l1d", &cfg->l1d, err) ||
        load_tlb_level(tlb, "l1i", &cfg->l1i, err) ||
        load_tlb_level(tlb, "l2", &cfg->l2, err))
        return -1;
    return cfg_get_u32(tlb, "asid_slots", true, 1, ASID_MAX_SLOTS, &cfg->asid_slots, err);
}

static void cost_key_names(const char *base, char *ns, char *cycles)
{
    snprintf(ns, COST_KEY_MAX, "%s_ns", base);
    snprintf(cycles, COST_KEY_MAX, "%s_cycles", base);
}

/* Marks every accepted key, then rejects the rest: a misspelt cost key is
 * reported where it is written, not as the key it failed to be. */
static int check_cost_keys(struct cfg_node *c, struct cfg_error *err)
{
    char ns[COST_KEY_MAX], cycles[COST_KEY_MAX];

    for (size_t i = 0; i < N_COST_KEYS; i++) {
        cost_key_names(cost_keys[i].name, ns, cycles);
        cfg_get(c, ns);
        cfg_get(c, cycles);
    }
    cfg_get(c, "flush_ceiling_pages");
    return cfg_check_unknown(c, err);
}

static int load_cost(struct cfg_node *c, const struct cost_key *k, uint32_t clock_mhz,
                     uint64_t *out, struct cfg_error *err)
{
    char ns[COST_KEY_MAX], cycles[COST_KEY_MAX];
    size_t i_ns, i_cyc;
    bool has_ns, has_cyc;
    uint64_t n;

    cost_key_names(k->name, ns, cycles);
    has_ns = cfg_map_find(c, ns, &i_ns);
    has_cyc = cfg_map_find(c, cycles, &i_cyc);
    if (has_ns && has_cyc)
        return cfg_fail_key(err, c, i_ns > i_cyc ? i_ns : i_cyc,
                            "give '%s' or '%s', not both", ns, cycles);
    if (!has_ns && !has_cyc)
        return cfg_fail(err, c, "missing key '%s' (or '%s')", ns, cycles);
    if (has_ns)
        return cfg_get_time_ns(c, ns, true, 1, 0, MACHINE_MAX_COST_NS, out, err);
    if (cfg_get_u64(c, cycles, true, 0, MACHINE_MAX_COST_CYCLES, &n, err))
        return -1;
    *out = machine_cfg_cycles_to_ns(n, clock_mhz);
    if (*out > MACHINE_MAX_COST_NS)
        return cfg_fail(err, c->child[i_cyc], "'%s' is %" PRIu64 " ns at %" PRIu32
                        " MHz, more than %llu ns", cycles, *out, clock_mhz,
                        MACHINE_MAX_COST_NS);
    return 0;
}

int machine_cfg_load_costs(struct cfg_node *machine, struct machine_cfg *cfg,
                           struct cfg_error *err)
{
    struct cfg_node *c = cfg_get(machine, "cost");
    char *base = (char *)&cfg->cost;

    if (!c)
        return cfg_fail(err, machine, "missing key 'cost'");
    if (cfg_expect(c, CFG_MAP, "cost", err) || check_cost_keys(c, err))
        return -1;
    for (size_t i = 0; i < N_COST_KEYS; i++) {
        uint64_t *field = (uint64_t *)(void *)(base + cost_keys[i].off);

        if (load_cost(c, &cost_keys[i], cfg->clock_mhz, field, err))
            return -1;
    }
    return cfg_get_u32(c, "flush_ceiling_pages", true, 1, FLUSH_CEILING_MAX,
                       &cfg->cost.flush_ceiling_pages, err);
}
