/* NUMA nodes of a machine YAML: each node's memory, the sockets whose CPUs it
 * holds ("socket N", a list of socket numbers, or "none" for a CPU-less
 * memory node such as a CXL expander), its watermarks, and the SLIT distance
 * matrix. Every socket belongs to exactly one node, so a node never splits a
 * socket: a part with several NUMA nodes per package (sub-NUMA clustering,
 * Kunpeng 920's two dies) is described with one "socket" per node. All of a
 * node's memory is taken as ZONE_NORMAL (no DMA32, no ZONE_MOVABLE). */
#include "models/machine_cfg_node.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ACPI SLIT: 10 is a node to itself, 255 means unreachable. */
#define SLIT_LOCAL          10
#define SLIT_MIN_REMOTE     11
#define SLIT_MAX_REMOTE     254
/* The kernel's default without a SLIT (REMOTE_DISTANCE, include/linux/topology.h). */
#define SLIT_DEFAULT_REMOTE 20
/* init_per_zone_wmark_min() clamps min_free_kbytes to [128 KiB, 256 MiB]. */
#define MIN_FREE_KB_LOW     128
#define MIN_FREE_KB_HIGH    262144
/* vm.watermark_scale_factor default, in units of 1/10000 of a zone. */
#define WMARK_SCALE_FACTOR  10

struct node_scratch {
    int16_t socket_node[MACHINE_MAX_SOCKETS];   /* -1: on no node yet */
    /* the watermark values the YAML gave (NULL: default), for positions */
    struct cfg_node *wmark[MACHINE_MAX_NODES][3];
};

static const char *const wmark_keys[3] = {
    "wmark_min_pages", "wmark_low_pages", "wmark_high_pages",
};

