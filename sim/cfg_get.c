/* Lookups in a cfg tree, the typed getters, and error reporting. Getters mark
 * what they read as used so cfg_check_unknown can flag typos. The scalar
 * syntax itself (integers, durations, sizes) is in cfg_parse.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "sim/cfg.h"

__attribute__((format(printf, 5, 0)))
static int vfail(struct cfg_error *err, const char *file, unsigned line, unsigned col,
                 const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    snprintf(err->file, sizeof(err->file), "%s", file ? file : "?");
    err->line = line;
    err->col = line ? col : 0;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return -1;
}

int cfg_fail_at(struct cfg_error *err, const char *file, unsigned line, unsigned col,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(err, file, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

int cfg_fail(struct cfg_error *err, const struct cfg_node *at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (at)
        vfail(err, at->file, at->line, at->col, fmt, ap);
    else
        vfail(err, "?", 0, 0, fmt, ap);
    va_end(ap);
    return -1;
}

int cfg_fail_key(struct cfg_error *err, const struct cfg_node *map, size_t index,
                 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (map && map->kind == CFG_MAP && index < map->n) {
        const struct cfg_node *child = map->child[index];
        /* A key merged in from another file, or added by --set, came with
         * its value: report it where the value came from. A --set that only
         * replaced a value keeps the key's original place. */
        const char *file = child && (child->line || !map->key_line[index]) ? child->file
                                                                             : map->file;

        vfail(err, file, map->key_line[index], map->key_col[index], fmt, ap);
    } else
        vfail(err, map ? map->file : "?", map ? map->line : 0, map ? map->col : 0,
              fmt, ap);
    va_end(ap);
    return -1;
}

void cfg_error_print(const struct cfg_error *err, FILE *out)
{
    if (err->line)
        fprintf(out, "%s:%u:%u: error: %s\n", err->file, err->line, err->col, err->msg);
    else
        fprintf(out, "%s: error: %s\n", err->file, err->msg);
}

bool cfg_map_find(const struct cfg_node *map, const char *key, size_t *index)
{
    if (!map || map->kind != CFG_MAP)
        return false;
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i], key) == 0) {
            *index = i;
            return true;
        }
    }
    return false;
}

struct cfg_node *cfg_get(struct cfg_node *map, const char *key)
{
    size_t i;

    if (!cfg_map_find(map, key, &i))
        return NULL;
    map->child[i]->used = true;
    return map->child[i];
}

int cfg_check_unknown(const struct cfg_node *map, struct cfg_error *err)
{
    char buf[64];

    if (!map || map->kind != CFG_MAP)
        return 0;
    for (size_t i = 0; i < map->n; i++)
        if (!map->child[i]->used)
            return cfg_fail_key(err, map, i, "unknown key '%s'",
                                cfg_excerpt(map->keys[i], buf, sizeof(buf)));
    return 0;
}

static const char *kind_name(enum cfg_kind kind)
{
    return kind == CFG_MAP ? "a mapping" : kind == CFG_SEQ ? "a sequence" : "a scalar";
}

int cfg_expect(const struct cfg_node *node, enum cfg_kind kind, const char *what,
               struct cfg_error *err)
{
    if (!node)
        return cfg_fail(err, NULL, "'%s' is missing", what);
    if (node->kind != kind)
        return cfg_fail(err, node, "'%s' must be %s", what, kind_name(kind));
    return 0;
}

/* 1: found a scalar (*node); 0: absent and optional; -1: error. `expected`
 * completes "'key' must be ..." when the value is not a scalar. */
static int lookup(struct cfg_node *map, const char *key, bool required,
                  const char *expected, struct cfg_node **node, struct cfg_error *err)
{
    if (!map || map->kind != CFG_MAP)
        return cfg_fail(err, map, "expected a mapping holding '%s'", key);
    *node = cfg_get(map, key);
    if (!*node)
        return required ? cfg_fail(err, map, "missing key '%s'", key) : 0;
    if ((*node)->kind != CFG_SCALAR)
        return cfg_fail(err, *node, "'%s' must be %s, got %s", key, expected,
                        kind_name((*node)->kind));
    return 1;
}

/* Re-positions a message a cfg_parse_* function left in err->msg. */
static int fail_parse(struct cfg_error *err, const struct cfg_node *node, const char *key)
{
    char msg[CFG_MSG_MAX];

    snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
    return cfg_fail(err, node, "'%s': %s", key, msg);
}

/* As lookup: 1 with *out set when the key was there. */
static int get_u64(struct cfg_node *map, const char *key, bool required,
                   uint64_t min, uint64_t max, uint64_t *out, struct cfg_error *err)
{
    char expected[96], buf[64];
    struct cfg_node *node;
    uint64_t v;
    int rc;

    snprintf(expected, sizeof(expected), "an integer in [%" PRIu64 ", %" PRIu64 "]",
             min, max);
    rc = lookup(map, key, required, expected, &node, err);
    if (rc <= 0)
        return rc;
    if (cfg_parse_u64(node->value, &v, err))
        return cfg_fail(err, node, "'%s' must be %s, got '%s'", key, expected,
                        cfg_excerpt(node->value, buf, sizeof(buf)));
    if (v < min || v > max)
        return cfg_fail(err, node, "'%s' must be in [%" PRIu64 ", %" PRIu64 "], got %" PRIu64,
                        key, min, max, v);
    *out = v;
    return 1;
}

