/* A configuration tree read from YAML with libyaml, keeping the file, line and
 * column of every node so that any semantic error can be reported as
 * `file:line:col: error: message`. Strict by design: anchors and aliases are
 * rejected (no alias-expansion blow-up), duplicate keys are errors, and every
 * mapping can be checked for keys nobody asked for (catches typos).
 * The loader never exits or aborts on bad input; it returns -1 with *err set. */
#ifndef SIM_CFG_H
#define SIM_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_kind { CFG_SCALAR, CFG_MAP, CFG_SEQ };

struct cfg_node {
    enum cfg_kind kind;
    char *file;              /* origin: a path, or "--set a.b.c" for overrides (owned) */
    unsigned line, col;      /* 1-based; 0 for nodes that came from --set */
    bool used;               /* set when a getter looked this node up */
    char *value;             /* CFG_SCALAR: the text, NUL-terminated */
    size_t n;                /* CFG_MAP / CFG_SEQ: number of children */
    char **keys;             /* CFG_MAP: keys[i] names child[i] */
    unsigned *key_line, *key_col; /* CFG_MAP: where each key was written */
    struct cfg_node **child;
};

#define CFG_MSG_MAX 320
struct cfg_error {
    char file[512];          /* path, or "--set key.path" */
    unsigned line, col;      /* 0 when not from a file position */
    char msg[CFG_MSG_MAX];
};

/* Prints `file:line:col: error: msg\n` (or `file: error: msg\n` when line is 0). */
void cfg_error_print(const struct cfg_error *err, FILE *out);
/* Fills *err with the position of `at` (may be NULL: then file "?" line 0)
 * and the formatted message. Always returns -1 so callers can `return cfg_fail(...)`. */
