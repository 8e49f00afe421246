/* Reading a sweep spec (schema in configs/README.md, "Sweep specs") into
 * axes of values, each value being the `--set` assignments that select it.
 * Every error is positioned in the spec (`spec.yaml:L:C: error: ...`);
 * files the spec names (scenario, machines) must exist. Paths are relative
 * to the spec file and stored absolute, so a point's command runs anywhere. */
#include <math.h>
#include <string.h>

#include "cli/sweep.h"

#define SWEEP_MAX_AXIS_VALUES 10000

static const char *const spec_keys[] = { "scenario", "axes", "repeats", "set", "out", NULL };

static char *spec_relative(const struct sweep_spec *spec, const char *rel)
{
    char *dir, *joined, *abs;

    if (g_path_is_absolute(rel))
        return g_canonicalize_filename(rel, NULL);
    dir = g_path_get_dirname(spec->path);
    joined = g_build_filename(dir, rel, NULL);
    abs = g_canonicalize_filename(joined, NULL);
    g_free(dir);
    g_free(joined);
    return abs;
}

/* An existing regular file named by a scalar of the spec, made absolute. */
static int spec_file(const struct sweep_spec *spec, const struct cfg_node *at,
                     const char *what, char **out, struct cfg_error *err)
{
    if (at->kind != CFG_SCALAR || !*at->value)
        return cfg_fail(err, at, "%s must be a file path", what);
    *out = spec_relative(spec, at->value);
    if (g_file_test(*out, G_FILE_TEST_IS_REGULAR))
        return 0;
    cfg_fail(err, at, "%s '%s' not found (paths are relative to the spec file)", what,
             at->value);
    g_free(*out);
    *out = NULL;
    return -1;
}

static struct sweep_value *value_new(const char *label, const struct cfg_node *at)
{
    struct sweep_value *v = g_new0(struct sweep_value, 1);

    v->label = g_strdup(label);
    v->sets = g_ptr_array_new_with_free_func(g_free);
    v->at = at;
    return v;
}

static void value_free(gpointer p)
{
    struct sweep_value *v = p;

    g_free(v->label);
    g_ptr_array_free(v->sets, TRUE);
    g_free(v);
}

static void axis_free(gpointer p)
{
    struct sweep_axis *a = p;

    g_free(a->key);
    g_ptr_array_free(a->values, TRUE);
    g_free(a);
}

/* "key=value": scalars as written, collections as flow text (replace whole). */
static char *assignment(const char *key, const struct cfg_node *value)
{
    char *text = value->kind == CFG_SCALAR ? g_strdup(value->value) : sweep_flow_text(value);
    char *a = g_strdup_printf("%s=%s", key, text);

    g_free(text);
    return a;
}

static bool dotted_key_ok(const char *key)
{
    if (!*key || key[0] == '.' || key[strlen(key) - 1] == '.' || strstr(key, ".."))
        return false;
    for (const char *p = key; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '.')
            return false;
    return true;
}

/* A `set:` mapping of dotted keys to values (the spec's, or a machine's:
 * scenario keys that go with that machine, such as readers per CPU) appended
 * to `sets`, and each value's node to `at` when given. */
static int scenario_sets(GPtrArray *sets, GPtrArray *at, const struct cfg_node *set,
                         struct cfg_error *err)
{
    if (set->kind != CFG_MAP)
        return cfg_fail(err, set, "'set' must be a mapping of dotted keys to values");
    for (size_t k = 0; k < set->n; k++) {
        if (!dotted_key_ok(set->keys[k]))
            return cfg_fail_key(err, set, k, "'%s' is not a dotted key", set->keys[k]);
        g_ptr_array_add(sets, assignment(set->keys[k], set->child[k]));
        if (at)
            g_ptr_array_add(at, set->child[k]);
    }
    return 0;
}

/* machine: a path, or {path: P, <machine keys>, set: {<scenario keys>}}, the
 * first two as in a scenario's machine:. */
static int machine_value(const struct sweep_spec *spec, const struct cfg_node *item,
                         struct sweep_value **out, struct cfg_error *err)
{
    const struct cfg_node *pnode = item;
    char *abs = NULL, *base, *label;
    struct sweep_value *v;
    size_t pi = 0;

    if (item->kind == CFG_MAP) {
        if (!cfg_map_find(item, "path", &pi))
            return cfg_fail(err, item, "a machine given as a mapping needs 'path'");
        pnode = item->child[pi];
    } else if (item->kind != CFG_SCALAR) {
        return cfg_fail(err, item, "a machine is a path or a mapping with 'path'");
    }
    if (spec_file(spec, pnode, "machine file", &abs, err))
        return -1;
    base = g_path_get_basename(abs);
    label = g_strndup(base, strcspn(base, "."));
    v = value_new(label, item);
    g_ptr_array_add(v->sets, g_strdup_printf("machine.path=%s", abs));
    for (size_t i = 0; item->kind == CFG_MAP && i < item->n; i++) {
        char *key;

        if (i == pi)
            continue;
        if (strcmp(item->keys[i], "set") == 0) {
            if (scenario_sets(v->sets, NULL, item->child[i], err))
                goto fail;
            continue;
        }
        key = g_strdup_printf("machine.%s", item->keys[i]);
        g_ptr_array_add(v->sets, assignment(key, item->child[i]));
        g_free(key);
    }
    g_free(label);
    g_free(base);
    g_free(abs);
    *out = v;
    return 0;
fail:
    value_free(v);
    g_free(label);
    g_free(base);
    g_free(abs);
    return -1;
}

