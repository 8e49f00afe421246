/* Tests for the machine loader: every shipped machine file (configs/machines) loads
 * with the topology its file documents, Linux CPU numbering, the kernel's
 * default watermarks, cycle conversion, the summary line, and in-memory error
 * cases (the file corpus of bad machines is test_bad_machines.c). Run from the
 * repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>

#include "models/machine_cfg.h"
#include "models/machine_cfg_node.h"
#include "sim/cfg.h"

#define MACHINE_DIR "configs/machines"

/* The shipped files are a contract: names and shapes as their headers say. */
struct shipped {
    const char *file;
    enum machine_arch arch;
    uint32_t sockets, n_cpus, n_nodes, nodes_with_cpus;
};

static const struct shipped shipped[] = {
    { "arm64-kunpeng920-96c.yaml", ARCH_ARM64, 2, 96, 2, 2 },
    { "arm64-sd888-8c.yaml", ARCH_ARM64, 1, 8, 1, 1 },
    { "x86-16s-1024c-stress.yaml", ARCH_X86, 16, 1024, 16, 16 },
    { "x86-1s-8c.yaml", ARCH_X86, 1, 8, 1, 1 },
    { "x86-2s-16c-e5-2630v3.yaml", ARCH_X86, 2, 32, 2, 2 },
    { "x86-4s-48c.yaml", ARCH_X86, 4, 48, 4, 4 },
    { "x86-8s-120c-e7-8870v2.yaml", ARCH_X86, 8, 120, 8, 8 },
    { "x86-desktop-6c.yaml", ARCH_X86, 1, 6, 1, 1 },
    { "x86-gold6430-cxl.yaml", ARCH_X86, 1, 64, 2, 1 },
};
#define N_SHIPPED (sizeof(shipped) / sizeof(shipped[0]))

/* A small valid machine for the in-memory cases: 2 sockets x 2 cores x 2
 * threads, 2 nodes, invlpg given in cycles at 2000 MHz. */
static const char base_yaml[] =
    "name: test-2s\n"
    "arch: x86\n"
    "shootdown: ipi\n"
    "clock_mhz: 2000\n"
    "tick_hz: 250\n"
    "topology: {sockets: 2, cores_per_socket: 2, threads_per_core: 2}\n"
    "nodes:\n"
    "  - {memory: 1GiB, cpus: socket 0}\n"
    "  - {memory: 1GiB, cpus: [1]}\n"
    "distance: [[10, 21], [21, 10]]\n"
    "tlb:\n"
    "  l1d: {entries: 64, ways: 4}\n"
    "  l1i: {entries: 128, ways: 8}\n"
    "  l2: {entries: 1536, ways: 12}\n"
    "  asid_slots: 6\n"
    "cost:\n"
    "  ipi_send_ns: 100\n  ipi_deliver_smt_ns: 250\n  ipi_deliver_same_socket_ns: 300\n"
    "  ipi_deliver_remote_socket_ns: 500\n  irq_entry_exit_ns: 1.5us\n"
    "  ack_same_socket_ns: 50\n  ack_remote_socket_ns: 150\n  invlpg_cycles: 250\n"
    "  full_flush_ns: 90\n  flush_ceiling_pages: 33\n  page_walk_ns: 17\n"
    "  page_walk_remote_extra_ns: 6\n  tlbi_issue_ns: 0\n  dsb_base_ns: 0\n"
    "  dsb_per_cpu_ns: 0\n  dsb_per_pending_tlbi_ns: 0\n  dsb_per_concurrent_ns: 0\n"
    "  page_fault_ns: 700\n  page_zero_ns: 400\n  page_copy_ns: 800\n"
    "  page_copy_remote_extra_ns: 400\n  reclaim_scan_ns: 400\n  rmap_unmap_ns: 300\n"
    "  page_free_ns: 100\n  page_alloc_ns: 100\n  swap_write_ns: 20us\n"
    "  swap_read_ns: 80us\n  file_read_ns: 1000\n  file_write_ns: 20000\n"
    "  context_switch_ns: 1500\n"
    "  lru_move_ns: 60\n  pagecache_insert_ns: 500\n";

