/* Building and editing trees: node constructors, free and deep copy, dotted
 * path lookup, command-line `--set a.b=v` overrides, and deep merge. Values
 * set here stay text; the typed getters validate them like any file value.
 * Nothing here appends to sequences or deletes keys. */
#include <stdlib.h>
#include <string.h>

#include "sim/cfg.h"

struct cfg_node *cfg_node_new(enum cfg_kind kind, const char *file, unsigned line,
                              unsigned col)
{
    struct cfg_node *node = calloc(1, sizeof(*node));

    if (!node)
        return NULL;
    node->file = strdup(file ? file : "?");
    if (!node->file) {
        free(node);
        return NULL;
    }
    node->kind = kind;
    node->line = line;
    node->col = col;
    return node;
}

struct cfg_node *cfg_scalar_new(const char *value, const char *file, unsigned line,
                                unsigned col)
{
    struct cfg_node *node = cfg_node_new(CFG_SCALAR, file, line, col);

    if (!node)
        return NULL;
    node->value = strdup(value);
    if (!node->value) {
        cfg_free(node);
        return NULL;
    }
    return node;
}

void cfg_free(struct cfg_node *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->n; i++) {
        cfg_free(node->child[i]);
        if (node->keys)
            free(node->keys[i]);
    }
    free(node->child);
    free(node->keys);
    free(node->key_line);
    free(node->key_col);
    free(node->value);
    free(node->file);
    free(node);
}

/* The arrays carry no capacity field: it is implied by n (4, then powers of
 * two), so they grow exactly when n reaches one of those sizes. Returns the
 * array with room for element n, NULL when out of memory (array intact). */
static void *grow(void *array, size_t n, size_t elem)
{
    size_t cap;

    if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
        return array;
    cap = n == 0 ? 4 : n * 2;
    if (cap > SIZE_MAX / elem)
        return NULL;
    return realloc(array, cap * elem);
}

int cfg_seq_add(struct cfg_node *seq, struct cfg_node *child)
{
    struct cfg_node **c = grow(seq->child, seq->n, sizeof(*c));

    if (!c)
        return -1;
    seq->child = c;
    seq->child[seq->n++] = child;
    return 0;
}

int cfg_map_add(struct cfg_node *map, const char *key, unsigned key_line,
                unsigned key_col, struct cfg_node *child)
{
    void *p;

    /* each array is stored as soon as it grew, so a later failure loses nothing */
    p = grow(map->child, map->n, sizeof(*map->child));
    if (p)
        map->child = p;
    p = p ? grow(map->keys, map->n, sizeof(*map->keys)) : NULL;
    if (p)
        map->keys = p;
    p = p ? grow(map->key_line, map->n, sizeof(*map->key_line)) : NULL;
    if (p)
        map->key_line = p;
    p = p ? grow(map->key_col, map->n, sizeof(*map->key_col)) : NULL;
    if (p)
        map->key_col = p;
    p = p ? strdup(key) : NULL;
    if (!p)
        return -1;
    map->keys[map->n] = p;
    map->key_line[map->n] = key_line;
    map->key_col[map->n] = key_col;
    map->child[map->n++] = child;
    return 0;
}

struct cfg_node *cfg_clone(const struct cfg_node *node)
{
    struct cfg_node *copy, *child;

    if (!node)
        return NULL;
    copy = node->kind == CFG_SCALAR
               ? cfg_scalar_new(node->value, node->file, node->line, node->col)
               : cfg_node_new(node->kind, node->file, node->line, node->col);
    if (!copy)
        return NULL;
    copy->used = node->used;
    for (size_t i = 0; i < node->n; i++) {
        child = cfg_clone(node->child[i]);
        if (!child)
            goto fail;
        if ((node->kind == CFG_MAP ? cfg_map_add(copy, node->keys[i], node->key_line[i],
                                                 node->key_col[i], child)
                                   : cfg_seq_add(copy, child)) != 0) {
            cfg_free(child);
            goto fail;
        }
    }
    return copy;
fail:
    cfg_free(copy);
    return NULL;
}

/* A sequence index: decimal digits only, below `n`. */
static bool seq_index(const char *seg, size_t n, size_t *index)
{
    size_t v = 0;

    if (*seg == '\0')
        return false;
    for (const char *p = seg; *p; p++) {
        if (*p < '0' || *p > '9' || v > (SIZE_MAX - 9) / 10)
            return false;
        v = v * 10 + (size_t)(*p - '0');
    }
    *index = v;
    return v < n;
}

/* The child named by one path segment, or NULL. */
static struct cfg_node *step(struct cfg_node *node, const char *seg)
{
    size_t i;

    if (node->kind == CFG_MAP)
        return cfg_map_find(node, seg, &i) ? node->child[i] : NULL;
    if (node->kind == CFG_SEQ)
        return seq_index(seg, node->n, &i) ? node->child[i] : NULL;
    return NULL;
}

