/* cfg tree edits: --set overrides (replace, add, sequence items, and each
 * error), deep merge (including the all-or-nothing kind check) and clone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/cfg.h"

static const char doc[] = "machine:\n"
                          "  sockets: 2\n"
                          "  tlb: {ways: 4, entries: 64}\n"
                          "workloads:\n"
                          "  - {name: a, rate: 1}\n"
                          "  - {name: b, rate: 2}\n";

static int setup(void **state)
{
    struct cfg_node *root;
    struct cfg_error err;

    if (cfg_load_string("s.yaml", doc, &root, &err))
        return -1;
    *state = root;
    return 0;
}

static int teardown(void **state)
{
    cfg_free(*state);
    return 0;
}

static void set_ok(struct cfg_node *root, const char *assignment)
{
    struct cfg_error err;

    if (cfg_set_override(root, assignment, &err))
        fail_msg("%s: %s", err.file, err.msg);
}

static void set_bad(struct cfg_node *root, const char *assignment, const char *file,
                    const char *msg)
{
    struct cfg_error err;

    assert_int_equal(cfg_set_override(root, assignment, &err), -1);
    assert_string_equal(err.file, file);
    assert_int_equal(err.line, 0);
    assert_string_equal(err.msg, msg);
}

static void test_replace_scalar(void **state)
{
    struct cfg_node *root = *state, *n;
    struct cfg_error err;
    uint32_t v = 0;

    set_ok(root, "machine.sockets=4");
    n = cfg_path(root, "machine.sockets");
    assert_string_equal(n->value, "4");
    assert_string_equal(n->file, "--set machine.sockets");
    assert_int_equal(n->line, 0);
    assert_int_equal(n->col, 0);
    set_ok(root, "machine.tlb.ways=x=y");
    assert_string_equal(cfg_path(root, "machine.tlb.ways")->value, "x=y");
    assert_int_equal(cfg_get_u32(cfg_path(root, "machine.tlb"), "ways", true, 1, 64, &v,
                                 &err),
                     -1);
    assert_string_equal(err.file, "--set machine.tlb.ways");
    assert_int_equal(err.line, 0);
    assert_string_equal(err.msg, "'ways' must be an integer in [1, 64], got 'x=y'");
}

static void test_add_key(void **state)
{
    struct cfg_node *root = *state, *tlb;

    set_ok(root, "machine.tlb.levels=2");
    tlb = cfg_path(root, "machine.tlb");
    assert_int_equal(tlb->n, 3);
    assert_string_equal(tlb->keys[2], "levels");
    assert_int_equal(tlb->key_line[2], 0);
    assert_string_equal(tlb->child[2]->value, "2");
    set_ok(root, "seed=");
    assert_string_equal(cfg_path(root, "seed")->value, "");
}

static void test_sequence_index(void **state)
{
    struct cfg_node *root = *state;

    set_ok(root, "workloads.1.rate=5");
    assert_string_equal(cfg_path(root, "workloads.1.rate")->value, "5");
    assert_string_equal(cfg_path(root, "workloads.0.rate")->value, "1");
    set_ok(root, "workloads.0.burst=3");
    assert_string_equal(cfg_path(root, "workloads.0.burst")->value, "3");
}

static void test_errors(void **state)
{
    struct cfg_node *root = *state;

    set_bad(root, "machine.sockets", "--set machine.sockets", "expected key.path=value");
    set_bad(root, "=3", "--set =3", "empty key path before '='");
    set_bad(root, "machine..x=1", "--set machine..x=1", "empty segment in key path");
    set_bad(root, ".x=1", "--set .x=1", "empty segment in key path");
    set_bad(root, "machine.=1", "--set machine.=1", "empty segment in key path");
    /* Missing mappings on the way are created (a section the file leaves
     * out); whether the key is known is the loader's business later. */
    set_ok(root, "machine.cost.x=1");
    assert_string_equal(cfg_path(root, "machine.cost.x")->value, "1");
    assert_string_equal(cfg_path(root, "machine.cost")->file, "--set machine.cost.x");
    set_ok(root, "machine.tlb.a.b=2");
    assert_string_equal(cfg_path(root, "machine.tlb.a.b")->value, "2");
    set_bad(root, "machine.tlb=1", "--set machine.tlb",
            "'tlb' is a mapping; set one of its keys, or all of it as {k: v, ...}");
    set_bad(root, "workloads=1", "--set workloads",
            "'workloads' is a sequence; set one of its items, or all of it as [a, b, ...]");
    set_bad(root, "workloads.2.rate=1", "--set workloads.2.rate",
            "no item '2' in 'workloads' (a sequence of 2 items)");
    set_bad(root, "workloads.2=1", "--set workloads.2",
            "no item '2' in 'workloads' (a sequence of 2 items)");
    set_bad(root, "workloads.x.rate=1", "--set workloads.x.rate",
            "no item 'x' in 'workloads' (a sequence of 2 items)");
    set_bad(root, "machine.sockets.x=1", "--set machine.sockets.x",
            "'machine.sockets' is a scalar; it has no 'x'");
    assert_string_equal(cfg_path(root, "machine.sockets")->value, "2");
}

