/* YAML -> cfg tree, with libyaml's event API. One document only; anchors,
 * aliases, unusual tags, complex keys and duplicate keys are refused. Node
 * construction is in cfg_set.c, lookups and getters in cfg_get.c. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <yaml.h>

#include "sim/cfg.h"

#define CFG_MAX_BYTES ((size_t)16 << 20)
#define CFG_MAX_DEPTH 64
#define CORE_TAG "tag:yaml.org,2002:"

struct loader {
    yaml_parser_t parser;
    const char *name;
    const unsigned char *text;
    size_t len;
    struct cfg_error *err;
};

static unsigned mark_num(size_t zero_based)
{
    return zero_based >= UINT_MAX ? UINT_MAX : (unsigned)zero_based + 1;
}

static int fail_mark(struct loader *ld, yaml_mark_t mark, const char *msg)
{
    return cfg_fail_at(ld->err, ld->name, mark_num(mark.line), mark_num(mark.column),
                       "%s", msg);
}

static int oom(struct loader *ld)
{
    return cfg_fail_at(ld->err, ld->name, 0, 0, "out of memory");
}

/* Reader errors (bad UTF-8, control characters) carry a byte offset, not a
 * mark; count lines up to it so the user still gets a position. */
static int fail_reader(struct loader *ld)
{
    const yaml_parser_t *p = &ld->parser;
    size_t off = p->problem_offset < ld->len ? p->problem_offset : ld->len;
    unsigned line = 1, col = 1;

    for (size_t i = 0; i < off; i++) {
        if (ld->text[i] == '\n') {
            line++;
            col = 1;
        } else if (col < UINT_MAX) {
            col++;
        }
    }
    return cfg_fail_at(ld->err, ld->name, line, col, "%s",
                       p->problem ? p->problem : "cannot read input");
}

static int next_event(struct loader *ld, yaml_event_t *ev)
{
    const yaml_parser_t *p = &ld->parser;

    if (yaml_parser_parse(&ld->parser, ev))
        return 0;
    if (p->error == YAML_MEMORY_ERROR)
        return oom(ld);
    if (p->error == YAML_READER_ERROR)
        return fail_reader(ld);
    return cfg_fail_at(ld->err, ld->name, mark_num(p->problem_mark.line),
                       mark_num(p->problem_mark.column), "%s%s%s",
                       p->problem ? p->problem : "syntax error",
                       p->context ? " " : "", p->context ? p->context : "");
}

static bool tag_ok(const char *tag, enum cfg_kind kind)
{
    static const char *const scalar_tags[] = { "str", "int", "float", "bool", "null" };
    const char *name;

    if (!tag)
        return true;
    if (strncmp(tag, CORE_TAG, strlen(CORE_TAG)) != 0)
        return kind == CFG_SCALAR && strcmp(tag, "!") == 0;
    name = tag + strlen(CORE_TAG);
    if (kind == CFG_MAP)
        return strcmp(name, "map") == 0;
    if (kind == CFG_SEQ)
        return strcmp(name, "seq") == 0;
    for (size_t i = 0; i < G_N_ELEMENTS(scalar_tags); i++)
        if (strcmp(name, scalar_tags[i]) == 0)
            return true;
    return false;
}

/* Aliases, anchors and tags other than the core schema's are refused. */
static int check_props(struct loader *ld, const yaml_event_t *ev, enum cfg_kind kind)
{
    const yaml_char_t *anchor, *tag;
    char buf[64];

    if (ev->type == YAML_ALIAS_EVENT)
        return fail_mark(ld, ev->start_mark, "anchors and aliases are not supported");
    if (ev->type == YAML_SCALAR_EVENT) {
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
    } else {
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
    }
    if (anchor)
        return fail_mark(ld, ev->start_mark, "anchors and aliases are not supported");
    if (!tag_ok((const char *)tag, kind))
        return cfg_fail_at(ld->err, ld->name, mark_num(ev->start_mark.line),
                           mark_num(ev->start_mark.column), "unsupported tag '%s'",
                           cfg_excerpt((const char *)tag, buf, sizeof(buf)));
    return 0;
}

static int load_node(struct loader *ld, yaml_event_t *ev, int depth,
                     struct cfg_node **out);

