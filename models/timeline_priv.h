/* Private to timeline.c (recording) and timeline_json.c (writing). */
#ifndef MODELS_TIMELINE_PRIV_H
#define MODELS_TIMELINE_PRIV_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/timeline.h"

/* Sort rank at equal timestamps on one CPU: the enclosing slice first. */
enum tl_kind { TL_SLICE, TL_IRQ, TL_FLOW_START, TL_FLOW_END };

struct tl_event {
    sim_time_t ts, dur;       /* ns; dur 0 for flow events */
    uint32_t cpu;
    uint32_t arg;             /* SLICE: task id; IRQ: enum irq_kind; flows: flow id */
    uint8_t kind;             /* enum tl_kind */
    uint8_t cat;              /* SLICE: enum cpu_time_cat */
};

/* The slice a CPU is in now; written when it ends. */
struct tl_open {
    sim_time_t start;
    uint32_t task;
    uint8_t cat;
    bool open;
};

/* The one shootdown IPI that can be on its way to a CPU (csd queues send
 * only to an empty queue with no IPI in flight). */
struct tl_ipi {
    sim_time_t sent_at;
    unsigned from;
    bool valid;
};

struct timeline {
    GArray *ev;               /* struct tl_event */
    uint64_t cap, n_open;     /* every open slice has a place kept under the cap */
    struct trace_window win;  /* as configured */
    sim_time_t end_ns;        /* win.end_ns, or where truncation stopped it */
    struct tl_open *open;     /* per CPU */
    struct tl_ipi *ipi;       /* per CPU (receiver) */
    uint32_t next_flow;
    uint64_t slices, irqs, flows;
    bool truncated;
};

/* The JSON document for the recorded events (sorts tl->ev). */
GString *timeline_json(struct machine *m, struct timeline *tl, const struct timeline_meta *meta);

#endif