/* A flow collection replaces a sequence or mapping whole (another length
 * is fine); a kind mismatch and a syntax error inside it are errors. */
static void test_flow_value(void **state)
{
    struct cfg_node *root = *state;
    struct cfg_error err;

    set_ok(root, "workloads=[{name: c, rate: 7}]");
    assert_int_equal(cfg_path(root, "workloads")->n, 1);
    assert_string_equal(cfg_path(root, "workloads.0.rate")->value, "7");
    assert_string_equal(cfg_path(root, "workloads.0.rate")->file, "--set workloads");
    set_ok(root, "machine.tlb={ways: 8}");
    assert_int_equal(cfg_path(root, "machine.tlb")->n, 1);
    assert_string_equal(cfg_path(root, "machine.tlb.ways")->value, "8");
    set_ok(root, "machine.extra=[1, 2, 3]");
    assert_int_equal(cfg_path(root, "machine.extra")->n, 3);
    set_bad(root, "machine.tlb=[1]", "--set machine.tlb",
            "'tlb' is a mapping; the value is a sequence");
    set_bad(root, "machine.sockets=[1]", "--set machine.sockets",
            "'sockets' is a scalar; the value is a sequence");
    assert_int_equal(cfg_set_override(root, "workloads=[{name: c", &err), -1);
    assert_string_equal(err.file, "--set workloads");
    assert_true(err.line >= 1);   /* libyaml marks where it gave up */
    assert_int_equal(cfg_path(root, "workloads")->n, 1);
}

static void test_merge(void **state)
{
    struct cfg_node *dst = *state, *src;
    struct cfg_error err;

    assert_int_equal(cfg_load_string("o.yaml",
                                     "machine:\n"
                                     "  tlb: {ways: 8, l2: 1536}\n"
                                     "  name: big\n"
                                     "workloads: [{name: c}]\n",
                                     &src, &err),
                     0);
    assert_int_equal(cfg_merge(dst, src, &err), 0);
    assert_string_equal(cfg_path(dst, "machine.sockets")->value, "2");
    assert_string_equal(cfg_path(dst, "machine.tlb.ways")->value, "8");
    assert_string_equal(cfg_path(dst, "machine.tlb.ways")->file, "o.yaml");
    assert_int_equal(cfg_path(dst, "machine.tlb.ways")->line, 2);
    assert_string_equal(cfg_path(dst, "machine.tlb.entries")->value, "64");
    assert_string_equal(cfg_path(dst, "machine.tlb.l2")->value, "1536");
    assert_string_equal(cfg_path(dst, "machine.name")->value, "big");
    assert_int_equal(cfg_path(dst, "workloads")->n, 1);
    assert_string_equal(cfg_path(dst, "workloads.0.name")->value, "c");
    cfg_free(src);
}

static void test_merge_mismatch(void **state)
{
    struct cfg_node *dst = *state, *src;
    struct cfg_error err;

    assert_int_equal(cfg_load_string("o.yaml",
                                     "machine:\n"
                                     "  sockets: 4\n"
                                     "  tlb: 16\n",
                                     &src, &err),
                     0);
    assert_int_equal(cfg_merge(dst, src, &err), -1);
    assert_string_equal(err.file, "o.yaml");
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 8);
    assert_string_equal(err.msg,
                        "cannot merge 'tlb': a scalar here but a mapping in s.yaml:3");
    assert_string_equal(cfg_path(dst, "machine.sockets")->value, "2");
    assert_int_equal(cfg_merge(dst, cfg_path(src, "machine.tlb"), &err), -1);
    cfg_free(src);
}

static void test_clone(void **state)
{
    struct cfg_node *root = *state, *copy;

    cfg_get(root, "machine");
    copy = cfg_clone(root);
    assert_non_null(copy);
    assert_true(copy->child[0]->used);
    assert_false(copy->child[1]->used);
    assert_string_equal(cfg_path(copy, "workloads.1.name")->value, "b");
    assert_int_equal(cfg_path(copy, "machine.tlb")->key_col[1], 18);
    set_ok(copy, "machine.tlb.ways=16");
    assert_string_equal(cfg_path(root, "machine.tlb.ways")->value, "4");
    cfg_free(copy);
    assert_null(cfg_clone(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replace_scalar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