static int load_scalar(struct loader *ld, yaml_event_t *ev, struct cfg_node **out)
{
    const char *value = (const char *)ev->data.scalar.value;

    if (memchr(value, '\0', ev->data.scalar.length))
        return fail_mark(ld, ev->start_mark, "NUL characters are not supported");
    *out = cfg_scalar_new(value, ld->name, mark_num(ev->start_mark.line),
                          mark_num(ev->start_mark.column));
    return *out ? 0 : oom(ld);
}

static int load_seq(struct loader *ld, struct cfg_node *seq, int depth)
{
    yaml_event_t ev;
    struct cfg_node *child;

    for (;;) {
        if (next_event(ld, &ev))
            return -1;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (load_node(ld, &ev, depth, &child))
            return -1;
        if (cfg_seq_add(seq, child)) {
            cfg_free(child);
            return oom(ld);
        }
    }
}

/* Reads one key event into *ev; 1 (ev consumed) at the end of the mapping. */
static int load_key(struct loader *ld, yaml_event_t *ev)
{
    int rc = 0;

    if (next_event(ld, ev))
        return -1;
    if (ev->type == YAML_MAPPING_END_EVENT)
        rc = 1;
    else if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT)
        rc = fail_mark(ld, ev->start_mark, "mapping keys must be scalars");
    else if (check_props(ld, ev, CFG_SCALAR))
        rc = -1;
    else if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
        rc = fail_mark(ld, ev->start_mark, "NUL characters are not supported");
    if (rc != 0)
        yaml_event_delete(ev);
    return rc;
}

static int check_dup(struct loader *ld, const struct cfg_node *map, GHashTable *seen,
                     const yaml_event_t *key)
{
    const char *name = (const char *)key->data.scalar.value;
    gpointer first;
    char buf[64];

    if (!g_hash_table_lookup_extended(seen, name, NULL, &first))
        return 0;
    return cfg_fail_at(ld->err, ld->name, mark_num(key->start_mark.line),
                       mark_num(key->start_mark.column),
                       "duplicate key '%s' (first at line %u)",
                       cfg_excerpt(name, buf, sizeof(buf)),
                       map->key_line[GPOINTER_TO_UINT(first)]);
}

static int add_key(struct loader *ld, struct cfg_node *map, GHashTable *seen,
                   const yaml_event_t *key, struct cfg_node *child)
{
    if (cfg_map_add(map, (const char *)key->data.scalar.value,
                    mark_num(key->start_mark.line), mark_num(key->start_mark.column),
                    child))
        return oom(ld);
    g_hash_table_insert(seen, map->keys[map->n - 1], GUINT_TO_POINTER(map->n - 1));
    return 0;
}

/* Duplicate keys are caught before their values are read, so the error is
 * about the key even when the value is bad too. */
static int load_map(struct loader *ld, struct cfg_node *map, int depth)
{
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    yaml_event_t key, ev;
    struct cfg_node *child;
    int rc;

    while ((rc = load_key(ld, &key)) == 0) {
        rc = -1;
        if (check_dup(ld, map, seen, &key) || next_event(ld, &ev))
            goto out_key;
        if (load_node(ld, &ev, depth, &child))
            goto out_key;
        if (add_key(ld, map, seen, &key, child)) {
            cfg_free(child);
            goto out_key;
        }
        yaml_event_delete(&key);
    }
    if (rc == 1)
        rc = 0;
    goto out;
out_key:
    yaml_event_delete(&key);
out:
    g_hash_table_destroy(seen);
    return rc;
}

/* Consumes *ev (and, for collections, everything up to the matching end). */
static int load_node(struct loader *ld, yaml_event_t *ev, int depth,
                     struct cfg_node **out)
{
    enum cfg_kind kind = ev->type == YAML_MAPPING_START_EVENT  ? CFG_MAP
                         : ev->type == YAML_SEQUENCE_START_EVENT ? CFG_SEQ
                                                                 : CFG_SCALAR;
    int rc = -1;

    *out = NULL;
    if (check_props(ld, ev, kind))
        goto out;
    if (kind == CFG_SCALAR) {
        rc = load_scalar(ld, ev, out);
        goto out;
    }
    if (depth >= CFG_MAX_DEPTH) {
        fail_mark(ld, ev->start_mark, "nesting deeper than 64 levels");
        goto out;
    }
    *out = cfg_node_new(kind, ld->name, mark_num(ev->start_mark.line),
                        mark_num(ev->start_mark.column));
    if (!*out) {
        oom(ld);
        goto out;
    }
    rc = kind == CFG_MAP ? load_map(ld, *out, depth + 1) : load_seq(ld, *out, depth + 1);
    if (rc) {
        cfg_free(*out);
        *out = NULL;
    }
out:
    yaml_event_delete(ev);
    return rc;
}

