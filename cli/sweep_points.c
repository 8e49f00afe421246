/* The points of a sweep: the cross product of the axes (first axis varies
 * slowest, repeats fastest), each with a deterministic directory name
 * ("<policy>__<machine>__<key>=<value>[__r<k>]", unsafe characters as '_')
 * and the `tlbsim run` command line that computes it. */
#include <inttypes.h>
#include <string.h>

#include "cli/sweep.h"

char *sweep_safe_name(const char *text)
{
    char *s = g_strdup(text);

    for (char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("._=+-", *p))
            *p = '_';
    return s;
}

/* A plain flow scalar needs none of YAML's indicators and no edge spaces. */
static bool flow_plain(const char *v)
{
    size_t len = strlen(v);

    if (len == 0 || v[0] == ' ' || v[len - 1] == ' ' || v[0] == '-')
        return false;
    for (const char *p = v; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("_./+ ", *p))
            return false;
    return true;
}

static void flow_append(GString *s, const struct cfg_node *node)
{
    switch (node->kind) {
    case CFG_SCALAR:
        if (flow_plain(node->value)) {
            g_string_append(s, node->value);
            break;
        }
        g_string_append_c(s, '"');
        for (const char *p = node->value; *p; p++) {
            if (*p == '"' || *p == '\\')
                g_string_append_c(s, '\\');
            if ((unsigned char)*p < 0x20)
                g_string_append_printf(s, "\\x%02x", (unsigned char)*p);
            else
                g_string_append_c(s, *p);
        }
        g_string_append_c(s, '"');
        break;
    case CFG_MAP:
    case CFG_SEQ:
        g_string_append_c(s, node->kind == CFG_MAP ? '{' : '[');
        for (size_t i = 0; i < node->n; i++) {
            if (i)
                g_string_append(s, ", ");
            if (node->kind == CFG_MAP) {
                struct cfg_node key = { .kind = CFG_SCALAR, .value = node->keys[i] };

                flow_append(s, &key);
                g_string_append(s, ": ");
            }
            flow_append(s, node->child[i]);
        }
        g_string_append_c(s, node->kind == CFG_MAP ? '}' : ']');
        break;
    }
}

char *sweep_flow_text(const struct cfg_node *node)
{
    GString *s = g_string_new(NULL);

    flow_append(s, node);
    return g_string_free(s, FALSE);
}

char *sweep_shell_quote(const char *word)
{
    GString *s;

    if (*word && strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                              "0123456789_./=+:,@%-") == strlen(word))
        return g_strdup(word);
    s = g_string_new("'");
    for (const char *p = word; *p; p++) {
        if (*p == '\'')
            g_string_append(s, "'\\''");
        else
            g_string_append_c(s, *p);
    }
    g_string_append_c(s, '\'');
    return g_string_free(s, FALSE);
}

static void point_free(gpointer p)
{
    struct sweep_point *pt = p;

    g_free(pt->name);
    g_ptr_array_free(pt->sets, TRUE);
    g_ptr_array_free(pt->set_at, TRUE);
    g_free(pt->labels);
    g_free(pt);
}

void sweep_points_free(GPtrArray *points)
{
    if (points)
        g_ptr_array_free(points, TRUE);
}

/* The point at mixed-radix index `idx` (digits: value per axis, then repeat). */
static struct sweep_point *point_make(const struct sweep_spec *spec, size_t idx)
{
    struct sweep_point *p = g_new0(struct sweep_point, 1);
    size_t n_axes = spec->axes->len;
    size_t *digit = g_new0(size_t, n_axes);
    GString *name = g_string_new(NULL);

