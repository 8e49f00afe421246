/* Parsing and checking the `workloads:` of a scenario (see workload.h). */
#include "models/workload.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "models/machine_cfg.h"
#include "models/mm.h"

#define WL_MAX_PROCESSES 65000     /* mm ids double as 16-bit arm64 ASIDs */
#define WL_MAX_MAP_PAGES (1ull << 34)   /* 64 TiB per process, all mappings: vpns stay in 36 bits */
#define WL_MAX_FILE_PAGES (1ull << 32)  /* 16 TiB per file: page indices are 32-bit (frame.index) */
#define WL_MAX_THREADS (1u << 20)       /* in all; each task costs ~650 bytes of simulator state */

static const char *const type_names[WL_NR] = { "app", "madv_pageout", "madv_dontneed", "munmap",
                                                "mprotect", "migrate" };
#define N_TYPES WL_NR
static const char *const type_what[WL_NR] = {
    /* parenthesized: one string over two lines (clang -Wstring-concatenation) */
    [WL_APP] = ("processes whose threads access their mappings in a pattern\n"
                "(sequential, uniform, zipf, hotcold), through the TLB"),
    [WL_MADV_PAGEOUT] = "an app that calls madvise(MADV_PAGEOUT) on each window it touched",
    [WL_MADV_DONTNEED] = "... madvise(MADV_DONTNEED) on each window (zap, mmu_gather)",
    [WL_MUNMAP] = "... munmap() of each window, mapped again for the next pass",
    [WL_MPROTECT] = "... mprotect() that write-protects each window (stores fault it back)",
    [WL_MIGRATE] = "... migrate_pages() of each window to the next node",
};

const char *workload_type_name(enum workload_type type)
{
    return type < WL_NR ? type_names[type] : "?";
}

const char *workload_type_what(enum workload_type type)
{
    return type < WL_NR ? type_what[type] : "?";
}
static const char *const pattern_names[] = { "sequential", "uniform", "zipf", "hotcold" };
static const char *const kind_names[] = { "anon", "file" };

/* A decimal number of at most 9 digits at *p (no sign, no overflow: every
 * CPU, socket and node id is far below 1e9); advances *p. */
static bool take_uint(const char **p, unsigned *out)
{
    unsigned v = 0, digits = 0;

    while (**p >= '0' && **p <= '9' && digits < 10) {
        v = v * 10 + (unsigned)(**p - '0');
        (*p)++;
        digits++;
    }
    *out = v;
    return digits > 0 && digits <= 9;
}

/* "all", "socket N", "node N", "A-B" or "N". */
static int cpus_from_text(const char *s, const struct machine_cfg *mc, GArray *out)
{
    bool sock = strncmp(s, "socket ", 7) == 0, node = strncmp(s, "node ", 5) == 0;
    const char *p = s + (sock ? 7 : node ? 5 : 0);
    unsigned a, b;

    if (strcmp(s, "all") == 0) {
        for (uint32_t c = 0; c < mc->n_cpus; c++)
            g_array_append_val(out, c);
        return 0;
    }
    if (!take_uint(&p, &a))
        return -1;
    if (sock || node) {
        if (*p)
            return -1;
        for (uint32_t c = 0; c < mc->n_cpus; c++)
            if (sock ? mc->cpu_socket[c] == a : mc->cpu_node[c] == a)
                g_array_append_val(out, c);
        return out->len ? 0 : -1;
    }
    b = a;
    if (*p == '-') {
        p++;
        if (!take_uint(&p, &b))
            return -1;
    }
    if (*p || a > b || b >= mc->n_cpus)
        return -1;
    for (uint32_t c = a; c <= b; c++)
        g_array_append_val(out, c);
    return 0;
}

static int parse_cpus(struct cfg_node *map, const struct machine_cfg *mc, struct workload_cfg *w,
                      struct cfg_error *err)
{
    struct cfg_node *n = cfg_get(map, "cpus");
    GArray *cpus = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    int rc = 0;

    if (!n) {
        rc = cpus_from_text("all", mc, cpus);
    } else if (n->kind == CFG_SCALAR) {
        if (cpus_from_text(n->value, mc, cpus))
            rc = cfg_fail(err, n, "'cpus' must be \"all\", \"socket N\", \"node N\", \"A-B\" or "
                          "a CPU below %u, got '%s'", mc->n_cpus, n->value);
    } else if (n->kind == CFG_SEQ && n->n) {
        for (size_t i = 0; i < n->n && !rc; i++) {
            struct cfg_node *it = n->child[i];

            if (it->kind != CFG_SCALAR || cpus_from_text(it->value, mc, cpus))
                rc = cfg_fail(err, it, "'cpus' items must be CPU numbers below %u", mc->n_cpus);
        }
    } else {
        rc = cfg_fail(err, n, "'cpus' must be a string or a non-empty list of CPUs");
    }
    w->n_cpus = cpus->len;
    w->cpus = (uint32_t *)(void *)g_array_free(cpus, FALSE);
    return rc;
}