static struct machine_cfg *new_cfg(void)
{
    return g_new0(struct machine_cfg, 1);
}

static int load_file(const char *path, struct machine_cfg *cfg, struct cfg_error *err)
{
    struct cfg_node *root = NULL;
    int rc = cfg_load_file(path, &root, err);

    if (rc == 0)
        rc = machine_cfg_load(root, cfg, err);
    cfg_free(root);
    return rc;
}

/* Loads base_yaml with the given --set assignments (NULL-terminated). */
static int load_base(const char *const *sets, struct machine_cfg *cfg, struct cfg_error *err)
{
    struct cfg_node *root = NULL;
    int rc = cfg_load_string("base.yaml", base_yaml, &root, err);

    for (size_t i = 0; rc == 0 && sets && sets[i]; i++)
        rc = cfg_set_override(root, sets[i], err);
    if (rc == 0)
        rc = machine_cfg_load(root, cfg, err);
    cfg_free(root);
    return rc;
}

static void fail_with_error(const char *what, const struct cfg_error *err)
{
    print_error("%s: ", what);
    cfg_error_print(err, stderr);
    fail();
}

static const struct shipped *find_shipped(const char *name)
{
    for (size_t i = 0; i < N_SHIPPED; i++)
        if (strcmp(shipped[i].file, name) == 0)
            return &shipped[i];
    return NULL;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *list_yaml(const char *dir_path)
{
    GDir *dir = g_dir_open(dir_path, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    assert_non_null(dir);
    while ((name = g_dir_read_name(dir)))
        if (g_str_has_suffix(name, ".yaml"))
            g_ptr_array_add(names, g_strdup(name));
    g_dir_close(dir);
    g_ptr_array_sort(names, cmp_str);
    return names;
}

static void check_numbering(const struct machine_cfg *cfg)
{
    for (uint32_t cpu = 0; cpu < cfg->n_cpus; cpu++) {
        uint32_t id = machine_cfg_cpu_id(cfg, cfg->cpu_socket[cpu], cfg->cpu_core[cpu],
                                         cfg->cpu_thread[cpu]);

        assert_int_equal(id, cpu);
        assert_true(cfg->node[cfg->cpu_node[cpu]].has_cpus);
    }
}

static void check_invariants(const struct machine_cfg *cfg, const struct shipped *s)
{
    uint32_t with_cpus = 0;

    assert_int_equal(cfg->arch, s->arch);
    assert_int_equal(cfg->sockets, s->sockets);
    assert_int_equal(cfg->n_cpus, s->n_cpus);
    assert_int_equal(cfg->n_nodes, s->n_nodes);
    check_numbering(cfg);
    for (uint32_t i = 0; i < cfg->n_nodes; i++) {
        const struct node_cfg *n = &cfg->node[i];

        with_cpus += n->has_cpus;
        assert_true(n->wmark_min_pages < n->wmark_low_pages);
        assert_true(n->wmark_low_pages < n->wmark_high_pages);
        assert_true(n->wmark_high_pages < n->mem_bytes / MACHINE_PAGE_BYTES);
        for (uint32_t j = 0; j < cfg->n_nodes; j++)
            assert_int_equal(cfg->distance[i][j], cfg->distance[j][i]);
        assert_int_equal(cfg->distance[i][i], 10);
    }
    assert_int_equal(with_cpus, s->nodes_with_cpus);
    /* The shootdown mechanism goes with the architecture in every shipped file. */
    if (s->arch == ARCH_X86) {
        assert_int_equal(cfg->shootdown, SHOOTDOWN_IPI);
        assert_int_equal(cfg->cost.flush_ceiling_pages, 33);
        assert_int_equal(cfg->asid_slots, 6);
    } else {
        assert_int_equal(cfg->shootdown, SHOOTDOWN_BROADCAST_TLBI);
        assert_true(cfg->cost.dsb_base_ns > 0);
    }
}

static void test_machine_cfg_every_shipped_file_loads(void **state)
{
    GPtrArray *names = list_yaml(MACHINE_DIR);
    bool seen[N_SHIPPED] = { false };
    struct machine_cfg *cfg = new_cfg();
    struct cfg_error err;
    char summary[256];

    (void)state;
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        const struct shipped *s = find_shipped(name);
        char *path = g_build_filename(MACHINE_DIR, name, NULL);

        if (!s) {
            print_error("%s is not in the shipped table of this test\n", path);
            fail();
        }
        if (load_file(path, cfg, &err))
            fail_with_error(path, &err);
        seen[s - shipped] = true;
        check_invariants(cfg, s);
        machine_cfg_summary(cfg, summary, sizeof(summary));
        print_message("%s\n", summary);
        g_free(path);
    }
    for (size_t i = 0; i < N_SHIPPED; i++)
        if (!seen[i]) {
            print_error("%s/%s is missing\n", MACHINE_DIR, shipped[i].file);
            fail();
        }
    g_ptr_array_free(names, TRUE);
    g_free(cfg);
}

static void test_machine_cfg_x86_smt_sibling_of_cpu0_is_cpu24(void **state)
{
    struct machine_cfg *cfg = new_cfg();
    struct cfg_error err;

    (void)state;
    if (load_file(MACHINE_DIR "/x86-4s-48c.yaml", cfg, &err))
        fail_with_error("x86-4s-48c", &err);
    assert_int_equal(cfg->cpu_socket[24], 0);
    assert_int_equal(cfg->cpu_core[24], 0);
    assert_int_equal(cfg->cpu_thread[24], 1);
    assert_int_equal(cfg->cpu_thread[0], 0);
    /* cpu 6 is the first thread of socket 1's first core, on node 1 */
    assert_int_equal(cfg->cpu_socket[6], 1);
    assert_int_equal(cfg->cpu_core[6], 0);
    assert_int_equal(cfg->cpu_node[6], 1);
    assert_int_equal(cfg->cpu_node[30], 1);     /* its sibling */
    assert_int_equal(machine_cfg_cpu_id(cfg, 3, 5, 1), 47);
    g_free(cfg);
}

static void test_machine_cfg_arm64_numbers_cores_in_order(void **state)
{
    struct machine_cfg *cfg = new_cfg();
    struct cfg_error err;

    (void)state;
    if (load_file(MACHINE_DIR "/arm64-kunpeng920-96c.yaml", cfg, &err))
        fail_with_error("kunpeng", &err);
    assert_int_equal(cfg->cpu_socket[47], 0);
    assert_int_equal(cfg->cpu_core[47], 47);
    assert_int_equal(cfg->cpu_socket[48], 1);
    assert_int_equal(cfg->cpu_core[48], 0);
    assert_int_equal(cfg->cpu_node[48], 1);
    assert_int_equal(cfg->distance[0][1], 20);   /* no SLIT: REMOTE_DISTANCE */
    g_free(cfg);
}

/* 64 GiB: min_free_kbytes = int_sqrt(67108864 * 16) = 32768 KiB = 8192 pages,
 * 2048 per 16 GiB node; gap = max(2048 / 4, 4194304 * 10 / 10000) = 4194. */
static void test_machine_cfg_default_wmarks_follow_the_kernel(void **state)
{
    struct machine_cfg *cfg = new_cfg();
    struct cfg_error err;

    (void)state;
    if (load_file(MACHINE_DIR "/x86-4s-48c.yaml", cfg, &err))
        fail_with_error("x86-4s-48c", &err);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cfg->node[i].wmark_min_pages, 2048);
        assert_int_equal(cfg->node[i].wmark_low_pages, 6242);
        assert_int_equal(cfg->node[i].wmark_high_pages, 10436);
    }
    g_free(cfg);
}

