/* A small strict JSON parser (RFC 8259) for tests that read back the JSON
 * files tlbsim writes: no trailing commas, no comments, no leading zeros,
 * escapes checked, nothing after the top-level value. Numbers keep their
 * text so that tests can read "123.456" microseconds as exact nanoseconds.
 * Static, in a header, as tests are one .c each; include after glib.h. */
#ifndef TESTS_JSON_PARSE_H
#define TESTS_JSON_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
    enum jv_type type;
    bool b;
    char *text;           /* JV_STR: the decoded string; JV_NUM: the number as written */
    GPtrArray *items;     /* JV_ARR: values; JV_OBJ: keys and values alternating (JV_STR keys) */
};

struct jp {
    const char *p, *end;
    const char *error;    /* set at the first error */
};

static void jv_free(struct jv *v)
{
    if (!v)
        return;
    g_free(v->text);
    if (v->items)
        g_ptr_array_free(v->items, TRUE);
    g_free(v);
}

static struct jv *jv_new(enum jv_type type)
{
    struct jv *v = g_new0(struct jv, 1);

    v->type = type;
    if (type == JV_ARR || type == JV_OBJ)
        v->items = g_ptr_array_new_with_free_func((GDestroyNotify)jv_free);
    return v;
}

static void jp_ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static struct jv *jp_fail(struct jp *j, const char *what)
{
    if (!j->error)
        j->error = what;
    return NULL;
}

static bool jp_lit(struct jp *j, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
        return false;
    j->p += n;
    return true;
}

static struct jv *jp_string(struct jp *j)
{
    GString *s = g_string_new(NULL);
    struct jv *v;

    j->p++;     /* the opening quote */
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p++;

        if (c < 0x20) {
            g_string_free(s, TRUE);
            return jp_fail(j, "control character in string");
        }
        if (c != '\\') {
            g_string_append_c(s, (char)c);
            continue;
        }
        if (j->p >= j->end)
            break;
        c = (unsigned char)*j->p++;
        switch (c) {
        case '"': case '\\': case '/': g_string_append_c(s, (char)c); break;
        case 'b': g_string_append_c(s, '\b'); break;
        case 'f': g_string_append_c(s, '\f'); break;
        case 'n': g_string_append_c(s, '\n'); break;
        case 'r': g_string_append_c(s, '\r'); break;
        case 't': g_string_append_c(s, '\t'); break;
        case 'u':
            if (j->end - j->p < 4 || !g_ascii_isxdigit(j->p[0]) || !g_ascii_isxdigit(j->p[1]) ||
                !g_ascii_isxdigit(j->p[2]) || !g_ascii_isxdigit(j->p[3])) {
                g_string_free(s, TRUE);
                return jp_fail(j, "bad \\u escape");
            }
            g_string_append_unichar(s, (gunichar)strtoul((char[5]){ j->p[0], j->p[1], j->p[2],
                                                                    j->p[3], 0 }, NULL, 16));
            j->p += 4;
            break;
        default:
            g_string_free(s, TRUE);
            return jp_fail(j, "bad escape");
        }
    }
    if (j->p >= j->end) {
        g_string_free(s, TRUE);
        return jp_fail(j, "unterminated string");
    }
    j->p++;
    v = jv_new(JV_STR);
    v->text = g_string_free(s, FALSE);
    return v;
}

static struct jv *jp_number(struct jp *j)
{
    const char *start = j->p;
    struct jv *v;

    if (*j->p == '-')
        j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (j->p < j->end && *j->p >= '1' && *j->p <= '9')
        while (j->p < j->end && g_ascii_isdigit(*j->p))
            j->p++;
    else
        return jp_fail(j, "bad number");
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || !g_ascii_isdigit(*j->p))
            return jp_fail(j, "bad fraction");
        while (j->p < j->end && g_ascii_isdigit(*j->p))
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || !g_ascii_isdigit(*j->p))
            return jp_fail(j, "bad exponent");
        while (j->p < j->end && g_ascii_isdigit(*j->p))
            j->p++;
    }
    v = jv_new(JV_NUM);
    v->text = g_strndup(start, (gsize)(j->p - start));
    return v;
}