struct cfg_node *cfg_path(struct cfg_node *root, const char *dotted)
{
    char seg[256];
    const char *p = dotted;

    while (root) {
        size_t len = strcspn(p, ".");

        if (len >= sizeof(seg))
            return NULL;
        memcpy(seg, p, len);
        seg[len] = '\0';
        root = step(root, seg);
        if (p[len] == '\0')
            return root;
        p += len + 1;
    }
    return NULL;
}

/* One --set in progress: the path split in place, and the names for errors. */
struct setter {
    char *path;          /* "a.b.c", segments NUL-separated as we go */
    const char *full;    /* the unsplit path, for "in 'a.b'" */
    const char *value;
    char *origin;        /* "--set a.b.c": file of the new node and of errors */
    struct cfg_error *err;
};

/* Why `seg` cannot be followed from `node`, whose path is full[0..plen). */
static int step_fail(const struct setter *s, const struct cfg_node *node,
                     const char *seg, size_t plen)
{
    char where[300];

    if (plen == 0)
        snprintf(where, sizeof(where), "the top level");
    else
        snprintf(where, sizeof(where), "'%.*s'", (int)plen, s->full);
    if (node->kind == CFG_MAP)
        return cfg_fail_at(s->err, s->origin, 0, 0, "no key '%s' in %s", seg, where);
    if (node->kind == CFG_SEQ)
        return cfg_fail_at(s->err, s->origin, 0, 0,
                           "no item '%s' in %s (a sequence of %zu items)", seg, where,
                           node->n);
    return cfg_fail_at(s->err, s->origin, 0, 0, "%s is a scalar; it has no '%s'", where,
                       seg);
}

/* A value written as a YAML flow collection ("[...]" or "{...}") replaces
 * a sequence or mapping whole (so `--set machine.nodes=[{...}, {...}]` can
 * change how many nodes there are); positions inside it are reported as
 * "--set key.path:1:<col>". Anything else is a scalar. */
static int new_value(const struct setter *s, const struct cfg_node *old, const char *seg,
                     struct cfg_node **node)
{
    static const char *const kinds[] = { "scalar", "mapping", "sequence" };
    bool flow = s->value[0] == '[' || s->value[0] == '{';

    *node = NULL;
    if (flow) {
        if (cfg_load_string(s->origin, s->value, node, s->err))
            return -1;
        if (!old || old->kind == (*node)->kind)
            return 0;
        cfg_free(*node);
        *node = NULL;
        return cfg_fail_at(s->err, s->origin, 0, 0, "'%s' is a %s; the value is a %s", seg,
                           kinds[old->kind], s->value[0] == '[' ? "sequence" : "mapping");
    }
    if (old && old->kind != CFG_SCALAR)
        return cfg_fail_at(s->err, s->origin, 0, 0, "'%s' is a %s; set one of its %s, "
                           "or all of it as %s", seg,
                           old->kind == CFG_MAP ? "mapping" : "sequence",
                           old->kind == CFG_MAP ? "keys" : "items",
                           old->kind == CFG_MAP ? "{k: v, ...}" : "[a, b, ...]");
    *node = cfg_scalar_new(s->value, s->origin, 0, 0);
    return *node ? 0 : cfg_fail_at(s->err, s->origin, 0, 0, "out of memory");
}

static int set_last(const struct setter *s, struct cfg_node *parent, const char *seg,
                    size_t plen)
{
    struct cfg_node *old = step(parent, seg), *node;
    size_t i;

    if (!old && parent->kind != CFG_MAP)
        return step_fail(s, parent, seg, plen);
    if (new_value(s, old, seg, &node))
        return -1;
    if (!old) {
        if (cfg_map_add(parent, seg, 0, 0, node) == 0)
            return 0;
        cfg_free(node);
        return cfg_fail_at(s->err, s->origin, 0, 0, "out of memory");
    }
    for (i = 0; parent->child[i] != old; i++)
        ;
    parent->child[i] = node;
    cfg_free(old);
    return 0;
}

/* Length of the path before segment `seg` (without its dot). */
static size_t prefix_len(const struct setter *s, const char *seg)
{
    return seg == s->path ? 0 : (size_t)(seg - s->path) - 1;
}

static int apply(struct setter *s, struct cfg_node *root)
{
    struct cfg_node *node = root, *next;
    char *seg = s->path;
    char *dot;

    while ((dot = strchr(seg, '.')) != NULL) {
        *dot = '\0';
        next = step(node, seg);
        if (!next && node->kind == CFG_MAP) {
            /* A section the file leaves out (e.g. `kernel:`): create it; a
             * misspelt one is still an unknown key, reported at this --set. */
            next = cfg_node_new(CFG_MAP, s->origin, 0, 0);
            if (!next || cfg_map_add(node, seg, 0, 0, next)) {
                cfg_free(next);
                return cfg_fail_at(s->err, s->origin, 0, 0, "out of memory");
            }
        }
        if (!next)
            return step_fail(s, node, seg, prefix_len(s, seg));
        node = next;
        seg = dot + 1;
    }
    return set_last(s, node, seg, prefix_len(s, seg));
}