/* On a 512 MiB machine min / 4 beats the 0.1% scale factor: int_sqrt(524288
 * * 16) = 2896 KiB = 724 pages; gap = max(181, 131) = 181. */
static void test_machine_cfg_small_node_gap_is_min_quarter(void **state)
{
    static const char *const sets[] = {
        "nodes.0.memory=256MiB", "nodes.1.memory=256MiB", NULL,
    };
    struct machine_cfg *cfg = new_cfg();
    struct cfg_error err;

    (void)state;
    if (load_base(sets, cfg, &err))
        fail_with_error("base", &err);
    assert_int_equal(cfg->node[0].wmark_min_pages, 362);
    assert_int_equal(cfg->node[0].wmark_low_pages, 362 + 90);
    assert_int_equal(cfg->node[0].wmark_high_pages, 362 + 180);
    assert_int_equal(machine_cfg_wmark_min_default(131072, 131072), 724);
    assert_int_equal(machine_cfg_wmark_gap(131072, 724), 181);
    g_free(cfg);
}

static void test_machine_cfg_min_free_kbytes_is_clamped(void **state)
{
    (void)state;
    /* 8 TiB: int_sqrt(2^33 * 16) = 370727 KiB, clamped to 262144 = 65536 pages */
    assert_int_equal(machine_cfg_wmark_min_default(MACHINE_MAX_PAGES, MACHINE_MAX_PAGES),
                     65536);
    /* 512 KiB: int_sqrt(512 * 16) = 90 KiB, raised to 128 KiB = 32 pages */
    assert_int_equal(machine_cfg_wmark_min_default(128, 128), 32);
    assert_int_equal(machine_cfg_wmark_min_default(64, 128), 16);
}