static int parse_prot(struct cfg_node *map, uint8_t *prot, struct cfg_error *err)
{
    const char *s = "rw";
    struct cfg_node *n = cfg_get(map, "prot");

    if (cfg_get_str(map, "prot", false, &s, err))
        return -1;
    *prot = 0;
    for (const char *p = s; *p; p++) {
        uint8_t bit = *p == 'r' ? VMA_READ : *p == 'w' ? VMA_WRITE : *p == 'x' ? VMA_EXEC : 0;

        if (!bit || (*prot & bit))
            return cfg_fail(err, n, "'prot' must combine r, w and x once each, got '%s'", s);
        *prot |= bit;
    }
    if (!(*prot & VMA_READ))
        return cfg_fail(err, n, "'prot' must include r, got '%s'", s);
    return 0;
}

static int parse_mapping(struct cfg_node *n, struct mapping_cfg *mp, struct cfg_error *err)
{
    int kind = 0;
    uint64_t bytes = 0;

    if (n->kind != CFG_MAP)
        return cfg_fail(err, n, "each item of 'mappings' must be a mapping (kind, size, ...)");
    if (cfg_get_enum(n, "kind", true, kind_names, 2, &kind, err) ||
        cfg_get_size_bytes(n, "size", true, 0, 4096, WL_MAX_MAP_PAGES * 4096, &bytes, err) ||
        cfg_get_bool(n, "shared", false, &mp->is_shared, err) ||
        cfg_get_bool(n, "sparse", false, &mp->sparse, err) ||
        cfg_get_bool(n, "populate", false, &mp->populate, err) || parse_prot(n, &mp->prot, err))
        return -1;
    if (bytes % 4096)
        return cfg_fail(err, cfg_get(n, "size"),
                        "'size' must be a multiple of 4 KiB, got %llu bytes",
                        (unsigned long long)bytes);
    mp->is_file = kind == 1;
    mp->size_pages = bytes / 4096;
    if (mp->is_file && mp->size_pages > WL_MAX_FILE_PAGES)
        return cfg_fail(err, cfg_get(n, "size"),
                        "'size' of a file mapping must be at most 16 TiB (32-bit page cache "
                        "indices), got %llu bytes", (unsigned long long)bytes);
    if (!mp->is_file && cfg_get(n, "sparse"))
        return cfg_fail(err, cfg_get(n, "sparse"), "'sparse' applies to file mappings only");
    return cfg_check_unknown(n, err);
}

static int parse_mappings(struct cfg_node *map, struct workload_cfg *w, struct cfg_error *err)
{
    struct cfg_node *seq = cfg_get(map, "mappings");
    uint64_t total = 0;

    if (!seq)
        return cfg_fail(err, map, "missing key 'mappings'");
    if (seq->kind != CFG_SEQ || !seq->n || seq->n > 64)
        return cfg_fail(err, seq, "'mappings' must be a list of 1 to 64 mappings");
    w->maps = g_new0(struct mapping_cfg, seq->n);
    w->n_maps = (uint32_t)seq->n;
    for (size_t i = 0; i < seq->n; i++) {
        if (parse_mapping(seq->child[i], &w->maps[i], err))
            return -1;
        total += w->maps[i].size_pages;    /* each at most 2^34: no overflow */
    }
    if (total > WL_MAX_MAP_PAGES)
        return cfg_fail(err, seq, "the mappings of a workload must total at most 64 TiB "
                        "(36-bit virtual page numbers), got %llu bytes",
                        (unsigned long long)total * 4096);
    return 0;
}

static int parse_pattern(struct cfg_node *map, struct app_pattern *p, struct cfg_error *err)
{
    int kind = PAT_SEQUENTIAL;

    p->zipf_exponent = 0.99;
    p->hot_fraction = 0.1;
    p->hot_access_fraction = 0.9;
    p->access_ns = 10;
    p->quantum_ns = 20 * SIM_US;
    if (cfg_get_enum(map, "pattern", false, pattern_names, 4, &kind, err) ||
        cfg_get_double(map, "zipf_exponent", false, 0.01, 10, &p->zipf_exponent, err) ||
        cfg_get_double(map, "hot_fraction", false, 0, 1, &p->hot_fraction, err) ||
        cfg_get_double(map, "hot_access_fraction", false, 0, 1, &p->hot_access_fraction, err) ||
        cfg_get_double(map, "write_fraction", false, 0, 1, &p->write_fraction, err) ||
        cfg_get_double(map, "ifetch_fraction", false, 0, 1, &p->ifetch_fraction, err) ||
        cfg_get_u64(map, "text_pages", false, 0, 1u << 20, &p->text_pages, err) ||
        cfg_get_time_ns(map, "access_ns", false, 1, 1, 1000000, &p->access_ns, err) ||
        cfg_get_time_ns(map, "quantum_ns", false, 1, 100, 10000000, &p->quantum_ns, err))
        return -1;
    p->kind = (enum app_pattern_kind)kind;
    if (p->ifetch_fraction > 0 && !p->text_pages)
        p->text_pages = 16;
    return 0;
}

