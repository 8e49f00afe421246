/* Loading a scenario: the file, `--set` overrides (machine.* ones go to the
 * machine it names), the machine with its overrides, kernel, policy,
 * timing and workloads; every check happens here, before anything runs. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "models/run.h"
#include "models/scenario.h"

static const char *const top_keys[] = {
    "name", "machine", "kernel", "policy", "seed", "duration_ms", "warmup_ms", "output",
    "workloads", "description", "hazards", NULL,
};

/* cfg_set_override names nodes it makes "--set <path as given to it>"; for
 * machine.* sets that path lacks the "machine." prefix the user typed, so
 * rename every node on the path that carries the shorter origin. */
static int set_origin(struct cfg_node *root, const char *rel, const char *assignment)
{
    size_t len = strcspn(rel, "=");
    char *path = g_strndup(rel, len);
    char *short_origin = g_strdup_printf("--set %s", path);
    char *origin = g_strdup_printf("--set %.*s", (int)strcspn(assignment, "="), assignment);

    for (size_t i = 1; i <= len; i++) {
        struct cfg_node *n;

        if (i < len && path[i] != '.')
            continue;
        path[i] = '\0';
        n = cfg_path(root, path);
        if (n && strcmp(n->file, short_origin) == 0) {
            free(n->file);
            n->file = strdup(origin);
        }
        if (i < len)
            path[i] = '.';
    }
    g_free(origin);
    g_free(short_origin);
    g_free(path);
    return 0;
}

/* A --set of the scenario itself. `machine.path=FILE` names another machine
 * file whether the scenario wrote `machine: FILE` or `machine: {path: FILE}`
 * (a relative FILE is taken from the current directory, as typed). */
static int set_scenario_key(struct cfg_node *root, const char *set, struct cfg_error *err)
{
    struct cfg_node *mach = cfg_path(root, "machine");
    char *abs, *cwd;
    char *assignment;
    int rc;

    if (strncmp(set, "machine.path=", 13) != 0 || !mach)
        return cfg_set_override(root, set, err);
    cwd = g_get_current_dir();
    abs = g_path_is_absolute(set + 13) ? g_strdup(set + 13) : g_build_filename(cwd, set + 13, NULL);
    g_free(cwd);
    assignment = g_strdup_printf("%s=%s", mach->kind == CFG_SCALAR ? "machine" : "machine.path", abs);
    rc = cfg_set_override(root, assignment, err);
    if (rc == 0)
        set_origin(root, mach->kind == CFG_SCALAR ? "machine" : "machine.path", set);
    g_free(assignment);
    g_free(abs);
    return rc;
}

static char *resolve_path(const char *scenario_path, const char *rel)
{
    char *dir;
    char *full;

    if (g_path_is_absolute(rel))
        return g_strdup(rel);
    dir = g_path_get_dirname(scenario_path);
    full = g_build_filename(dir, rel, NULL);
    g_free(dir);
    return full;
}

/* machine: PATH, or {path: PATH, <machine keys to override>}. */
static int load_machine(struct scenario *sc, const char *const *sets, size_t n_sets,
                        struct cfg_error *err)
{
    struct cfg_node *node = cfg_get(sc->root, "machine"), *over = NULL, *at = node;
    const char *rel = NULL;

    if (!node)
        return cfg_fail(err, sc->root, "missing key 'machine'");
    if (node->kind == CFG_SCALAR) {
        rel = node->value;
    } else if (node->kind == CFG_MAP) {
        if (cfg_get_str(node, "path", true, &rel, err))
            return -1;
        at = cfg_get(node, "path");
        over = cfg_node_new(CFG_MAP, node->file, node->line, node->col);
        for (size_t i = 0; over && i < node->n; i++) {
            struct cfg_node *copy;

            if (strcmp(node->keys[i], "path") == 0)
                continue;
            copy = cfg_clone(node->child[i]);
            if (!copy || cfg_map_add(over, node->keys[i], node->key_line[i], node->key_col[i], copy))
                abort();    /* out of memory, as g_malloc would */
        }
    } else {
        return cfg_fail(err, node, "'machine' must be a path or a mapping with 'path'");
    }
    sc->machine_path = resolve_path(sc->path, rel);
    if (cfg_load_file(sc->machine_path, &sc->machine_tree, err)) {
        /* No position: the file itself could not be read (missing, a
         * directory, too large). Report it where the scenario names it. */
        if (err->line == 0) {
            char msg[CFG_MSG_MAX];

            snprintf(msg, sizeof(msg), "%s", err->msg);
            cfg_fail(err, at, "machine file '%s': %s", sc->machine_path, msg);
        }
        goto fail;
    }
    if (over && cfg_merge(sc->machine_tree, over, err))
        goto fail;
    cfg_free(over);
    over = NULL;
    for (size_t i = 0; i < n_sets; i++) {
        if (strncmp(sets[i], "machine.", 8) != 0 || strncmp(sets[i], "machine.path=", 13) == 0)
            continue;
        if (cfg_set_override(sc->machine_tree, sets[i] + 8, err)) {
            /* name the assignment as written, with its "machine." */
            snprintf(err->file, sizeof(err->file), "--set %.*s",
                     (int)strcspn(sets[i], "="), sets[i]);
            return -1;
        }
        set_origin(sc->machine_tree, sets[i] + 8, sets[i]);
    }
    sc->mcfg = g_new0(struct machine_cfg, 1);
    return machine_cfg_load(sc->machine_tree, sc->mcfg, err);
fail:
    cfg_free(over);
    return -1;
}