static bool is_integer_text(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (!g_ascii_isdigit(*s))
            return false;
    return true;
}

static int range_number(const struct cfg_node *map, const char *key, double *out,
                        bool *integral, struct cfg_error *err)
{
    const struct cfg_node *n = cfg_get((struct cfg_node *)map, key);

    if (!n)
        return cfg_fail(err, map, "missing key '%s' in the range", key);
    if (n->kind != CFG_SCALAR || cfg_parse_double(n->value, out, err))
        return cfg_fail(err, n, "'%s' must be a number", key);
    *integral = *integral && is_integer_text(n->value) && fabs(*out) < 9e15;
    return 0;
}

/* {from, to, step} (arithmetic) or {from, to, factor} (geometric), both ends
 * included; integers stay integers. A small relative slack on `to` keeps
 * 0.1-steps from losing their last value to rounding. */
static int range_values(struct sweep_axis *axis, const struct cfg_node *map,
                        struct cfg_error *err)
{
    size_t i;
    bool integral = true, geometric = cfg_map_find(map, "factor", &i);
    double from, to, by;

    if (range_number(map, "from", &from, &integral, err) ||
        range_number(map, "to", &to, &integral, err) ||
        range_number(map, geometric ? "factor" : "step", &by, &integral, err))
        return -1;
    if (cfg_check_unknown(map, err))
        return -1;
    if (geometric ? (from <= 0 || by <= 1) : by <= 0)
        return cfg_fail(err, map, geometric ? "a geometric range needs from > 0 and factor > 1"
                                            : "a range needs step > 0");
    if (to < from)
        return cfg_fail(err, map, "a range needs to >= from");
    for (i = 0;; i++) {
        double v = geometric ? from * pow(by, (double)i) : from + by * (double)i;
        struct sweep_value *val;
        char text[64];

        if (v > to + fabs(to) * 1e-9 + (geometric ? 0 : by * 1e-9))
            break;
        if (i >= SWEEP_MAX_AXIS_VALUES)
            return cfg_fail(err, map, "the range has more than %d values", SWEEP_MAX_AXIS_VALUES);
        if (integral)
            snprintf(text, sizeof(text), "%.0f", v);
        else
            snprintf(text, sizeof(text), "%.10g", v);
        val = value_new(text, map);
        g_ptr_array_add(val->sets, g_strdup_printf("%s=%s", axis->key, text));
        g_ptr_array_add(axis->values, val);
    }
    return 0;
}

static int list_value(const struct sweep_spec *spec, struct sweep_axis *axis,
                      const struct cfg_node *item, struct cfg_error *err)
{
    struct sweep_value *v = NULL;
    char *text;

    if (strcmp(axis->key, "machine") == 0) {
        if (machine_value(spec, item, &v, err))
            return -1;
    } else if (strcmp(axis->key, "policy") == 0) {
        if (item->kind != CFG_SCALAR || !*item->value)
            return cfg_fail(err, item, "a policy is a name (see `tlbsim list`)");
        v = value_new(item->value, item);
        g_ptr_array_add(v->sets, g_strdup_printf("policy.name=%s", item->value));
    } else {
        text = item->kind == CFG_SCALAR ? g_strdup(item->value) : sweep_flow_text(item);
        v = value_new(text, item);
        g_ptr_array_add(v->sets, assignment(axis->key, item));
        g_free(text);
    }
    g_ptr_array_add(axis->values, v);
    return 0;
}

static int axis_parse(const struct sweep_spec *spec, const struct cfg_node *axes, size_t k,
                      struct sweep_axis **out, struct cfg_error *err)
{
    const char *key = axes->keys[k];
    const struct cfg_node *vals = axes->child[k];
    struct sweep_axis *axis;
    int rc = 0;

