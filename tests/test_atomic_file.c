/* Tests for atomic file replacement and mkdir_parents, in a fresh directory
 * under the system temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sim/atomic_file.h"

static int setup_dir(void **state)
{
    *state = g_dir_make_tmp("tlbsim-atomic-XXXXXX", NULL);
    return *state ? 0 : -1;
}

static void remove_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;

    if (d) {
        while ((name = g_dir_read_name(d)) != NULL) {
            char *child = g_build_filename(path, name, NULL);

            remove_tree(child);
            g_free(child);
        }
        g_dir_close(d);
    }
    g_remove(path);
}

static int teardown_dir(void **state)
{
    remove_tree(*state);
    g_free(*state);
    return 0;
}

static size_t dir_entries(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    size_t n = 0;

    if (!d)
        return 0;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

static char *read_all(const char *path)
{
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return text;
}

static void test_atomic_file_write_then_read_back(void **state)
{
    char *path = g_build_filename(*state, "out.txt", NULL);
    char *text;

    assert_int_equal(atomic_file_write(path, "hello\n", 6), 0);
    text = read_all(path);
    assert_non_null(text);
    assert_string_equal(text, "hello\n");
    assert_int_equal(dir_entries(*state), 1);          /* temp is gone */
    /* Replacing an existing file. */
    assert_int_equal(atomic_file_write(path, "bye", 3), 0);
    g_free(text);
    text = read_all(path);
    assert_string_equal(text, "bye");
    assert_int_equal(dir_entries(*state), 1);
    g_free(text);
    g_free(path);
}

static void test_atomic_file_stream_commit(void **state)
{
    char *path = g_build_filename(*state, "stream.csv", NULL);
    struct atomic_file af;
    char *text;

    assert_int_equal(atomic_file_open(&af, path), 0);
    assert_non_null(strstr(af.tmp_path, ".tmp."));
    assert_true(g_file_test(af.tmp_path, G_FILE_TEST_EXISTS));
    assert_false(g_file_test(path, G_FILE_TEST_EXISTS));  /* not yet */
    fprintf(af.fp, "a,b\n%d,%d\n", 1, 2);
    assert_int_equal(atomic_file_commit(&af), 0);
    assert_null(af.fp);
    text = read_all(path);
    assert_string_equal(text, "a,b\n1,2\n");
    assert_int_equal(dir_entries(*state), 1);
    g_free(text);
    g_free(path);
}

static void test_atomic_file_missing_directory_fails_and_leaves_nothing(void **state)
{
    char *dir = g_build_filename(*state, "missing", NULL);
    char *path = g_build_filename(dir, "out.txt", NULL);

    errno = 0;
    assert_int_equal(atomic_file_write(path, "x", 1), -1);
    assert_int_equal(errno, ENOENT);
    assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
    assert_int_equal(dir_entries(*state), 0);
    g_free(path);
    g_free(dir);
}

static void test_atomic_file_rename_failure_removes_temp(void **state)
{
    /* The final path is an existing non-empty directory: rename fails. */
    char *path = g_build_filename(*state, "taken", NULL);
    char *inner = g_build_filename(path, "keep", NULL);
    struct atomic_file af;

    assert_int_equal(g_mkdir(path, 0777), 0);
    assert_int_equal(atomic_file_write(inner, "k", 1), 0);
    assert_int_equal(atomic_file_open(&af, path), 0);
    fputs("data", af.fp);
    assert_int_equal(atomic_file_commit(&af), -1);
    assert_int_equal(dir_entries(*state), 1);          /* only "taken" */
    assert_true(g_file_test(inner, G_FILE_TEST_IS_REGULAR));
    g_free(inner);
    g_free(path);
}

static void test_atomic_file_abort_leaves_old_file_intact(void **state)
{
    char *path = g_build_filename(*state, "keep.txt", NULL);
    struct atomic_file af;
    char *text;

    assert_int_equal(atomic_file_write(path, "old", 3), 0);
    assert_int_equal(atomic_file_open(&af, path), 0);
    fputs("new contents that must never appear", af.fp);
    atomic_file_abort(&af);
    text = read_all(path);
    assert_string_equal(text, "old");
    assert_int_equal(dir_entries(*state), 1);
    g_free(text);
    g_free(path);
}

static void test_atomic_file_mkdir_parents(void **state)
{
    char *deep = g_build_filename(*state, "a", "b", "c", NULL);
    char *slashy = g_strconcat(*state, "//x///y/", NULL);
    char *file = g_build_filename(*state, "a", "f", NULL);
    char *under_file = g_build_filename(file, "sub", NULL);

    assert_int_equal(mkdir_parents(deep), 0);
    assert_true(g_file_test(deep, G_FILE_TEST_IS_DIR));
    assert_int_equal(mkdir_parents(deep), 0);           /* exists: fine */
    assert_int_equal(mkdir_parents(slashy), 0);
    assert_true(g_file_test(slashy, G_FILE_TEST_IS_DIR));
    assert_int_equal(atomic_file_write(file, "", 0), 0);
    assert_int_equal(mkdir_parents(file), -1);          /* a file is there */
    assert_int_equal(errno, ENOTDIR);
    assert_int_equal(mkdir_parents(under_file), -1);
    assert_int_equal(mkdir_parents(""), -1);
    g_free(under_file);
    g_free(file);
    g_free(slashy);
    g_free(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_atomic_file_write_then_read_back,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_atomic_file_stream_commit,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(
            test_atomic_file_missing_directory_fails_and_leaves_nothing,
            setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_atomic_file_rename_failure_removes_temp,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_atomic_file_abort_leaves_old_file_intact,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_atomic_file_mkdir_parents,
                                        setup_dir, teardown_dir),
    };

    return cmocka_run_group_tests_name("atomic_file", tests, NULL, NULL);
}
