/* cfg loading: node and key positions, libyaml syntax errors, and everything
 * the loader refuses (aliases, tags, complex and duplicate keys, several
 * documents, deep nesting, empty input, missing or oversized files). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/cfg.h"

/* Loads text expecting failure; checks message and position. */
static void expect_error(const char *text, const char *msg, unsigned line, unsigned col)
{
    struct cfg_node *root = (struct cfg_node *)1;
    struct cfg_error err;

    assert_int_equal(cfg_load_string("t.yaml", text, &root, &err), -1);
    assert_null(root);
    assert_string_equal(err.msg, msg);
    assert_string_equal(err.file, "t.yaml");
    assert_int_equal(err.line, line);
    assert_int_equal(err.col, col);
}

static struct cfg_node *load_ok(const char *text)
{
    struct cfg_node *root = NULL;
    struct cfg_error err;

    if (cfg_load_string("t.yaml", text, &root, &err) != 0)
        fail_msg("%s:%u:%u: %s", err.file, err.line, err.col, err.msg);
    return root;
}

static void test_positions(void **state)
{
    struct cfg_node *root = load_ok("machine:\n"
                                    "  name: big\n"
                                    "  tlb:\n"
                                    "    - 64\n"
                                    "    - 1536\n"
                                    "  flow: {a: 1, b: [x, 'y']}\n");
    struct cfg_node *m, *tlb, *flow;

    (void)state;
    assert_int_equal(root->kind, CFG_MAP);
    assert_int_equal(root->line, 1);
    assert_int_equal(root->col, 1);
    assert_string_equal(root->file, "t.yaml");
    assert_int_equal(root->n, 1);
    assert_int_equal(root->key_line[0], 1);
    assert_int_equal(root->key_col[0], 1);
    m = root->child[0];
    assert_int_equal(m->kind, CFG_MAP);
    assert_int_equal(m->line, 2);
    assert_int_equal(m->col, 3);
    assert_string_equal(m->keys[0], "name");
    assert_int_equal(m->key_line[0], 2);
    assert_int_equal(m->key_col[0], 3);
    assert_string_equal(m->child[0]->value, "big");
    assert_int_equal(m->child[0]->line, 2);
    assert_int_equal(m->child[0]->col, 9);
    tlb = m->child[1];
    assert_int_equal(tlb->kind, CFG_SEQ);
    assert_int_equal(tlb->n, 2);
    assert_int_equal(tlb->line, 4);
    assert_int_equal(tlb->col, 5);
    assert_string_equal(tlb->child[1]->value, "1536");
    assert_int_equal(tlb->child[1]->line, 5);
    assert_int_equal(tlb->child[1]->col, 7);
    flow = m->child[2];
    assert_int_equal(flow->line, 6);
    assert_int_equal(flow->col, 9);
    assert_int_equal(flow->key_col[1], 16);
    assert_int_equal(flow->child[1]->n, 2);
    assert_string_equal(flow->child[1]->child[1]->value, "y");
    assert_false(root->used);
    cfg_free(root);
}

static void test_many_keys(void **state)
{
    char *text = malloc(100 * 16);
    size_t len = 0;
    struct cfg_node *root;

    (void)state;
    for (int i = 0; i < 100; i++)
        len += (size_t)sprintf(text + len, "k%d: %d\n", i, i);
    root = load_ok(text);
    assert_int_equal(root->n, 100);
    assert_string_equal(root->keys[99], "k99");
    assert_string_equal(root->child[99]->value, "99");
    assert_int_equal(root->key_line[99], 100);
    cfg_free(root);
    free(text);
}

static void test_syntax_error(void **state)
{
    (void)state;
    expect_error("a: b: c\n", "mapping values are not allowed in this context", 1, 5);
    expect_error("a: 1\nb: [1, 2\nc: 3\n",
                 "did not find expected ',' or ']' while parsing a flow sequence", 3, 2);
    expect_error("a:\n  b: 1\n c: 2\n",
                 "did not find expected key while parsing a block mapping", 3, 2);
    expect_error("a: \"abc\n",
                 "found unexpected end of stream while scanning a quoted scalar", 2, 1);
}

static void test_reader_error(void **state)
{
    struct cfg_node *root;
    struct cfg_error err;

    (void)state;
    assert_int_equal(cfg_load_string("t.yaml", "a: 1\nb: \xff\n", &root, &err), -1);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 4);
    assert_non_null(strstr(err.msg, "UTF-8"));
}

static void test_alias_rejected(void **state)
{
    (void)state;
    expect_error("a: &x 1\nb: *x\n", "anchors and aliases are not supported", 1, 4);
    expect_error("a: 1\nb: *x\n", "anchors and aliases are not supported", 2, 4);
    expect_error("a: &m {x: 1}\n", "anchors and aliases are not supported", 1, 4);
}