static struct jv *jp_value(struct jp *j, unsigned depth);

/* An array or object; close is ']' or '}'. */
static struct jv *jp_container(struct jp *j, unsigned depth, char close)
{
    struct jv *v = jv_new(close == ']' ? JV_ARR : JV_OBJ), *item;

    j->p++;
    jp_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return v;
    }
    for (;;) {
        jp_ws(j);
        if (close == '}') {
            if (j->p >= j->end || *j->p != '"' || !(item = jp_string(j)))
                break;
            g_ptr_array_add(v->items, item);
            jp_ws(j);
            if (j->p >= j->end || *j->p++ != ':')
                break;
        }
        if (!(item = jp_value(j, depth + 1)))
            break;
        g_ptr_array_add(v->items, item);
        jp_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return v;
        }
        break;
    }
    jv_free(v);
    return jp_fail(j, close == ']' ? "bad array" : "bad object");
}

static struct jv *jp_value(struct jp *j, unsigned depth)
{
    jp_ws(j);
    if (depth > 64 || j->p >= j->end)
        return jp_fail(j, "too deep or truncated");
    switch (*j->p) {
    case '{': return jp_container(j, depth, '}');
    case '[': return jp_container(j, depth, ']');
    case '"': return jp_string(j);
    case 't': if (jp_lit(j, "true")) { struct jv *v = jv_new(JV_BOOL); v->b = true; return v; }
              break;
    case 'f': if (jp_lit(j, "false")) return jv_new(JV_BOOL);
              break;
    case 'n': if (jp_lit(j, "null")) return jv_new(JV_NULL);
              break;
    default:  return jp_number(j);
    }
    return jp_fail(j, "bad literal");
}

/* Parses text; NULL with *error set when it is not exactly one JSON value. */
static struct jv *json_parse(const char *text, size_t len, const char **error)
{
    struct jp j = { .p = text, .end = text + len };
    struct jv *v = jp_value(&j, 0);

    jp_ws(&j);
    if (v && j.p != j.end) {
        jv_free(v);
        v = jp_fail(&j, "text after the value");
    }
    *error = j.error;
    return v;
}

/* An object's member, or NULL. */
static const struct jv *jv_get(const struct jv *obj, const char *key)
{
    if (!obj || obj->type != JV_OBJ)
        return NULL;
    for (guint i = 0; i + 1 < obj->items->len; i += 2)
        if (strcmp(((struct jv *)obj->items->pdata[i])->text, key) == 0)
            return obj->items->pdata[i + 1];
    return NULL;
}

static const char *jv_str(const struct jv *obj, const char *key)
{
    const struct jv *v = jv_get(obj, key);

    return v && v->type == JV_STR ? v->text : NULL;
}

/* A number written as microseconds with up to three decimals, in ns; -1
 * when absent or not of that form. */
static int64_t jv_us_as_ns(const struct jv *obj, const char *key)
{
    const struct jv *v = jv_get(obj, key);
    const char *dot;
    int64_t ns;

    if (!v || v->type != JV_NUM || v->text[0] == '-')
        return -1;
    ns = (int64_t)g_ascii_strtoull(v->text, NULL, 10) * 1000;
    dot = strchr(v->text, '.');
    if (dot) {
        int64_t scale = 100;

        for (const char *d = dot + 1; *d; d++, scale /= 10) {
            if (!g_ascii_isdigit(*d) || scale == 0)
                return -1;
            ns += (*d - '0') * scale;
        }
    }
    return ns;
}

static int64_t jv_int(const struct jv *obj, const char *key)
{
    const struct jv *v = jv_get(obj, key);

    return v && v->type == JV_NUM ? (int64_t)g_ascii_strtoll(v->text, NULL, 10) : -1;
}

#endif