/* "---" alone, or a document of comments, yields one empty plain scalar. */
static bool is_empty_root(const yaml_event_t *ev)
{
    return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.length == 0 &&
           ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag &&
           !ev->data.scalar.anchor;
}

/* Expects an event of `type`; anything else is `msg` at that event. */
static int expect_event(struct loader *ld, yaml_event_type_t type, const char *msg)
{
    yaml_event_t ev;
    int rc = 0;

    if (next_event(ld, &ev))
        return -1;
    if (ev.type != type)
        rc = ev.type == YAML_STREAM_END_EVENT
                 ? cfg_fail_at(ld->err, ld->name, 0, 0, "%s", msg)
                 : fail_mark(ld, ev.start_mark, msg);
    yaml_event_delete(&ev);
    return rc;
}

static int load_document(struct loader *ld, struct cfg_node **out)
{
    yaml_event_t ev;

    if (expect_event(ld, YAML_STREAM_START_EVENT, "empty document") ||
        expect_event(ld, YAML_DOCUMENT_START_EVENT, "empty document") ||
        next_event(ld, &ev))
        return -1;
    if (is_empty_root(&ev)) {
        fail_mark(ld, ev.start_mark, "empty document");
        yaml_event_delete(&ev);
        return -1;
    }
    if (load_node(ld, &ev, 0, out))
        return -1;
    if (expect_event(ld, YAML_DOCUMENT_END_EVENT, "expected the end of the document") ||
        expect_event(ld, YAML_STREAM_END_EVENT, "more than one document")) {
        cfg_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int load_buffer(const char *name, const unsigned char *text, size_t len,
                       struct cfg_node **out, struct cfg_error *err)
{
    struct loader ld = { .name = name, .text = text, .len = len, .err = err };
    int rc;

    *out = NULL;
    if (len > CFG_MAX_BYTES)
        return cfg_fail_at(err, name, 0, 0, "file is larger than 16 MiB");
    if (!yaml_parser_initialize(&ld.parser))
        return cfg_fail_at(err, name, 0, 0, "out of memory");
    yaml_parser_set_input_string(&ld.parser, text, len);
    rc = load_document(&ld, out);
    yaml_parser_delete(&ld.parser);
    return rc;
}

int cfg_load_string(const char *name, const char *text, struct cfg_node **out,
                    struct cfg_error *err)
{
    return load_buffer(name ? name : "<string>", (const unsigned char *)text,
                       strlen(text), out, err);
}

/* Reads the whole file (at most CFG_MAX_BYTES + 1, to detect larger ones
 * that fstat cannot size, like pipes). */
static int read_file(const char *path, FILE *f, unsigned char **buf, size_t *len,
                     struct cfg_error *err)
{
    size_t cap = 0, got;
    unsigned char *p;

    *buf = NULL;
    *len = 0;
    do {
        if (*len == cap) {
            cap = cap ? cap * 2 : 64 * 1024;
            if (cap > CFG_MAX_BYTES + 1)
                cap = CFG_MAX_BYTES + 1;
            p = realloc(*buf, cap);
            if (!p)
                return cfg_fail_at(err, path, 0, 0, "out of memory");
            *buf = p;
        }
        got = fread(*buf + *len, 1, cap - *len, f);
        *len += got;
    } while (got > 0 && *len <= CFG_MAX_BYTES);
    if (ferror(f))
        return cfg_fail_at(err, path, 0, 0, "cannot read: %s", strerror(errno));
    return 0;
}

int cfg_load_file(const char *path, struct cfg_node **out, struct cfg_error *err)
{
    unsigned char *buf = NULL;
    struct stat st;
    size_t len;
    FILE *f;
    int rc = -1;

    *out = NULL;
    f = fopen(path, "rb");
    if (!f)
        return cfg_fail_at(err, path, 0, 0, "cannot open: %s", strerror(errno));
    /* A directory opens fine for reading on Linux; fread then fails. */
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        cfg_fail_at(err, path, 0, 0, "cannot open: %s", strerror(EISDIR));
        goto out_close;
    }
    if (read_file(path, f, &buf, &len, err))
        goto out_free;
    rc = load_buffer(path, buf, len, out, err);
out_free:
    free(buf);
out_close:
    fclose(f);
    return rc;
}