/* The kernel's int_sqrt(): floor(sqrt(x)), bit by bit. */
static uint64_t isqrt64(uint64_t x)
{
    uint64_t r = 0, bit = (uint64_t)1 << 62;

    while (bit > x)
        bit >>= 2;
    while (bit) {
        if (x >= r + bit) {
            x -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

uint64_t machine_cfg_wmark_min_default(uint64_t node_pages, uint64_t total_pages)
{
    /* mm/page_alloc.c, init_per_zone_wmark_min(): min_free_kbytes =
     * int_sqrt(lowmem_kbytes * 16), clamped to [128, 262144] KiB. Then
     * __setup_per_zone_wmarks() gives each zone pages_min * zone_pages /
     * lowmem_pages, pages_min = min_free_kbytes >> (PAGE_SHIFT - 10).
     * total_pages <= 2^31 keeps every product below 2^48. */
    uint64_t kib = total_pages * (MACHINE_PAGE_BYTES / 1024);
    uint64_t min_kb = isqrt64(kib * 16);

    if (min_kb < MIN_FREE_KB_LOW)
        min_kb = MIN_FREE_KB_LOW;
    if (min_kb > MIN_FREE_KB_HIGH)
        min_kb = MIN_FREE_KB_HIGH;
    if (total_pages == 0)
        return 0;
    return min_kb / (MACHINE_PAGE_BYTES / 1024) * node_pages / total_pages;
}

uint64_t machine_cfg_wmark_gap(uint64_t node_pages, uint64_t min_pages)
{
    /* __setup_per_zone_wmarks(): tmp = max(min >> 2, mult_frac(managed,
     * watermark_scale_factor, 10000)); low = min + tmp; high = low + tmp.
     * On nodes above ~4 GiB the 0.1% scale factor term is the larger one. */
    uint64_t scaled = node_pages * WMARK_SCALE_FACTOR / 10000;

    return scaled > min_pages / 4 ? scaled : min_pages / 4;
}

static int add_socket(struct cfg_node *at, uint32_t nid, uint64_t sock,
                      struct node_scratch *s, struct machine_cfg *cfg, struct cfg_error *err)
{
    if (sock >= cfg->sockets)
        return cfg_fail(err, at, "node %" PRIu32 ": socket %" PRIu64
                        " does not exist (sockets are 0..%" PRIu32 ")",
                        nid, sock, cfg->sockets - 1);
    if (s->socket_node[sock] >= 0)
        return cfg_fail(err, at, "node %" PRIu32 ": socket %" PRIu64
                        " is already on node %d", nid, sock, s->socket_node[sock]);
    s->socket_node[sock] = (int16_t)nid;
    cfg->node[nid].has_cpus = true;
    return 0;
}

/* A socket number as written in a `cpus` list or after "socket ". */
static int parse_socket(struct cfg_node *at, const char *text, uint32_t nid,
                        struct node_scratch *s, struct machine_cfg *cfg, struct cfg_error *err)
{
    char msg[CFG_MSG_MAX];
    uint64_t sock;

    if (cfg_parse_u64(text, &sock, err)) {
        snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
        return cfg_fail(err, at, "node %" PRIu32 ": bad socket number: %s", nid, msg);
    }
    return add_socket(at, nid, sock, s, cfg, err);
}

static int load_cpu_list(struct cfg_node *list, uint32_t nid, struct node_scratch *s,
                         struct machine_cfg *cfg, struct cfg_error *err)
{
    if (list->n == 0)
        return cfg_fail(err, list, "node %" PRIu32 ": empty 'cpus' list "
                        "(write 'cpus: none' for a CPU-less node)", nid);
    for (size_t i = 0; i < list->n; i++) {
        struct cfg_node *item = list->child[i];

        if (item->kind != CFG_SCALAR)
            return cfg_fail(err, item, "node %" PRIu32 ": 'cpus' items must be "
                            "socket numbers", nid);
        if (strcmp(item->value, "none") == 0)
            return cfg_fail(err, item, "node %" PRIu32 ": 'none' cannot be combined "
                            "with sockets: a CPU-less node has no sockets", nid);
        if (parse_socket(item, item->value, nid, s, cfg, err))
            return -1;
    }
    return 0;
}

static int load_cpus(struct cfg_node *item, uint32_t nid, struct node_scratch *s,
                     struct machine_cfg *cfg, struct cfg_error *err)
{
    static const char prefix[] = "socket ";
    struct cfg_node *cpus = cfg_get(item, "cpus");
    char buf[64];

    if (!cpus)
        return cfg_fail(err, item, "missing key 'cpus'");
    if (cpus->kind == CFG_SEQ)
        return load_cpu_list(cpus, nid, s, cfg, err);
    if (cpus->kind == CFG_SCALAR && strcmp(cpus->value, "none") == 0)
        return 0;
    if (cpus->kind == CFG_SCALAR && strncmp(cpus->value, prefix, sizeof(prefix) - 1) == 0)
        return parse_socket(cpus, cpus->value + sizeof(prefix) - 1, nid, s, cfg, err);
    return cfg_fail(err, cpus, "node %" PRIu32 ": 'cpus' must be 'socket N', a list of "
                    "socket numbers, or 'none'; got '%s'", nid,
                    cpus->kind == CFG_SCALAR ? cfg_excerpt(cpus->value, buf, sizeof(buf))
                                             : "a mapping");
}

static int load_node(struct cfg_node *item, uint32_t nid, struct node_scratch *s,
                     struct machine_cfg *cfg, struct cfg_error *err)
{
    static const char *const keys[] = {
        "memory", "cpus", "wmark_min_pages", "wmark_low_pages", "wmark_high_pages", NULL,
    };
    struct node_cfg *n = &cfg->node[nid];
    uint64_t *wm[3] = { &n->wmark_min_pages, &n->wmark_low_pages, &n->wmark_high_pages };

    if (item->kind != CFG_MAP)
        return cfg_fail(err, item, "node %" PRIu32 " must be a mapping "
                        "{memory: ..., cpus: ...}", nid);
    if (machine_cfg_check_keys(item, keys, err) ||
        cfg_get_size_bytes(item, "memory", true, 0, MACHINE_PAGE_BYTES,
                           MACHINE_MAX_PAGES * MACHINE_PAGE_BYTES, &n->mem_bytes, err))
        return -1;
    if (n->mem_bytes % MACHINE_PAGE_BYTES)
        return cfg_fail(err, cfg_get(item, "memory"), "node %" PRIu32 ": 'memory' must "
                        "be a multiple of 4 KiB, got %" PRIu64 " bytes", nid, n->mem_bytes);
    if (load_cpus(item, nid, s, cfg, err))
        return -1;
    for (int w = 0; w < 3; w++) {
        if (cfg_get_u64(item, wmark_keys[w], false, 0, MACHINE_MAX_PAGES, wm[w], err))
            return -1;
        s->wmark[nid][w] = cfg_get(item, wmark_keys[w]);
    }
    return 0;
}

/* Fills the defaults for the watermarks the YAML left out (a given min also
 * moves the default low and high), then checks min < low < high < pages. */
static int set_wmarks(struct cfg_node *item, uint32_t nid, uint64_t total_pages,
                      const struct node_scratch *s, struct machine_cfg *cfg,
                      struct cfg_error *err)
{
    struct node_cfg *n = &cfg->node[nid];
    uint64_t pages = n->mem_bytes / MACHINE_PAGE_BYTES, gap;
    struct cfg_node *const *given = s->wmark[nid];
    struct cfg_node *at;
    int bad;

    if (!given[0])
        n->wmark_min_pages = machine_cfg_wmark_min_default(pages, total_pages);
    gap = machine_cfg_wmark_gap(pages, n->wmark_min_pages);
    if (!given[1])
        n->wmark_low_pages = n->wmark_min_pages + gap;
    if (!given[2])
        n->wmark_high_pages = n->wmark_low_pages + gap;
    /* Point at the upper watermark of the first broken inequality, or at the
     * lower one when only that was written. */
    bad = n->wmark_min_pages >= n->wmark_low_pages ? 1
        : n->wmark_low_pages >= n->wmark_high_pages ? 2
        : n->wmark_high_pages >= pages ? 3 : 0;
    if (!bad)
        return 0;
    at = bad == 3 ? given[2] : given[bad] ? given[bad] : given[bad - 1];
    if (!at)
        at = given[0] ? given[0] : given[1] ? given[1] : given[2];
    return cfg_fail(err, at ? at : item, "node %" PRIu32 ": watermarks must satisfy "
                    "min < low < high < %" PRIu64 " (the node's pages); got min %" PRIu64
                    ", low %" PRIu64 ", high %" PRIu64 "%s", nid, pages, n->wmark_min_pages,
                    n->wmark_low_pages, n->wmark_high_pages,
                    at ? "" : " by default: the node is too small, give wmark_*_pages");
}

static int check_nodes(struct cfg_node *seq, const struct node_scratch *s,
                       struct machine_cfg *cfg, struct cfg_error *err)
{
    uint64_t total = 0;
    bool any_cpus = false;

    for (uint32_t i = 0; i < cfg->n_nodes; i++) {
        total += cfg->node[i].mem_bytes / MACHINE_PAGE_BYTES;
        any_cpus |= cfg->node[i].has_cpus;
    }
    if (total > MACHINE_MAX_PAGES)
        return cfg_fail(err, seq, "total memory is %" PRIu64 " pages, more than %" PRIu64
                        " (8 TiB: frame numbers are 32-bit)", total, MACHINE_MAX_PAGES);
    for (uint32_t sock = 0; sock < cfg->sockets; sock++)
        if (s->socket_node[sock] < 0)
            return cfg_fail(err, seq, "socket %" PRIu32 " is on no node", sock);
    if (!any_cpus)
        return cfg_fail(err, seq, "no node has CPUs");
    for (uint32_t i = 0; i < cfg->n_nodes; i++)
        if (set_wmarks(seq->child[i], i, total, s, cfg, err))
            return -1;
    for (uint32_t cpu = 0; cpu < cfg->n_cpus; cpu++)
        cfg->cpu_node[cpu] = (uint16_t)s->socket_node[cfg->cpu_socket[cpu]];
    return 0;
}

static int load_distance_entry(struct cfg_node *e, size_t i, size_t j,
                               struct machine_cfg *cfg, struct cfg_error *err)
{
    char msg[CFG_MSG_MAX];
    uint64_t v;

    if (e->kind != CFG_SCALAR)
        return cfg_fail(err, e, "distance[%zu][%zu] must be an integer", i, j);
    if (cfg_parse_u64(e->value, &v, err)) {
        snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
        return cfg_fail(err, e, "distance[%zu][%zu]: %s", i, j, msg);
    }
    if (i == j && v != SLIT_LOCAL)
        return cfg_fail(err, e, "distance[%zu][%zu] must be %d (a node to itself), got %"
                        PRIu64, i, j, SLIT_LOCAL, v);
    if (i != j && (v < SLIT_MIN_REMOTE || v > SLIT_MAX_REMOTE))
        return cfg_fail(err, e, "distance[%zu][%zu] must be in [%d, %d], got %" PRIu64,
                        i, j, SLIT_MIN_REMOTE, SLIT_MAX_REMOTE, v);
    cfg->distance[i][j] = (uint8_t)v;
    return 0;
}

static int load_distance(struct cfg_node *machine, struct machine_cfg *cfg,
                         struct cfg_error *err)
{
    struct cfg_node *d = cfg_get(machine, "distance");
    uint32_t n = cfg->n_nodes;

    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++)
            cfg->distance[i][j] = i == j ? SLIT_LOCAL : SLIT_DEFAULT_REMOTE;
    if (!d)
        return 0;
    if (d->kind != CFG_SEQ || d->n != n)
        return cfg_fail(err, d, "'distance' must be a %" PRIu32 " x %" PRIu32
                        " matrix (one row per node), got %zu row%s", n, n,
                        d->kind == CFG_SEQ ? d->n : 0, d->kind == CFG_SEQ && d->n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        struct cfg_node *row = d->child[i];

        if (row->kind != CFG_SEQ || row->n != n)
            return cfg_fail(err, row, "distance row %zu must have %" PRIu32 " entries, got %zu",
                            i, n, row->kind == CFG_SEQ ? row->n : 0);
        for (size_t j = 0; j < n; j++)
            if (load_distance_entry(row->child[j], i, j, cfg, err))
                return -1;
    }
    return 0;
}

int machine_cfg_load_nodes(struct cfg_node *machine, struct machine_cfg *cfg,
                           struct cfg_error *err)
{
    struct cfg_node *seq = cfg_get(machine, "nodes");
    struct node_scratch s;

    memset(&s, 0, sizeof(s));
    memset(s.socket_node, 0xff, sizeof(s.socket_node));     /* all -1 */
    if (!seq)
        return cfg_fail(err, machine, "missing key 'nodes'");
    if (seq->kind != CFG_SEQ || seq->n == 0)
        return cfg_fail(err, seq, "'nodes' must be a non-empty sequence, one entry per "
                        "NUMA node");
    if (seq->n > MACHINE_MAX_NODES)
        return cfg_fail(err, seq, "too many nodes: %zu (at most %d)", seq->n,
                        MACHINE_MAX_NODES);
    cfg->n_nodes = (uint32_t)seq->n;
    for (uint32_t i = 0; i < cfg->n_nodes; i++)
        if (load_node(seq->child[i], i, &s, cfg, err))
            return -1;
    if (check_nodes(seq, &s, cfg, err))
        return -1;
    return load_distance(machine, cfg, err);
}