static void test_machine_cfg_given_wmarks_are_kept(void **state)
{
    static const char *const sets[] = {
        "nodes.0.wmark_min_pages=1000", "nodes.0.wmark_high_pages=5000", NULL,
    };
    struct machine_cfg *cfg = new_cfg();
    struct cfg_error err;

    (void)state;
    if (load_base(sets, cfg, &err))
        fail_with_error("base", &err);
    /* low follows the given min: 1000 + max(250, 262144 * 10 / 10000 = 262) */
    assert_int_equal(cfg->node[0].wmark_min_pages, 1000);
    assert_int_equal(cfg->node[0].wmark_low_pages, 1262);
    assert_int_equal(cfg->node[0].wmark_high_pages, 5000);
    g_free(cfg);
}

static void test_machine_cfg_cycles_round_to_nearest_ns(void **state)
{
    static const char *const sets[] = { "cost.full_flush_ns=1.5us", NULL };
    struct machine_cfg *cfg = new_cfg();
    struct cfg_error err;

    (void)state;
    if (load_base(sets, cfg, &err))
        fail_with_error("base", &err);
    assert_int_equal(cfg->cost.invlpg_ns, 125);          /* 250 cycles at 2 GHz */
    assert_int_equal(cfg->cost.full_flush_ns, 1500);
    assert_int_equal(cfg->cost.irq_entry_exit_ns, 1500);
    assert_int_equal(cfg->cost.swap_read_ns, 80000);
    assert_int_equal(machine_cfg_cycles_to_ns(3, 2000), 2);   /* 1.5 ns: half up */
    assert_int_equal(machine_cfg_cycles_to_ns(1, 3000), 0);   /* 0.33 ns */
    assert_int_equal(machine_cfg_cycles_to_ns(1000000000000ULL, 100), 10000000000000ULL);
    g_free(cfg);
}

static void test_machine_cfg_summary_and_total(void **state)
{
    struct machine_cfg *cfg = new_cfg();
    struct cfg_error err;
    char buf[256];

    (void)state;
    if (load_file(MACHINE_DIR "/x86-4s-48c.yaml", cfg, &err))
        fail_with_error("x86-4s-48c", &err);
    machine_cfg_summary(cfg, buf, sizeof(buf));
    assert_string_equal(buf, "x86-4s-48c: x86, 4 sockets x 6 cores x 2 threads = 48 CPUs, "
                        "4 nodes (4 with CPUs), 64 GiB, shootdown ipi");
    assert_int_equal(machine_cfg_total_mem(cfg), (uint64_t)64 << 30);
    machine_cfg_summary(cfg, buf, 12);
    assert_string_equal(buf, "x86-4s-48c:");
    if (load_file(MACHINE_DIR "/x86-gold6430-cxl.yaml", cfg, &err))
        fail_with_error("gold6430", &err);
    machine_cfg_summary(cfg, buf, sizeof(buf));
    assert_string_equal(buf, "x86-gold6430-cxl: x86, 1 socket x 32 cores x 2 threads = "
                        "64 CPUs, 2 nodes (1 with CPUs), 140 GiB, shootdown ipi");
    g_free(cfg);
}

