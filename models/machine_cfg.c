/* Loading a machine YAML into struct machine_cfg: the top-level keys, the
 * topology with Linux's CPU numbering, and the one-line summary. NUMA nodes,
 * watermarks and distances are in machine_cfg_node.c; TLB geometry and costs
 * in machine_cfg_cost.c. Every failure is a positioned cfg_error; nothing
 * here exits, aborts or allocates in proportion to a value read. */
#include "models/machine_cfg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models/machine_cfg_cost.h"
#include "models/machine_cfg_node.h"

#define MACHINE_MIN_MHZ      100
#define MACHINE_MAX_MHZ      10000
#define MACHINE_MAX_TICK_HZ  10000   /* CONFIG_HZ is 100..1000; leave headroom */
#define MACHINE_MAX_CORES    1024    /* per socket */
#define MACHINE_MAX_THREADS  8       /* per core */

static const char *const arch_names[] = { "x86", "arm64" };
static const char *const shootdown_names[] = { "ipi", "broadcast_tlbi" };

int machine_cfg_check_keys(struct cfg_node *map, const char *const *known,
                           struct cfg_error *err)
{
    for (size_t i = 0; known[i]; i++)
        cfg_get(map, known[i]);
    return cfg_check_unknown(map, err);
}

uint64_t machine_cfg_cycles_to_ns(uint64_t cycles, uint32_t clock_mhz)
{
    /* ns = cycles * 1000 / MHz; cycles <= 10^12 keeps the product < 2^64. */
    return (cycles * 1000 + clock_mhz / 2) / clock_mhz;
}

uint32_t machine_cfg_cpu_id(const struct machine_cfg *cfg, uint32_t socket, uint32_t core,
                            uint32_t thread)
{
    uint32_t per_thread = cfg->sockets * cfg->cores_per_socket;

    if (cfg->arch == ARCH_ARM64)
        return (socket * cfg->cores_per_socket + core) * cfg->threads_per_core + thread;
    return thread * per_thread + socket * cfg->cores_per_socket + core;
}

static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int load_name(struct cfg_node *m, struct machine_cfg *cfg, struct cfg_error *err)
{
    const char *name;
    char buf[64];
    size_t len;
    bool ok;

    if (cfg_get_str(m, "name", true, &name, err))
        return -1;
    len = strlen(name);
    ok = len >= 1 && len < MACHINE_MAX_NAME;
    for (size_t i = 0; ok && i < len; i++)
        ok = name_char_ok(name[i]);
    if (!ok)
        return cfg_fail(err, cfg_get(m, "name"),
                        "'name' must be 1 to %d characters of [a-z0-9-], got '%s'",
                        MACHINE_MAX_NAME - 1, cfg_excerpt(name, buf, sizeof(buf)));
    memcpy(cfg->name, name, len + 1);
    return 0;
}

static int load_ident(struct cfg_node *m, struct machine_cfg *cfg, struct cfg_error *err)
{
    int arch, mech;

    if (load_name(m, cfg, err) ||
        cfg_get_enum(m, "arch", true, arch_names, 2, &arch, err) ||
        cfg_get_enum(m, "shootdown", true, shootdown_names, 2, &mech, err) ||
        cfg_get_u32(m, "clock_mhz", true, MACHINE_MIN_MHZ, MACHINE_MAX_MHZ,
                    &cfg->clock_mhz, err) ||
        cfg_get_u32(m, "tick_hz", true, 1, MACHINE_MAX_TICK_HZ, &cfg->tick_hz, err) ||
        cfg_get_u32(m, "ipi_cluster_cpus", false, 0, 64, &cfg->ipi_cluster_cpus, err))
        return -1;
    cfg->arch = (enum machine_arch)arch;
    cfg->shootdown = (enum shootdown_mech)mech;
    return 0;
}

/* a * b, or UINT64_MAX when that does not fit. */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    return (a && b > UINT64_MAX / a) ? UINT64_MAX : a * b;
}

static void number_cpus(struct machine_cfg *cfg)
{
    for (uint32_t s = 0; s < cfg->sockets; s++)
        for (uint32_t c = 0; c < cfg->cores_per_socket; c++)
            for (uint32_t t = 0; t < cfg->threads_per_core; t++) {
                uint32_t cpu = machine_cfg_cpu_id(cfg, s, c, t);

                cfg->cpu_socket[cpu] = s;
                cfg->cpu_core[cpu] = c;
                cfg->cpu_thread[cpu] = t;
            }
}