static void test_tags(void **state)
{
    struct cfg_node *root = load_ok("a: !!str 1\nb: !!int 2\nc: !!map {x: 1}\nd: ! e\n");

    (void)state;
    assert_string_equal(root->child[0]->value, "1");
    cfg_free(root);
    expect_error("a: !foo 1\n", "unsupported tag '!foo'", 1, 4);
    expect_error("a: !!binary aGk=\n", "unsupported tag 'tag:yaml.org,2002:binary'", 1, 4);
    expect_error("a: !!seq {x: 1}\n", "unsupported tag 'tag:yaml.org,2002:seq'", 1, 4);
}

static void test_complex_key(void **state)
{
    (void)state;
    expect_error("? [a, b]\n: 1\n", "mapping keys must be scalars", 1, 3);
    expect_error("{{a: 1}: 2}\n", "mapping keys must be scalars", 1, 2);
}

static void test_duplicate_key(void **state)
{
    (void)state;
    expect_error("a: 1\nb: 2\na: 3\n", "duplicate key 'a' (first at line 1)", 3, 1);
    expect_error("m:\n  x: 1\n  y: {z: 1, z: 2}\n", "duplicate key 'z' (first at line 3)", 3,
                 13);
    expect_error("a: 1\na: *x\n", "duplicate key 'a' (first at line 1)", 2, 1);
}

static void test_multiple_documents(void **state)
{
    (void)state;
    expect_error("a: 1\n---\nb: 2\n", "more than one document", 2, 1);
    expect_error("--- 1\n--- 2\n", "more than one document", 2, 1);
}

/* `levels` nested flow sequences. */
static char *nested(int levels)
{
    char *s = malloc((size_t)levels * 2 + 2);

    memset(s, '[', (size_t)levels);
    memset(s + levels, ']', (size_t)levels);
    s[levels * 2] = '\n';
    s[levels * 2 + 1] = '\0';
    return s;
}

static void test_deep_nesting(void **state)
{
    char *ok = nested(64), *deep = nested(65), *huge = nested(100000);

    (void)state;
    cfg_free(load_ok(ok));
    expect_error(deep, "nesting deeper than 64 levels", 1, 65);
    expect_error(huge, "nesting deeper than 64 levels", 1, 65);
    free(ok);
    free(deep);
    free(huge);
}

static void test_empty(void **state)
{
    (void)state;
    expect_error("", "empty document", 0, 0);
    expect_error("# nothing here\n\n", "empty document", 0, 0);
    expect_error("---\n", "empty document", 2, 1);
    expect_error("---\n...\n", "empty document", 2, 1);
}

static void test_nul_in_scalar(void **state)
{
    (void)state;
    expect_error("a: \"x\\0y\"\n", "NUL characters are not supported", 1, 4);
    expect_error("\"k\\0\": 1\n", "NUL characters are not supported", 1, 1);
}

static void test_missing_file(void **state)
{
    struct cfg_node *root = (struct cfg_node *)1;
    struct cfg_error err;

    (void)state;
    assert_int_equal(cfg_load_file("/nonexistent/x.yaml", &root, &err), -1);
    assert_null(root);
    assert_string_equal(err.file, "/nonexistent/x.yaml");
    assert_string_equal(err.msg, "cannot open: No such file or directory");
    assert_int_equal(err.line, 0);
    assert_int_equal(cfg_load_file("/tmp", &root, &err), -1);
    assert_string_equal(err.msg, "cannot open: Is a directory");
}

static void test_file(void **state)
{
    char path[] = "/tmp/test_cfg_load_XXXXXX";
    int fd = mkstemp(path);
    struct cfg_node *root;
    struct cfg_error err;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x: 1\ny: [2]\n", 12), 12);
    close(fd);
    assert_int_equal(cfg_load_file(path, &root, &err), 0);
    assert_string_equal(root->file, path);
    assert_string_equal(root->child[1]->child[0]->file, path);
    assert_int_equal(root->child[1]->child[0]->line, 2);
    cfg_free(root);
    unlink(path);
}

static void test_too_large(void **state)
{
    size_t n = ((size_t)16 << 20) + 1;
    char *text = malloc(n + 1);
    struct cfg_node *root;
    struct cfg_error err;

    (void)state;
    memset(text, '#', n);
    text[n] = '\0';
    assert_int_equal(cfg_load_string("big.yaml", text, &root, &err), -1);
    assert_string_equal(err.msg, "file is larger than 16 MiB");
    assert_int_equal(err.line, 0);
    free(text);
}

static void test_error_print(void **state)
{
    struct cfg_error err = { .file = "m.yaml", .line = 3, .col = 7, .msg = "bad thing" };
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    (void)state;
    cfg_error_print(&err, f);
    err.line = 0;
    cfg_error_print(&err, f);
    fclose(f);
    assert_string_equal(buf, "m.yaml:3:7: error: bad thing\nm.yaml: error: bad thing\n");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_reader_error),
        cmocka_unit_test(test_alias_rejected),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_complex_key),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_multiple_documents),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_nul_in_scalar),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_error_print),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
