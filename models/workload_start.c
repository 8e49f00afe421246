/* Instantiating workloads on a machine (see workload.h): every process gets
 * the same virtual layout (its mappings one after another from 4 GiB, each
 * aligned to a PTE table), so one access pattern serves all of them. */
#include <glib.h>
#include <stdio.h>

#include "models/alloc.h"
#include "models/machine.h"
#include "models/madvise.h"
#include "models/migrate.h"
#include "models/mmu_gather.h"
#include "models/mm.h"
#include "models/pagecache.h"
#include "models/workload.h"

#define LAYOUT_BASE_VPN 0x100000ull        /* 4 GiB */

static uint64_t align_table(uint64_t vpn)
{
    return (vpn + PTES_PER_TABLE - 1) & ~(uint64_t)(PTES_PER_TABLE - 1);
}

/* The pattern covers every data mapping; the text region follows them. */
static void layout(struct workload_cfg *w)
{
    struct app_pattern *p = &w->pattern;
    uint64_t vpn = LAYOUT_BASE_VPN;

    p->regions = g_new0(struct app_region, w->n_maps);
    p->n_regions = w->n_maps;
    p->total_pages = 0;
    for (uint32_t i = 0; i < w->n_maps; i++) {
        p->regions[i] = (struct app_region){ .start_vpn = vpn, .n_pages = w->maps[i].size_pages };
        p->total_pages += w->maps[i].size_pages;
        vpn = align_table(vpn + w->maps[i].size_pages) + PTES_PER_TABLE;
    }
    p->text_start_vpn = vpn;
}

static pfn_t populate_frame(struct machine *m, unsigned cpu)
{
    const uint16_t *zl = &m->zonelist[m->cpu[cpu].node * m->cfg->n_nodes];

    for (unsigned i = 0; i < m->cfg->n_nodes; i++) {
        pfn_t pfn = mem_alloc(m->mem, zl[i], cpu);

        if (pfn != PFN_NONE)
            return pfn;
    }
    return PFN_NONE;
}

/* Maps one page at set-up time, as if touched before the run started
 * (memset for anon: dirty; page cache for files: clean). */
static int populate_page(struct machine *m, struct mm *mm, struct vma *v, uint64_t vpn,
                         unsigned cpu)
{
    pfn_t pfn = populate_frame(m, cpu);
    struct frame *f;
    pte_t flags = PTE_PRESENT;

    if (pfn == PFN_NONE)
        return -1;
    f = mem_frame(m->mem, pfn);
    if (v->is_file) {
        f->owner = v->file_id;
        f->index = (uint32_t)(v->file_pgoff + vpn - v->start_vpn);
        pagecache_insert(m->pc, v->file_id, f->index, pfn);
    } else {
        f->flags = FRAME_ANON;
        f->owner = mm->id;
        f->index = (uint32_t)vpn;
        if (v->prot & VMA_WRITE) {
            f->flags |= FRAME_DIRTY;
            flags |= PTE_DIRTY;
        }
    }
    if ((v->prot & VMA_WRITE) && (!v->is_file || v->is_shared))
        flags |= PTE_WRITE;
    *mm_pte(mm, vpn, true) = pte_make(pfn, flags);
    mem_rmap_add(m->mem, pfn, mm->id, vpn);
    mm->rss_pages++;
    mem_lru_add(m->mem, pfn, lru_list_of(f, false));
    return 0;
}

static int add_mapping(struct machine *m, struct mm *mm, const struct mapping_cfg *mp,
                       uint64_t start, uint32_t file_id, unsigned cpu)
{
    struct vma *v = mm_add_vma(mm, start, mp->size_pages, mp->is_file, mp->is_shared, mp->prot,
                               file_id, 0);
    uint64_t vpn;

    if (!mp->populate)
        return 0;
    for (vpn = start; vpn < start + mp->size_pages; vpn++) {
        if (populate_page(m, mm, v, vpn, cpu))
            return -1;
        v = mm_find_vma(mm, vpn);
    }
    return 0;
}

static void madv_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages,
                         task_run_fn *done);
static void dontneed_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages,
                             task_run_fn *done);
static void munmap_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages,
                           task_run_fn *done);
static void mprotect_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages,
                             task_run_fn *done);
static void migrate_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages,
                            task_run_fn *done);

