/* The bad-input corpus runner shared by test_bad_machines.c and
 * test_bad_scenarios.c (static functions in a header, as tests are one .c
 * each). Every file of a corpus starts with `# expect: LINE:COL: message`
 * (an error in the file itself) or `# expect: REL/PATH.yaml:LINE:COL:
 * message` (an error in a file it names, relative to its directory); loading
 * it must fail and the printed error must start with
 * "<file>:LINE:COL: error: message". Include after cmocka.h and glib.h. */
#ifndef TESTS_BAD_CORPUS_H
#define TESTS_BAD_CORPUS_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cfg.h"

#define EXPECT_TAG "# expect: "

/* The line cfg_error_print would print (malloc'd). */
static inline char *bad_corpus_error_text(const struct cfg_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    assert_non_null(out);
    cfg_error_print(err, out);
    fclose(out);
    return buf;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "<file>:LINE:COL: error: message" from the first line of `path`, or NULL. */
static char *expected_error(const char *path)
{
    char *text = NULL, *nl, *out = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    if (strncmp(text, EXPECT_TAG, strlen(EXPECT_TAG)) == 0) {
        char *pos = text + strlen(EXPECT_TAG);
        char *file = NULL, *c1, *c2;

        if (!isdigit((unsigned char)*pos)) {
            /* REL/PATH:LINE:COL: message */
            char *dir = g_path_get_dirname(path);
            char *colon = strchr(pos, ':');

            if (colon) {
                *colon = '\0';
                file = g_build_filename(dir, pos, NULL);
                pos = colon + 1;
            }
            g_free(dir);
        } else {
            file = g_strdup(path);
        }
        /* LINE:COL, then ": message" */
        c1 = strchr(pos, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (file && c2 && c2[1] == ' ') {
            *c2 = '\0';
            out = g_strdup_printf("%s:%s: error: %s", file, pos, c2 + 2);
        }
        g_free(file);
    }
    g_free(text);
    return out;
}

static int check_one(const char *path, char *(*load_error)(const char *path))
{
    char *want = expected_error(path), *got;
    int bad = 0;

    if (!want) {
        print_error("%s: first line is not '" EXPECT_TAG "[FILE:]LINE:COL: message'\n", path);
        return 1;
    }
    got = load_error(path);
    if (!got) {
        print_error("%s: loaded, expected: %s\n", path, want);
        bad = 1;
    } else if (strncmp(got, want, strlen(want)) != 0) {
        print_error("%s:\n  want: %s\n  got:  %s", path, want, got);
        bad = 1;
    }
    g_free(want);
    free(got);
    return bad;
}

/* Checks every *.yaml of `dir` (sorted) against its expectation; at least
 * min_files must exist. load_error loads one file and returns the printed
 * error (malloc'd), or NULL when the file loaded. */
static void bad_corpus_run(const char *dir_path, unsigned min_files,
                           char *(*load_error)(const char *path))
{
    GDir *dir = g_dir_open(dir_path, 0, NULL);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    int failures = 0;

    assert_non_null(dir);
    while ((name = g_dir_read_name(dir)))
        if (g_str_has_suffix(name, ".yaml"))
            g_ptr_array_add(paths, g_build_filename(dir_path, name, NULL));
    g_dir_close(dir);
    g_ptr_array_sort(paths, cmp_str);
    if (paths->len < min_files) {
        print_error("only %u files in %s, want at least %u\n", paths->len, dir_path,
                    min_files);
        failures++;
    }
    for (guint i = 0; i < paths->len; i++)
        failures += check_one(g_ptr_array_index(paths, i), load_error);
    g_ptr_array_free(paths, TRUE);
    assert_int_equal(failures, 0);
}

#endif