static int load_topology(struct cfg_node *m, struct machine_cfg *cfg, struct cfg_error *err)
{
    static const char *const keys[] = {
        "sockets", "cores_per_socket", "threads_per_core", NULL,
    };
    struct cfg_node *t = cfg_get(m, "topology");
    uint64_t n;

    if (!t)
        return cfg_fail(err, m, "missing key 'topology'");
    if (cfg_expect(t, CFG_MAP, "topology", err) || machine_cfg_check_keys(t, keys, err) ||
        cfg_get_u32(t, "sockets", true, 1, MACHINE_MAX_SOCKETS, &cfg->sockets, err) ||
        cfg_get_u32(t, "cores_per_socket", true, 1, MACHINE_MAX_CORES,
                    &cfg->cores_per_socket, err) ||
        cfg_get_u32(t, "threads_per_core", true, 1, MACHINE_MAX_THREADS,
                    &cfg->threads_per_core, err))
        return -1;
    /* The ranges above bound the product by 2^21, but keep the check safe
     * should they ever grow: nothing is sized from these before this test. */
    n = mul_sat(mul_sat(cfg->sockets, cfg->cores_per_socket), cfg->threads_per_core);
    if (n > MACHINE_MAX_CPUS)
        return cfg_fail(err, t, "too many CPUs: %" PRIu64 " (at most %d)", n,
                        MACHINE_MAX_CPUS);
    /* arm64 parts we model (Cortex, TaiShan) have no SMT. */
    if (cfg->arch == ARCH_ARM64 && cfg->threads_per_core != 1)
        return cfg_fail(err, cfg_get(t, "threads_per_core"),
                        "'threads_per_core' must be 1 on arm64 (no SMT), got %" PRIu32,
                        cfg->threads_per_core);
    cfg->n_cpus = (uint32_t)n;
    number_cpus(cfg);
    return 0;
}

int machine_cfg_load(struct cfg_node *machine, struct machine_cfg *cfg, struct cfg_error *err)
{
    static const char *const keys[] = {
        "name", "arch", "shootdown", "clock_mhz", "tick_hz", "ipi_cluster_cpus", "topology",
        "nodes", "distance", "tlb", "cost", NULL,
    };

    memset(cfg, 0, sizeof(*cfg));
    if (cfg_expect(machine, CFG_MAP, "machine", err) ||
        machine_cfg_check_keys(machine, keys, err) ||
        load_ident(machine, cfg, err) ||
        load_topology(machine, cfg, err) ||
        machine_cfg_load_nodes(machine, cfg, err) ||
        machine_cfg_load_tlb(machine, cfg, err) ||
        machine_cfg_load_costs(machine, cfg, err))
        return -1;
    return 0;
}

uint64_t machine_cfg_total_mem(const struct machine_cfg *cfg)
{
    uint64_t total = 0;

    for (uint32_t i = 0; i < cfg->n_nodes; i++)
        total += cfg->node[i].mem_bytes;
    return total;
}

/* "64 GiB", "1536 MiB", "12 KiB": the largest binary unit that is exact. */
static void format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = { "GiB", "MiB", "KiB" };

    for (int i = 0; i < 3; i++) {
        uint64_t scale = (uint64_t)1 << (30 - 10 * i);

        if (bytes >= scale && bytes % scale == 0) {
            snprintf(buf, len, "%" PRIu64 " %s", bytes / scale, units[i]);
            return;
        }
    }
    snprintf(buf, len, "%" PRIu64 " B", bytes);
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

void machine_cfg_summary(const struct machine_cfg *cfg, char *buf, size_t len)
{
    char mem[32];
    uint32_t with_cpus = 0;

    if (len == 0)
        return;
    for (uint32_t i = 0; i < cfg->n_nodes; i++)
        with_cpus += cfg->node[i].has_cpus;
    format_size(machine_cfg_total_mem(cfg), mem, sizeof(mem));
    snprintf(buf, len,
             "%s: %s, %" PRIu32 " socket%s x %" PRIu32 " core%s x %" PRIu32
             " thread%s = %" PRIu32 " CPU%s, %" PRIu32 " node%s (%" PRIu32
             " with CPUs), %s, shootdown %s",
             cfg->name, arch_names[cfg->arch == ARCH_ARM64],
             cfg->sockets, plural(cfg->sockets),
             cfg->cores_per_socket, plural(cfg->cores_per_socket),
             cfg->threads_per_core, plural(cfg->threads_per_core),
             cfg->n_cpus, plural(cfg->n_cpus), cfg->n_nodes, plural(cfg->n_nodes),
             with_cpus, mem, shootdown_names[cfg->shootdown == SHOOTDOWN_BROADCAST_TLBI]);
}
