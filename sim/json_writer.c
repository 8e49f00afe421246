/* Streaming JSON writer: tracks, per open container, its kind and member
 * count to place commas, newlines and indentation. Numbers are printed
 * locale-independently. A completed top-level value is followed by "\n" so
 * the buffer is ready to write as a file. Left out: parsing, validation of
 * UTF-8, duplicate-key detection. */
#include "sim/json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void jw_bug(const char *what)
{
    fprintf(stderr, "%s:%d: json_writer: %s\n", __FILE__, __LINE__, what);
    abort();
}

void jw_init(struct json_writer *w, GString *out)
{
    w->out = out;
    w->depth = 0;
    w->after_key = false;
    w->kind[0] = 0;
    w->count[0] = 0;
}

bool jw_done(const struct json_writer *w)
{
    return w->depth == 0 && w->count[0] > 0;
}

static void jw_newline_indent(struct json_writer *w, unsigned depth)
{
    g_string_append_c(w->out, '\n');
    for (unsigned i = 0; i < depth; i++)
        g_string_append(w->out, "  ");
}

/* Starts a new member of the current container (comma, line, indent). */
static void jw_next_member(struct json_writer *w)
{
    if (w->count[w->depth]++ > 0)
        g_string_append_c(w->out, ',');
    jw_newline_indent(w, w->depth);
}

/* Everything a value needs before its own text. */
static void jw_before_value(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0) {
        if (w->count[0]++ > 0)
            jw_bug("second top-level value");
        return;
    }
    if (w->kind[w->depth] == '{')
        jw_bug("value in an object without a key");
    jw_next_member(w);
}

static void jw_after_value(struct json_writer *w)
{
    if (w->depth == 0)
        g_string_append_c(w->out, '\n');
}

static void jw_begin(struct json_writer *w, char kind)
{
    jw_before_value(w);
    if (w->depth + 1 >= JW_MAX_DEPTH)
        jw_bug("nesting too deep");
    g_string_append_c(w->out, kind);
    w->depth++;
    w->kind[w->depth] = kind;
    w->count[w->depth] = 0;
}

static void jw_end(struct json_writer *w, char kind)
{
    if (w->depth == 0 || w->kind[w->depth] != kind || w->after_key)
        jw_bug("unbalanced end");
    w->depth--;
    /* An empty container stays on one line: {} or []. */
    if (w->count[w->depth + 1] > 0)
        jw_newline_indent(w, w->depth);
    g_string_append_c(w->out, kind == '{' ? '}' : ']');
    jw_after_value(w);
}

void jw_begin_object(struct json_writer *w)
{
    jw_begin(w, '{');
}

void jw_end_object(struct json_writer *w)
{
    jw_end(w, '{');
}

void jw_begin_array(struct json_writer *w)
{
    jw_begin(w, '[');
}

void jw_end_array(struct json_writer *w)
{
    jw_end(w, '[');
}

/* RFC 8259 section 7: quote, backslash and C0 controls must be escaped;
 * everything else, including multi-byte UTF-8, goes through as is. */
void jw_append_quoted(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':  g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:
            if (*p < 0x20)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
}

void jw_key(struct json_writer *w, const char *name)
{
    if (w->depth == 0 || w->kind[w->depth] != '{' || w->after_key)
        jw_bug("key outside an object or after a key");
    jw_next_member(w);
    jw_append_quoted(w->out, name);
    g_string_append(w->out, ": ");
    w->after_key = true;
}

void jw_string(struct json_writer *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    jw_before_value(w);
    jw_append_quoted(w->out, s);
    jw_after_value(w);
}

/* A bare token: a number or a literal. */
static void jw_raw(struct json_writer *w, const char *text)
{
    jw_before_value(w);
    g_string_append(w->out, text);
    jw_after_value(w);
}

void jw_u64(struct json_writer *w, uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    jw_raw(w, buf);
}

void jw_i64(struct json_writer *w, int64_t v)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%" PRId64, v);
    jw_raw(w, buf);
}

void jw_double(struct json_writer *w, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    if (!isfinite(v)) {
        jw_raw(w, "null");
        return;
    }
    /* g_ascii_formatd ignores LC_NUMERIC, so a decimal comma never leaks in. */
    jw_raw(w, g_ascii_formatd(buf, sizeof(buf), "%.9g", v));
}

void jw_bool(struct json_writer *w, bool v)
{
    jw_raw(w, v ? "true" : "false");
}

void jw_null(struct json_writer *w)
{
    jw_raw(w, "null");
}