static int load_policy(struct scenario *sc, struct cfg_error *err)
{
    struct cfg_node *map = cfg_get(sc->root, "policy");
    const char *name = NULL;

    if (!map)
        return cfg_fail(err, sc->root, "missing key 'policy'");
    if (cfg_expect(map, CFG_MAP, "policy", err) || cfg_get_str(map, "name", true, &name, err))
        return -1;
    sc->policy = policy_lookup(name);
    if (!sc->policy) {
        GString *names = g_string_new(NULL);

        for (size_t i = 0; i < policy_count(); i++)
            g_string_append_printf(names, "%s%s", i ? ", " : "", policy_at(i)->name);
        cfg_fail(err, cfg_get(map, "name"), "unknown policy '%s' (known: %s)", name, names->str);
        g_string_free(names, TRUE);
        return -1;
    }
    sc->policy_priv = g_malloc0(sc->policy->priv_size ? sc->policy->priv_size : 1);
    if (sc->policy->configure && sc->policy->configure(sc->policy_priv, map, err))
        return -1;
    return cfg_check_unknown(map, err);
}

/* output.trace_window: {start_ms, end_ms}, simulated time since the start
 * of the run (warm-up included); each defaults to the measured window's. */
static int load_trace_window(struct scenario *sc, struct cfg_node *w, struct cfg_error *err)
{
    sim_time_t run_end = sc->warmup_ns + sc->duration_ns;

    if (!w)
        return 0;
    if (cfg_expect(w, CFG_MAP, "output.trace_window", err) ||
        cfg_get_time_ns(w, "start_ms", false, SIM_MS, 0, 3600 * SIM_S,
                        &sc->trace_window.start_ns, err) ||
        cfg_get_time_ns(w, "end_ms", false, SIM_MS, 0, 3600 * SIM_S, &sc->trace_window.end_ns,
                        err) ||
        cfg_check_unknown(w, err))
        return -1;
    if (sc->trace_window.end_ns > run_end)
        return cfg_fail(err, w, "trace_window ends at %.6g ms, after the run (warmup_ms + "
                        "duration_ms = %.6g ms)", (double)sc->trace_window.end_ns / 1e6,
                        (double)run_end / 1e6);
    if (sc->trace_window.start_ns >= sc->trace_window.end_ns)
        return cfg_fail(err, w, "trace_window is empty: start_ms %.6g >= end_ms %.6g",
                        (double)sc->trace_window.start_ns / 1e6,
                        (double)sc->trace_window.end_ns / 1e6);
    return 0;
}

static int load_timing(struct scenario *sc, bool has_seed, uint64_t seed, struct cfg_error *err)
{
    struct cfg_node *out;

    sc->seed = 1;
    if (cfg_get_u64(sc->root, "seed", false, 0, UINT64_MAX, &sc->seed, err) ||
        cfg_get_time_ns(sc->root, "duration_ms", true, SIM_MS, SIM_US, 3600 * SIM_S,
                        &sc->duration_ns, err) ||
        cfg_get_time_ns(sc->root, "warmup_ms", false, SIM_MS, 0, 3600 * SIM_S, &sc->warmup_ns, err))
        return -1;
    if (has_seed)
        sc->seed = seed;
    sc->bucket_ns = sc->duration_ns / 100 ? sc->duration_ns / 100 : 1;
    sc->snapshot_ns = sc->duration_ns / 10 ? sc->duration_ns / 10 : 1;
    sc->trace_window = (struct trace_window){ sc->warmup_ns, sc->warmup_ns + sc->duration_ns };
    out = cfg_get(sc->root, "output");
    if (!out)
        return 0;
    if (cfg_expect(out, CFG_MAP, "output", err) ||
        cfg_get_time_ns(out, "timeseries_bucket_ms", false, SIM_MS, SIM_US, 3600 * SIM_S,
                        &sc->bucket_ns, err) ||
        cfg_get_time_ns(out, "snapshot_ms", false, SIM_MS, SIM_US, 3600 * SIM_S,
                        &sc->snapshot_ns, err) ||
        cfg_get_u64(out, "trace_events", false, 0, 100000000, &sc->trace_events, err) ||
        cfg_get_u64(out, "timeline_events", false, 0, 100000000, &sc->timeline_events, err) ||
        load_trace_window(sc, cfg_get(out, "trace_window"), err))
        return -1;
    /* Longer than the window (a sweep that shortens it): one per window. */
    if (sc->bucket_ns > sc->duration_ns)
        sc->bucket_ns = sc->duration_ns;
    if (sc->snapshot_ns > sc->duration_ns)
        sc->snapshot_ns = sc->duration_ns;
    return cfg_check_unknown(out, err);
}