static bool has_empty_segment(const char *path, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (path[i] == '.' && (i == 0 || i + 1 == len || path[i + 1] == '.'))
            return true;
    return false;
}

/* Syntax errors name the whole assignment, as the user typed it. */
static int check_syntax(const char *assignment, const char *eq, struct cfg_error *err)
{
    const char *msg = NULL;
    size_t plen = eq ? (size_t)(eq - assignment) : 0;

    if (!eq)
        msg = "expected key.path=value";
    else if (plen == 0)
        msg = "empty key path before '='";
    else if (has_empty_segment(assignment, plen))
        msg = "empty segment in key path";
    return msg ? cfg_fail_at(err, "", 0, 0, "%s", msg) : 0;
}

static char *concat(const char *a, const char *b, size_t blen)
{
    size_t alen = strlen(a);
    char *s = malloc(alen + blen + 1);

    if (s) {
        memcpy(s, a, alen);
        memcpy(s + alen, b, blen);
        s[alen + blen] = '\0';
    }
    return s;
}

int cfg_set_override(struct cfg_node *root, const char *assignment, struct cfg_error *err)
{
    const char *eq = strchr(assignment, '=');
    size_t plen = eq ? (size_t)(eq - assignment) : 0;
    struct setter s = { .value = eq ? eq + 1 : "", .err = err };
    int rc = -1;

    if (check_syntax(assignment, eq, err)) {
        if (err)
            snprintf(err->file, sizeof(err->file), "--set %s", assignment);
        return -1;
    }
    s.origin = concat("--set ", assignment, plen);
    s.path = concat("", assignment, plen);
    if (!s.origin || !s.path) {
        cfg_fail_at(err, "--set", 0, 0, "out of memory");
        goto out;
    }
    s.full = s.origin + strlen("--set ");
    if (!root || root->kind != CFG_MAP)
        rc = cfg_fail_at(err, s.origin, 0, 0, "the configuration is not a mapping");
    else
        rc = apply(&s, root);
out:
    free(s.path);
    free(s.origin);
    return rc;
}

/* Merge is checked before anything changes, so a kind mismatch leaves dst
 * as it was. */
static int merge_check(const struct cfg_node *dst, const struct cfg_node *src,
                       struct cfg_error *err)
{
    static const char *const kinds[] = { "a scalar", "a mapping", "a sequence" };
    const struct cfg_node *d, *s;
    size_t j;

    for (size_t i = 0; i < src->n; i++) {
        if (!cfg_map_find(dst, src->keys[i], &j))
            continue;
        d = dst->child[j];
        s = src->child[i];
        if (d->kind == CFG_MAP && s->kind == CFG_MAP) {
            if (merge_check(d, s, err))
                return -1;
        } else if (d->kind != s->kind) {
            return cfg_fail(err, s, "cannot merge '%s': %s here but %s in %s:%u",
                            src->keys[i], kinds[s->kind], kinds[d->kind], d->file,
                            d->line);
        }
    }
    return 0;
}

static int merge_apply(struct cfg_node *dst, const struct cfg_node *src,
                       struct cfg_error *err)
{
    struct cfg_node *copy;
    size_t j;

    for (size_t i = 0; i < src->n; i++) {
        bool found = cfg_map_find(dst, src->keys[i], &j);

        if (found && dst->child[j]->kind == CFG_MAP) {
            if (merge_apply(dst->child[j], src->child[i], err))
                return -1;
            continue;
        }
        copy = cfg_clone(src->child[i]);
        if (!copy)
            return cfg_fail(err, src, "out of memory");
        if (!found) {
            if (cfg_map_add(dst, src->keys[i], src->key_line[i], src->key_col[i], copy)) {
                cfg_free(copy);
                return cfg_fail(err, src, "out of memory");
            }
            continue;
        }
        cfg_free(dst->child[j]);
        dst->child[j] = copy;
        dst->key_line[j] = src->key_line[i];
        dst->key_col[j] = src->key_col[i];
    }
    return 0;
}

int cfg_merge(struct cfg_node *dst, const struct cfg_node *src, struct cfg_error *err)
{
    if (!dst || dst->kind != CFG_MAP)
        return cfg_fail(err, dst, "can only merge into a mapping");
    if (!src || src->kind != CFG_MAP)
        return cfg_fail(err, src, "can only merge a mapping");
    if (merge_check(dst, src, err))
        return -1;
    return merge_apply(dst, src, err);
}
