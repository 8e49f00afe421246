/* Atomic file replacement: write "<path>.tmp.<pid>" in the same directory
 * (so rename() stays on one file system), fflush, fsync, close, rename, then
 * fsync the directory so the rename itself survives a crash. Every failure
 * removes the temporary. Left out: locking against concurrent writers. */
#include "sim/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

static void atomic_file_clear(struct atomic_file *af)
{
    g_free(af->tmp_path);
    g_free(af->final_path);
    af->fp = NULL;
    af->tmp_path = NULL;
    af->final_path = NULL;
}

int atomic_file_open(struct atomic_file *af, const char *path)
{
    int saved;

    af->final_path = g_strdup(path);
    af->tmp_path = g_strdup_printf("%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp_path, "w");
    if (af->fp)
        return 0;
    saved = errno;
    atomic_file_clear(af);
    errno = saved;
    return -1;
}

/* Best effort: a directory that cannot be fsynced (some file systems refuse)
 * does not make the already-renamed file any less complete. */
static void atomic_file_sync_dir(const char *path)
{
    char *dir = g_path_get_dirname(path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    g_free(dir);
}

int atomic_file_commit(struct atomic_file *af)
{
    FILE *fp = af->fp;
    int saved;

    af->fp = NULL;
    errno = 0;
    if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0)
        goto fail_open;
    if (fclose(fp) != 0)
        goto fail_closed;
    if (rename(af->tmp_path, af->final_path) != 0)
        goto fail_closed;
    atomic_file_sync_dir(af->final_path);
    atomic_file_clear(af);
    return 0;

fail_open:
    saved = errno ? errno : EIO;   /* ferror() alone does not set errno */
    fclose(fp);
    errno = saved;
fail_closed:
    saved = errno;
    unlink(af->tmp_path);
    atomic_file_clear(af);
    errno = saved;
    return -1;
}

void atomic_file_abort(struct atomic_file *af)
{
    int saved = errno;

    if (af->fp)
        fclose(af->fp);
    if (af->tmp_path)
        unlink(af->tmp_path);
    atomic_file_clear(af);
    errno = saved;
}

int atomic_file_write(const char *path, const char *data, size_t len)
{
    struct atomic_file af;

    if (atomic_file_open(&af, path) != 0)
        return -1;
    errno = 0;
    if (len > 0 && fwrite(data, 1, len, af.fp) != len) {
        int saved = errno ? errno : EIO;

        atomic_file_abort(&af);
        errno = saved;
        return -1;
    }
    return atomic_file_commit(&af);
}

/* mkdir that accepts an existing directory (but not an existing file). */
static int mkdir_one(const char *dir)
{
    struct stat sb;

    if (mkdir(dir, 0777) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    if (stat(dir, &sb) != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int mkdir_parents(const char *dir)
{
    char *buf;
    int rc = 0;

    if (!dir || !*dir) {
        errno = ENOENT;
        return -1;
    }
    buf = g_strdup(dir);
    /* Create each prefix ending before a '/', skipping the root and runs of
     * slashes, then the whole path. */
    for (char *p = buf + 1; *p && rc == 0; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        rc = mkdir_one(buf);
        *p = '/';
    }
    if (rc == 0)
        rc = mkdir_one(buf);
    g_free(buf);
    return rc;
}