static int load_name(struct scenario *sc, struct cfg_error *err)
{
    const char *name = NULL;
    char *base;

    if (cfg_get_str(sc->root, "name", false, &name, err) ||
        cfg_get_str(sc->root, "description", false, &(const char *){ NULL }, err))
        return -1;
    if (name) {
        sc->name = g_strdup(name);
        return 0;
    }
    base = g_path_get_basename(sc->path);
    if (g_str_has_suffix(base, ".yaml"))
        base[strlen(base) - 5] = '\0';
    sc->name = base;
    return 0;
}

int run_load(const char *path, const char *const *sets, size_t n_sets, bool has_seed,
             uint64_t seed_override, struct scenario **out, struct cfg_error *err)
{
    struct scenario *sc = g_new0(struct scenario, 1);

    *out = NULL;
    sc->path = g_strdup(path);
    kernel_cfg_defaults(&sc->kcfg);
    if (cfg_load_file(path, &sc->root, err))
        goto fail;
    if (sc->root->kind != CFG_MAP) {
        cfg_fail(err, sc->root, "a scenario must be a mapping (name, machine, policy, ...)");
        goto fail;
    }
    for (size_t i = 0; i < n_sets; i++) {
        if (strncmp(sets[i], "machine.", 8) == 0 && strncmp(sets[i], "machine.path=", 13) != 0)
            continue;
        if (set_scenario_key(sc->root, sets[i], err))
            goto fail;
    }
    if (load_name(sc, err) || load_machine(sc, sets, n_sets, err) ||
        kernel_cfg_load(cfg_get(sc->root, "kernel"), &sc->kcfg, err) || load_policy(sc, err) ||
        load_timing(sc, has_seed, seed_override, err) ||
        hazard_cfg_load(cfg_get(sc->root, "hazards"), &sc->hazards, err))
        goto fail;
    if (!cfg_get(sc->root, "workloads")) {
        cfg_fail(err, sc->root, "missing key 'workloads'");
        goto fail;
    }
    if (workload_parse(cfg_get(sc->root, "workloads"), sc->mcfg, &sc->wl, &sc->n_wl, err))
        goto fail;
    for (size_t i = 0; top_keys[i]; i++)
        cfg_get(sc->root, top_keys[i]);
    if (cfg_check_unknown(sc->root, err))
        goto fail;
    *out = sc;
    return 0;
fail:
    run_scenario_free(sc);
    return -1;
}

const char *run_scenario_name(const struct scenario *sc)
{
    return sc->name;
}

void run_scenario_summary(const struct scenario *sc, char *buf, size_t len)
{
    char wl[256];

    workload_summary(sc->wl, sc->n_wl, wl, sizeof(wl));
    snprintf(buf, len, "%s: machine %s (%u CPUs), policy %s, %llu ms + %llu ms warm-up, seed %llu, %s",
             sc->name, sc->mcfg->name, sc->mcfg->n_cpus, sc->policy->name,
             (unsigned long long)(sc->duration_ns / SIM_MS),
             (unsigned long long)(sc->warmup_ns / SIM_MS), (unsigned long long)sc->seed, wl);
}

void run_scenario_free(struct scenario *sc)
{
    if (!sc)
        return;
    cfg_free(sc->root);
    cfg_free(sc->machine_tree);
    g_free(sc->mcfg);
    g_free(sc->policy_priv);
    workload_cfg_free(sc->wl, sc->n_wl);
    g_free(sc->path);
    g_free(sc->name);
    g_free(sc->machine_path);
    g_free(sc);
}
