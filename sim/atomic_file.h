/* Writes a file so that readers see either the old file or the complete new
 * one: write to a temporary in the same directory, fsync, rename. */
#ifndef SIM_ATOMIC_FILE_H
#define SIM_ATOMIC_FILE_H

#include <stdio.h>

struct atomic_file {
    FILE *fp;            /* write through this */
    char *tmp_path;
    char *final_path;
};

/* Opens "<path>.tmp.<pid>" for writing. Returns 0, or -1 with errno set. */
int atomic_file_open(struct atomic_file *af, const char *path);
/* Flushes, fsyncs and renames over the final path. Returns 0, or -1 (errno
 * set, temporary removed). */
int atomic_file_commit(struct atomic_file *af);
/* Closes and removes the temporary; the final path is untouched. */
void atomic_file_abort(struct atomic_file *af);
/* Writes len bytes atomically in one call. */
int atomic_file_write(const char *path, const char *data, size_t len);
/* mkdir -p. Returns 0 or -1 with errno. */
int mkdir_parents(const char *dir);

#endif