    p->sets = g_ptr_array_new_with_free_func(g_free);
    p->set_at = g_ptr_array_new();
    p->labels = g_new0(const char *, n_axes);
    p->repeat = (unsigned)(idx % spec->repeats);
    p->seed = spec->base_seed + p->repeat;
    idx /= spec->repeats;
    for (size_t a = n_axes; a-- > 0;) {
        const struct sweep_axis *axis = spec->axes->pdata[a];

        digit[a] = idx % axis->values->len;
        idx /= axis->values->len;
    }
    for (size_t i = 0; i < spec->fixed->len; i++) {
        g_ptr_array_add(p->sets, g_strdup(spec->fixed->pdata[i]));
        g_ptr_array_add(p->set_at, spec->fixed_at->pdata[i]);
    }
    for (size_t a = 0; a < n_axes; a++) {
        const struct sweep_axis *axis = spec->axes->pdata[a];
        const struct sweep_value *v = axis->values->pdata[digit[a]];
        bool bare = strcmp(axis->key, "policy") == 0 || strcmp(axis->key, "machine") == 0;
        char *part = bare ? g_strdup(v->label) : g_strdup_printf("%s=%s", axis->key, v->label);
        char *safe = sweep_safe_name(part);

        g_string_append_printf(name, "%s%s", a ? "__" : "", safe);
        p->labels[a] = v->label;
        for (size_t i = 0; i < v->sets->len; i++) {
            g_ptr_array_add(p->sets, g_strdup(v->sets->pdata[i]));
            g_ptr_array_add(p->set_at, (gpointer)v->at);
        }
        g_free(safe);
        g_free(part);
    }
    if (spec->repeats > 1)
        g_string_append_printf(name, "__r%u", p->repeat);
    p->name = g_string_free(name, FALSE);
    g_free(digit);
    return p;
}

/* Two values whose names differ only in unsafe characters (or two machine
 * files with one base name) would share a directory: refuse. */
static int names_unique(GPtrArray *points, struct cfg_error *err,
                        const struct sweep_spec *spec)
{
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    int rc = 0;

    for (size_t i = 0; i < points->len && rc == 0; i++) {
        struct sweep_point *p = points->pdata[i];

        if (g_hash_table_contains(seen, p->name))
            rc = cfg_fail(err, cfg_path(spec->root, "axes"),
                          "two points would share the directory '%s'; make the values "
                          "differ in [A-Za-z0-9._=+-]", p->name);
        g_hash_table_add(seen, p->name);
    }
    g_hash_table_destroy(seen);
    return rc;
}

int sweep_points_expand(const struct sweep_spec *spec, GPtrArray **points,
                        struct cfg_error *err)
{
    size_t total = spec->repeats;

    for (size_t a = 0; a < spec->axes->len; a++) {
        const struct sweep_axis *axis = spec->axes->pdata[a];

        if (total > SWEEP_MAX_POINTS / axis->values->len)
            return cfg_fail(err, cfg_path(spec->root, "axes"),
                            "the sweep has more than %d points", SWEEP_MAX_POINTS);
        total *= axis->values->len;
    }
    *points = g_ptr_array_new_with_free_func(point_free);
    for (size_t i = 0; i < total; i++)
        g_ptr_array_add(*points, point_make(spec, i));
    if (names_unique(*points, err, spec) == 0)
        return 0;
    sweep_points_free(*points);
    *points = NULL;
    return -1;
}

char **sweep_point_argv(const struct sweep_spec *spec, const struct sweep_point *p,
                        const char *exe, const char *point_dir)
{
    GPtrArray *argv = g_ptr_array_new();

    g_ptr_array_add(argv, g_strdup(exe));
    g_ptr_array_add(argv, g_strdup("run"));
    g_ptr_array_add(argv, g_strdup(spec->scenario));
    g_ptr_array_add(argv, g_strdup("--quiet"));
    g_ptr_array_add(argv, g_strdup("--out"));
    g_ptr_array_add(argv, g_strdup(point_dir));
    if (spec->repeats > 1) {
        g_ptr_array_add(argv, g_strdup("--seed"));
        g_ptr_array_add(argv, g_strdup_printf("%" PRIu64, p->seed));
    }
    for (size_t i = 0; i < p->sets->len; i++) {
        g_ptr_array_add(argv, g_strdup("--set"));
        g_ptr_array_add(argv, g_strdup(p->sets->pdata[i]));
    }
    g_ptr_array_add(argv, NULL);
    return (char **)g_ptr_array_free(argv, FALSE);
}