struct bad_case {
    const char *sets[4];
    const char *msg;              /* a substring of the error message */
};

static const struct bad_case bad_cases[] = {
    { { "topology.sockets=0" }, "'sockets' must be in [1, 256], got 0" },
    { { "topology.sockets=256", "topology.cores_per_socket=1024", "topology.threads_per_core=8" },
      "too many CPUs: 2097152 (at most 4096)" },
    { { "topology.sockets=1000000" }, "'sockets' must be in [1, 256]" },
    { { "arch=arm64" }, "'threads_per_core' must be 1 on arm64" },
    { { "name=Bad_Name" }, "'name' must be 1 to 63 characters" },
    { { "tlb.l1d.ways=3" }, "tlb.l1d: 'ways' (3) must divide 'entries' (64)" },
    { { "tlb.l1d.entries=48" }, "48 entries / 4 ways = 12 sets, not a power of two" },
    { { "cost.invlpg_ns=100" }, "give 'invlpg_ns' or 'invlpg_cycles', not both" },
    { { "cost.invlpg_cycles=1000000000000" }, "more than 10000000000 ns" },
    { { "cost.invlp_ns=100" }, "unknown key 'invlp_ns'" },
    { { "tlb.l3={entries: 1}" }, "unknown key 'l3'" },
    { { "nodes.0.memory=4097B" }, "'memory' must be a multiple of 4 KiB" },
    { { "nodes.0.memory=8TiB", "nodes.1.memory=8TiB" }, "total memory is 4294967296 pages" },
    { { "nodes.0.cpus=socket 5" }, "socket 5 does not exist" },
    { { "nodes.1.cpus.0=0" }, "socket 0 is already on node 0" },
    { { "nodes.1.cpus.0=none" }, "'none' cannot be combined with sockets" },
    { { "nodes.0.cpus=none" }, "socket 0 is on no node" },
    { { "nodes.0.cpus=sockets 0" }, "'cpus' must be 'socket N'" },
    { { "nodes.0.wmark_low_pages=10" }, "watermarks must satisfy min < low < high" },
    { { "distance.0.0=11" }, "distance[0][0] must be 10" },
    { { "distance.0.1=255" }, "distance[0][1] must be in [11, 254], got 255" },
    { { "shootdown=tlbi" }, "'shootdown' must be one of" },
};

static void test_machine_cfg_in_memory_errors(void **state)
{
    struct machine_cfg *cfg = new_cfg();
    struct cfg_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];

        memset(&err, 0, sizeof(err));
        if (load_base(c->sets, cfg, &err) == 0) {
            print_error("case %zu (%s) loaded\n", i, c->sets[0]);
            fail();
        }
        if (!strstr(err.msg, c->msg)) {
            print_error("case %zu (%s): want \"%s\" in\n", i, c->sets[0], c->msg);
            fail_with_error("got", &err);
        }
    }
    g_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_machine_cfg_every_shipped_file_loads),
        cmocka_unit_test(test_machine_cfg_x86_smt_sibling_of_cpu0_is_cpu24),
        cmocka_unit_test(test_machine_cfg_arm64_numbers_cores_in_order),
        cmocka_unit_test(test_machine_cfg_default_wmarks_follow_the_kernel),
        cmocka_unit_test(test_machine_cfg_small_node_gap_is_min_quarter),
        cmocka_unit_test(test_machine_cfg_min_free_kbytes_is_clamped),
        cmocka_unit_test(test_machine_cfg_given_wmarks_are_kept),
        cmocka_unit_test(test_machine_cfg_cycles_round_to_nearest_ns),
        cmocka_unit_test(test_machine_cfg_summary_and_total),
        cmocka_unit_test(test_machine_cfg_in_memory_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
