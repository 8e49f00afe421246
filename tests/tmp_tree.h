/* Removing a test's temporary directory tree (static, in a header, as
 * tests are one .c each). Include after glib.h and glib/gstdio.h. */
#ifndef TESTS_TMP_TREE_H
#define TESTS_TMP_TREE_H

/* Removes path: a file, or a directory with everything below it. */
static inline void rm_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        char *child = g_build_filename(path, name, NULL);

        rm_tree(child);
        g_free(child);
    }
    if (d)
        g_dir_close(d);
    g_remove(path);   /* a file, or the now empty directory */
}

#endif