static int start_process(struct machine *m, struct workload_cfg *w, uint32_t p, uint32_t *next,
                         char **msg)
{
    struct mm *mm = machine_new_mm(m);
    const struct app_pattern *pat = &w->pattern;
    unsigned first_cpu = w->cpus[*next % w->n_cpus];

    for (uint32_t i = 0; i < w->n_maps; i++) {
        const struct mapping_cfg *mp = &w->maps[i];
        uint32_t file_id = mp->is_file ? machine_new_file(m, mp->size_pages, mp->sparse) : 0;

        if (add_mapping(m, mm, mp, pat->regions[i].start_vpn, file_id, first_cpu)) {
            *msg = g_strdup_printf("out of memory populating workload '%s'", w->name);
            return -1;
        }
    }
    if (pat->text_pages) {
        struct mapping_cfg text = { .is_file = true, .populate = true, .prot = VMA_READ | VMA_EXEC,
                                    .size_pages = pat->text_pages };

        if (add_mapping(m, mm, &text, pat->text_start_vpn,
                        machine_new_file(m, pat->text_pages, true), first_cpu)) {
            *msg = g_strdup_printf("out of memory populating workload '%s'", w->name);
            return -1;
        }
    }
    for (uint32_t k = 0; k < w->threads_per_process; k++) {
        char name[48];

        snprintf(name, sizeof(name), "%.16s/%u.%u", w->name, p % 100000, k % 10000);
        app_thread_create(m, mm, w->cpus[(*next)++ % w->n_cpus], pat, k,
                          w->threads_per_process, name);
    }
    return 0;
}

int workload_start(struct machine *m, struct workload_cfg *w, uint32_t n, char **msg)
{
    uint32_t next = 0;

    for (uint32_t i = 0; i < n; i++) {
        layout(&w[i]);
        if (w[i].type != WL_APP) {
            static void (*const call[])(struct task *, uint64_t, uint64_t, task_run_fn *) = {
                [WL_MADV_PAGEOUT] = madv_syscall, [WL_MADV_DONTNEED] = dontneed_syscall,
                [WL_MUNMAP] = munmap_syscall, [WL_MPROTECT] = mprotect_syscall,
                [WL_MIGRATE] = migrate_syscall,
            };

            w[i].pattern.syscall_every = w[i].window_pages ? w[i].window_pages
                                                           : w[i].pattern.total_pages;
            w[i].pattern.syscall = call[w[i].type];
        }
        for (uint32_t p = 0; p < w[i].processes; p++)
            if (start_process(m, &w[i], p, &next, msg))
                return -1;
    }
    return 0;
}

/* The madv_pageout loop: page out the window of pages just touched. */
static void madv_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages, task_run_fn *done)
{
    madvise_pageout(t, start_vpn, n_pages, done);
}

static void dontneed_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages,
                             task_run_fn *done)
{
    mmu_gather_call(t, ZAP_DONTNEED, start_vpn, n_pages, done);
}

static void munmap_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages,
                           task_run_fn *done)
{
    mmu_gather_call(t, ZAP_MUNMAP, start_vpn, n_pages, done);
}

static void mprotect_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages,
                             task_run_fn *done)
{
    mmu_gather_call(t, ZAP_PROTECT_RO, start_vpn, n_pages, done);
}

/* migrate_pages(2) of a window: isolate its mapped, LRU-resident folios
 * (one lru_lock section per folio, as folio_isolate_lru does) and move them,
 * MIGRATE_BATCH at a time, to the node after the one holding the first. */
static void migrate_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages,
                            task_run_fn *done)
{
    struct machine *m = t->m;
    pfn_t batch[MIGRATE_BATCH];
    uint32_t n = 0;
    int target = -1;

    machine_sync_mm(m, t->mm);
    for (uint64_t vpn = start_vpn; vpn < start_vpn + n_pages && n < MIGRATE_BATCH; vpn++) {
        pte_t *pte = mm_pte(t->mm, vpn, false);
        pfn_t pfn;
        struct frame *f;

        if (!pte || !pte_present(*pte))
            continue;
        pfn = (pfn_t)pte_pfn(*pte);
        f = mem_frame(m->mem, pfn);
        if (f->state != FRAME_LRU || (f->flags & FRAME_LOCKED))
            continue;
        if (target < 0)
            target = (int)((mem_pfn_node(m->mem, pfn) + 1) % m->cfg->n_nodes);
        if (mem_pfn_node(m->mem, pfn) == (unsigned)target)
            continue;
        mem_lru_del(m->mem, pfn);
        f->flags |= FRAME_LOCKED;
        batch[n++] = pfn;
    }
    if (!n) {
        t->run = done;
        cpu_step(t, m->cfg->cost.page_fault_ns, CT_MIGRATION);   /* the syscall itself */
        return;
    }
    migrate_list_start(t, batch, n, (unsigned)target, MR_SYSCALL, done);
}