int cfg_fail(struct cfg_error *err, const struct cfg_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* As cfg_fail, positioned at the key (not the value) of map->keys[index]. */
int cfg_fail_key(struct cfg_error *err, const struct cfg_node *map, size_t index,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* As cfg_fail, at an explicit position (line 0: no position). */
int cfg_fail_at(struct cfg_error *err, const char *file, unsigned line, unsigned col,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Loads one YAML document. Rejects: syntax errors (libyaml's problem and
 * mark), anchors/aliases, tags other than the plain ones, non-scalar keys,
 * duplicate keys, empty documents, more than one document, nesting deeper
 * than 64, files over 16 MiB. Returns 0 and *out, or -1 and *err. */
int cfg_load_file(const char *path, struct cfg_node **out, struct cfg_error *err);
/* As cfg_load_file, from a string; `name` is used as the file in positions. */
int cfg_load_string(const char *name, const char *text, struct cfg_node **out,
                    struct cfg_error *err);
void cfg_free(struct cfg_node *node);
struct cfg_node *cfg_clone(const struct cfg_node *node);

/* Tree building, used by the loader, --set and merge (and by tests). A node
 * owns a copy of `file`; NULL when out of memory. Children must be added with
 * cfg_map_add / cfg_seq_add (they size the arrays); on success (0) the
 * container owns `child`, on failure (-1, out of memory) the caller still does. */
struct cfg_node *cfg_node_new(enum cfg_kind kind, const char *file, unsigned line,
                              unsigned col);
struct cfg_node *cfg_scalar_new(const char *value, const char *file, unsigned line,
                                unsigned col);
int cfg_map_add(struct cfg_node *map, const char *key, unsigned key_line,
                unsigned key_col, struct cfg_node *child);
int cfg_seq_add(struct cfg_node *seq, struct cfg_node *child);
/* Index of `key` in a mapping, without marking it used; false when absent. */
bool cfg_map_find(const struct cfg_node *map, const char *key, size_t *index);

/* Looks up `key` in a mapping and marks it used; NULL when absent or when
 * map is not a mapping. */
struct cfg_node *cfg_get(struct cfg_node *map, const char *key);
/* Follows a dotted path ("machine.cost.invlpg_ns"; sequence items by index,
 * "workloads.0.rate") without marking anything used. */
struct cfg_node *cfg_path(struct cfg_node *root, const char *dotted);
/* Fails with "unknown key 'k'" at the first key of `map` never looked up. */
int cfg_check_unknown(const struct cfg_node *map, struct cfg_error *err);
/* Fails unless node is of the kind; message names what was expected, e.g.
 * "'tlb' must be a mapping". */
int cfg_expect(const struct cfg_node *node, enum cfg_kind kind, const char *what,
               struct cfg_error *err);

/* Typed getters. `required`: a missing key fails with "missing key 'k'" at
 * the mapping; otherwise a missing key leaves *out unchanged and returns 0.
 * Range violations fail with the allowed range and the value in the message. */
int cfg_get_u64(struct cfg_node *map, const char *key, bool required,
                uint64_t min, uint64_t max, uint64_t *out, struct cfg_error *err);
int cfg_get_u32(struct cfg_node *map, const char *key, bool required,
                uint32_t min, uint32_t max, uint32_t *out, struct cfg_error *err);
int cfg_get_double(struct cfg_node *map, const char *key, bool required,
                   double min, double max, double *out, struct cfg_error *err);
/* true/false, on/off, yes/no. */
int cfg_get_bool(struct cfg_node *map, const char *key, bool required, bool *out,
                 struct cfg_error *err);
/* *out points into the tree (valid while the tree lives). */
int cfg_get_str(struct cfg_node *map, const char *key, bool required,
                const char **out, struct cfg_error *err);
/* One of names[0..n_names); *out gets its index. The error lists the names. */
int cfg_get_enum(struct cfg_node *map, const char *key, bool required,
                 const char *const *names, size_t n_names, int *out,
                 struct cfg_error *err);
/* A duration: a bare number is read in the key's unit `key_unit_ns` (1 for a
 * key named *_ns, 1000 for *_us, 1000000 for *_ms); an explicit suffix
 * (ns, us, ms, s; decimals allowed: "1.5us") overrides it. Result in ns. */
int cfg_get_time_ns(struct cfg_node *map, const char *key, bool required,
                    uint64_t key_unit_ns, uint64_t min_ns, uint64_t max_ns,
                    uint64_t *out_ns, struct cfg_error *err);
/* A size: needs a suffix (B, KiB, MiB, GiB, TiB, or KB, MB, GB, TB in powers
 * of ten) unless key_unit_bytes is non-zero (a key named *_bytes or *_pages).
 * Overflow of 64 bits is an error. */
int cfg_get_size_bytes(struct cfg_node *map, const char *key, bool required,
                       uint64_t key_unit_bytes, uint64_t min, uint64_t max,
                       uint64_t *out, struct cfg_error *err);

/* Scalar parsers used by the getters, exposed for tests and for lists.
 * Each returns 0, or -1 with a message in err->msg (position left to caller). */
int cfg_parse_u64(const char *text, uint64_t *out, struct cfg_error *err);
int cfg_parse_double(const char *text, double *out, struct cfg_error *err);
int cfg_parse_time_ns(const char *text, uint64_t key_unit_ns, uint64_t *out,
                      struct cfg_error *err);
int cfg_parse_size(const char *text, uint64_t key_unit_bytes, uint64_t *out,
                   struct cfg_error *err);
/* Copies `text` into buf for an error message: at most ~48 bytes, control
 * characters shown as '?', "..." when cut. Returns buf. */
const char *cfg_excerpt(const char *text, char *buf, size_t size);

/* Applies one `--set key.path=value` to the tree. The path leads through
 * mappings (created when absent, so a section the file leaves out can be
 * set) or existing sequence indices; the last key is replaced if it is a
 * scalar, or added to its mapping if absent (so parameters that have
 * defaults can be set). Replacing a mapping or sequence with a scalar is an
 * error. The new node's file is "--set key.path" so later semantic errors
 * print as `--set key.path: error: ...`. */
int cfg_set_override(struct cfg_node *root, const char *assignment, struct cfg_error *err);

/* Deep-merges mapping `src` into mapping `dst`: scalars and sequences of src
 * replace dst's; mappings merge recursively; keys absent from dst are added.
 * src keeps its positions. Returns 0 or -1 with *err (kind mismatch). */
int cfg_merge(struct cfg_node *dst, const struct cfg_node *src, struct cfg_error *err);

#endif