static int parse_one(struct cfg_node *map, const struct machine_cfg *mc, struct workload_cfg *w,
                     size_t index, struct cfg_error *err)
{
    int type = 0;
    const char *name = NULL;

    if (map->kind != CFG_MAP)
        return cfg_fail(err, map,
                        "each item of 'workloads' must be a mapping (type, mappings, ...)");
    if (cfg_get_enum(map, "type", true, type_names, N_TYPES, &type, err) ||
        cfg_get_str(map, "name", false, &name, err))
        return -1;
    w->type = (enum workload_type)type;
    snprintf(w->name, sizeof(w->name), "%s", name ? name : type_names[type]);
    if (!name)
        snprintf(w->name, sizeof(w->name), "%s%zu", type_names[type], index);
    w->processes = w->threads_per_process = 1;
    if (cfg_get_u32(map, "processes", false, 1, WL_MAX_PROCESSES, &w->processes, err) ||
        cfg_get_u32(map, "threads_per_process", false, 1, 4096, &w->threads_per_process, err) ||
        parse_cpus(map, mc, w, err) || parse_mappings(map, w, err) ||
        parse_pattern(map, &w->pattern, err))
        return -1;
    for (uint32_t i = 0; i < w->n_maps; i++)
        if (w->pattern.write_fraction > 0 && !(w->maps[i].prot & VMA_WRITE))
            return cfg_fail(err, cfg_get(map, "write_fraction"),
                            "'write_fraction' is %g but mapping %u is read-only (prot without w)",
                            w->pattern.write_fraction, i);
    if (w->type != WL_APP &&
        cfg_get_u64(map, "window_pages", false, 1, WL_MAX_MAP_PAGES, &w->window_pages, err))
        return -1;
    if (w->type != WL_APP &&
        (w->n_maps != 1 || w->pattern.kind != PAT_SEQUENTIAL ||
         (w->window_pages && w->maps[0].size_pages % w->window_pages)))
        return cfg_fail(err, map, "a %s workload needs one mapping, the sequential pattern, "
                        "and window_pages dividing the mapping's pages", type_names[w->type]);
    if (w->type == WL_APP && cfg_get(map, "window_pages"))
        return cfg_fail(err, cfg_get(map, "window_pages"),
                        "'window_pages' applies to syscall-loop workloads only");
    return cfg_check_unknown(map, err);
}

int workload_parse(struct cfg_node *seq, const struct machine_cfg *mc,
                   struct workload_cfg **out, uint32_t *n_out, struct cfg_error *err)
{
    struct workload_cfg *w;
    uint64_t total_procs = 0, total_threads = 0;

    *out = NULL;
    *n_out = 0;
    if (!seq || seq->kind != CFG_SEQ || !seq->n || seq->n > 256)
        return cfg_fail(err, seq, "'workloads' must be a list of 1 to 256 workloads");
    w = g_new0(struct workload_cfg, seq->n);
    *out = w;
    *n_out = (uint32_t)seq->n;
    for (size_t i = 0; i < seq->n; i++) {
        if (parse_one(seq->child[i], mc, &w[i], i, err))
            return -1;
        total_procs += w[i].processes;
        if (total_procs > WL_MAX_PROCESSES)
            return cfg_fail(err, seq->child[i], "more than %u processes in all",
                            WL_MAX_PROCESSES);
        total_threads += (uint64_t)w[i].processes * w[i].threads_per_process;
        if (total_threads > WL_MAX_THREADS)
            return cfg_fail(err, seq->child[i], "more than %u threads in all "
                            "(processes x threads_per_process)", WL_MAX_THREADS);
    }
    return 0;
}

void workload_cfg_free(struct workload_cfg *w, uint32_t n)
{
    for (uint32_t i = 0; w && i < n; i++) {
        g_free(w[i].cpus);
        g_free(w[i].maps);
        g_free(w[i].pattern.regions);
    }
    g_free(w);
}

void workload_summary(const struct workload_cfg *w, uint32_t n, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "%u workload%s", n, n == 1 ? "" : "s");

    for (uint32_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s %s (%s, %u x %u threads)",
                                 i ? "," : ":", w[i].name, type_names[w[i].type],
                                 w[i].processes, w[i].threads_per_process);
}