int cfg_get_u64(struct cfg_node *map, const char *key, bool required,
                uint64_t min, uint64_t max, uint64_t *out, struct cfg_error *err)
{
    return get_u64(map, key, required, min, max, out, err) < 0 ? -1 : 0;
}

int cfg_get_u32(struct cfg_node *map, const char *key, bool required,
                uint32_t min, uint32_t max, uint32_t *out, struct cfg_error *err)
{
    uint64_t v;
    int rc = get_u64(map, key, required, min, max, &v, err);

    if (rc == 1)
        *out = (uint32_t)v;
    return rc < 0 ? -1 : 0;
}

int cfg_get_double(struct cfg_node *map, const char *key, bool required,
                   double min, double max, double *out, struct cfg_error *err)
{
    char expected[96], buf[64];
    struct cfg_node *node;
    double v;
    int rc;

    snprintf(expected, sizeof(expected), "a number in [%g, %g]", min, max);
    rc = lookup(map, key, required, expected, &node, err);
    if (rc <= 0)
        return rc;
    if (cfg_parse_double(node->value, &v, err))
        return cfg_fail(err, node, "'%s' must be %s, got '%s'", key, expected,
                        cfg_excerpt(node->value, buf, sizeof(buf)));
    if (!(v >= min && v <= max))
        return cfg_fail(err, node, "'%s' must be in [%g, %g], got %g", key, min, max, v);
    *out = v;
    return 0;
}

int cfg_get_bool(struct cfg_node *map, const char *key, bool required, bool *out,
                 struct cfg_error *err)
{
    static const char *const yes[] = { "true", "on", "yes" };
    static const char *const no[] = { "false", "off", "no" };
    const char *expected = "true or false (or on/off, yes/no)";
    struct cfg_node *node;
    char buf[64];
    int rc = lookup(map, key, required, expected, &node, err);

    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(node->value, yes[i]) == 0 || strcmp(node->value, no[i]) == 0) {
            *out = strcmp(node->value, yes[i]) == 0;
            return 0;
        }
    }
    return cfg_fail(err, node, "'%s' must be %s, got '%s'", key, expected,
                    cfg_excerpt(node->value, buf, sizeof(buf)));
}

int cfg_get_str(struct cfg_node *map, const char *key, bool required,
                const char **out, struct cfg_error *err)
{
    struct cfg_node *node;
    int rc = lookup(map, key, required, "a string", &node, err);

    if (rc <= 0)
        return rc;
    *out = node->value;
    return 0;
}

static void join_names(char *buf, size_t size, const char *const *names, size_t n)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int cfg_get_enum(struct cfg_node *map, const char *key, bool required,
                 const char *const *names, size_t n_names, int *out,
                 struct cfg_error *err)
{
    char expected[200], list[180], buf[64];
    struct cfg_node *node;
    int rc;

    join_names(list, sizeof(list), names, n_names);
    snprintf(expected, sizeof(expected), "one of: %s", list);
    rc = lookup(map, key, required, expected, &node, err);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < n_names; i++) {
        if (strcmp(node->value, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    return cfg_fail(err, node, "'%s' must be %s; got '%s'", key, expected,
                    cfg_excerpt(node->value, buf, sizeof(buf)));
}

int cfg_get_time_ns(struct cfg_node *map, const char *key, bool required,
                    uint64_t key_unit_ns, uint64_t min_ns, uint64_t max_ns,
                    uint64_t *out_ns, struct cfg_error *err)
{
    struct cfg_node *node;
    uint64_t v;
    int rc = lookup(map, key, required, "a duration", &node, err);

    if (rc <= 0)
        return rc;
    if (cfg_parse_time_ns(node->value, key_unit_ns, &v, err))
        return fail_parse(err, node, key);
    if (v < min_ns || v > max_ns)
        return cfg_fail(err, node,
                        "'%s' must be in [%" PRIu64 ", %" PRIu64 "] ns, got %" PRIu64 " ns",
                        key, min_ns, max_ns, v);
    *out_ns = v;
    return 0;
}

int cfg_get_size_bytes(struct cfg_node *map, const char *key, bool required,
                       uint64_t key_unit_bytes, uint64_t min, uint64_t max,
                       uint64_t *out, struct cfg_error *err)
{
    struct cfg_node *node;
    uint64_t v;
    int rc = lookup(map, key, required, "a size", &node, err);

    if (rc <= 0)
        return rc;
    if (cfg_parse_size(node->value, key_unit_bytes, &v, err))
        return fail_parse(err, node, key);
    if (v < min || v > max)
        return cfg_fail(err, node,
                        "'%s' must be in [%" PRIu64 ", %" PRIu64 "] bytes, got %" PRIu64
                        " bytes",
                        key, min, max, v);
    *out = v;
    return 0;
}
