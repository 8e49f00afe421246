/* A small streaming JSON writer appending to a GString, in a fixed
 * 2-space-indented layout so equal inputs give byte-identical files.
 * Misuse (a key outside an object, a value where a key is due, unbalanced
 * ends, nesting deeper than JW_MAX_DEPTH) is a bug: it prints and aborts. */
#ifndef SIM_JSON_WRITER_H
#define SIM_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#define JW_MAX_DEPTH 64

struct json_writer {
    GString *out;           /* borrowed; appended to */
    unsigned depth;
    bool after_key;         /* a key was written; its value is next */
    char kind[JW_MAX_DEPTH];     /* '{' or '[' per open container */
    uint32_t count[JW_MAX_DEPTH]; /* members written so far per container */
};

void jw_init(struct json_writer *w, GString *out);
/* Whether one complete top-level value has been written. */
bool jw_done(const struct json_writer *w);

void jw_begin_object(struct json_writer *w);
void jw_end_object(struct json_writer *w);
void jw_begin_array(struct json_writer *w);
void jw_end_array(struct json_writer *w);
/* Inside an object: the name of the next member. */
void jw_key(struct json_writer *w, const char *name);

/* Strings are UTF-8 and pass through unchanged except for the escapes
 * RFC 8259 requires; NULL writes null. */
void jw_string(struct json_writer *w, const char *s);
void jw_u64(struct json_writer *w, uint64_t v);
void jw_i64(struct json_writer *w, int64_t v);
/* "%.9g" in the C locale; NaN and infinities (not JSON) become null. */
void jw_double(struct json_writer *w, double v);
void jw_bool(struct json_writer *w, bool v);
void jw_null(struct json_writer *w);

/* s as a quoted JSON string with the escapes above, appended to out: for
 * writers that lay out large files themselves (one record per line). */
void jw_append_quoted(GString *out, const char *s);

#endif