    if (!dotted_key_ok(key))
        return cfg_fail_key(err, axes, k, "axis '%s' is not a dotted key", key);
    if (strcmp(key, "seed") == 0)
        return cfg_fail_key(err, axes, k, "use 'repeats: N' for seeds");
    if (strcmp(key, "policy.name") == 0 || strncmp(key, "machine.path", 12) == 0)
        return cfg_fail_key(err, axes, k, "use the axis '%s' instead",
                            key[0] == 'p' ? "policy" : "machine");
    axis = g_new0(struct sweep_axis, 1);
    axis->key = g_strdup(key);
    axis->values = g_ptr_array_new_with_free_func(value_free);
    if (vals->kind == CFG_MAP && strcmp(key, "machine") != 0 && strcmp(key, "policy") != 0) {
        rc = range_values(axis, vals, err);
    } else if (vals->kind != CFG_SEQ || vals->n == 0) {
        rc = cfg_fail(err, vals, "axis '%s' needs a non-empty list%s", key,
                      strcmp(key, "machine") && strcmp(key, "policy")
                          ? " or a range {from:, to:, step: | factor:}" : "");
    } else {
        for (size_t i = 0; rc == 0 && i < vals->n; i++)
            rc = list_value(spec, axis, vals->child[i], err);
    }
    if (rc) {
        axis_free(axis);
        return -1;
    }
    *out = axis;
    return 0;
}

static int axes_parse(struct sweep_spec *spec, struct cfg_error *err)
{
    struct cfg_node *axes = cfg_get(spec->root, "axes");

    if (!axes)
        return cfg_fail(err, spec->root, "missing key 'axes'");
    if (axes->kind != CFG_MAP || axes->n == 0)
        return cfg_fail(err, axes, "'axes' must be a mapping of axis: values");
    for (size_t k = 0; k < axes->n; k++) {
        struct sweep_axis *axis = NULL;

        if (axis_parse(spec, axes, k, &axis, err))
            return -1;
        g_ptr_array_add(spec->axes, axis);
    }
    return 0;
}

static int fixed_parse(struct sweep_spec *spec, struct cfg_error *err)
{
    struct cfg_node *set = cfg_get(spec->root, "set");

    return set ? scenario_sets(spec->fixed, spec->fixed_at, set, err) : 0;
}

/* Repeat r runs with seed base + r: `set: {seed: N}`, else the scenario's
 * own `seed:` (default 1, as the scenario loader has it). */
static int base_seed(struct sweep_spec *spec, struct cfg_error *err)
{
    struct cfg_node *set = cfg_get(spec->root, "set"), *scen = NULL;
    int rc;

    spec->base_seed = 1;
    if (set && cfg_path(set, "seed"))
        return cfg_get_u64(set, "seed", true, 0, UINT64_MAX - SWEEP_MAX_POINTS,
                           &spec->base_seed, err);
    if (cfg_load_file(spec->scenario, &scen, err))
        return -1;
    rc = scen->kind == CFG_MAP ? cfg_get_u64(scen, "seed", false, 0,
                                             UINT64_MAX - SWEEP_MAX_POINTS,
                                             &spec->base_seed, err) : 0;
    cfg_free(scen);
    return rc;
}

static int spec_parse(struct sweep_spec *spec, struct cfg_error *err)
{
    struct cfg_node *root = spec->root, *scen;
    const char *out = NULL;
    char *base;

    if (root->kind != CFG_MAP)
        return cfg_fail(err, root, "a sweep spec must be a mapping");
    scen = cfg_get(root, "scenario");
    if (!scen)
        return cfg_fail(err, root, "missing key 'scenario'");
    if (spec_file(spec, scen, "scenario", &spec->scenario, err) ||
        cfg_get_u32(root, "repeats", false, 1, SWEEP_MAX_POINTS, &spec->repeats, err) ||
        cfg_get_str(root, "out", false, &out, err) || fixed_parse(spec, err) ||
        axes_parse(spec, err) || base_seed(spec, err))
        return -1;
    for (size_t i = 0; spec_keys[i]; i++)
        (void)cfg_get(root, spec_keys[i]);
    if (cfg_check_unknown(root, err))
        return -1;
    base = g_path_get_basename(spec->path);
    if (strrchr(base, '.') && strrchr(base, '.') != base)
        *strrchr(base, '.') = '\0';     /* policies.yaml -> policies */
    spec->out_dir = out ? g_strdup(out) : g_strdup_printf("results/sweeps/%s", base);
    g_free(base);
    return 0;
}

int sweep_spec_load(const char *path, struct sweep_spec **out, struct cfg_error *err)
{
    struct sweep_spec *spec = g_new0(struct sweep_spec, 1);

    spec->path = g_strdup(path);
    spec->repeats = 1;
    spec->axes = g_ptr_array_new_with_free_func(axis_free);
    spec->fixed = g_ptr_array_new_with_free_func(g_free);
    spec->fixed_at = g_ptr_array_new();
    if (cfg_load_file(path, &spec->root, err) || spec_parse(spec, err)) {
        sweep_spec_free(spec);
        return -1;
    }
    *out = spec;
    return 0;
}

void sweep_spec_free(struct sweep_spec *spec)
{
    if (!spec)
        return;
    cfg_free(spec->root);
    g_free(spec->path);
    g_free(spec->scenario);
    g_free(spec->out_dir);
    g_ptr_array_free(spec->axes, TRUE);
    g_ptr_array_free(spec->fixed, TRUE);
    g_ptr_array_free(spec->fixed_at, TRUE);
    g_free(spec);
}
