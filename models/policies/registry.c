/* The policy registry, built from policies.def. */
#include <string.h>

#include "models/policy.h"

#define POLICY(n) extern const struct flush_policy_ops flush_policy_##n;
#include "models/policies/policies.def"
#undef POLICY

static const struct flush_policy_ops *const registry[] = {
#define POLICY(n) &flush_policy_##n,
#include "models/policies/policies.def"
#undef POLICY
};

size_t policy_count(void)
{
    return sizeof(registry) / sizeof(registry[0]);
}

const struct flush_policy_ops *policy_at(size_t i)
{
    return i < policy_count() ? registry[i] : NULL;
}

const struct flush_policy_ops *policy_lookup(const char *name)
{
    for (size_t i = 0; i < policy_count(); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

void policy_registry_print(FILE *out)
{
    fprintf(out, "policies:\n");
    for (size_t i = 0; i < policy_count(); i++) {
        const struct flush_policy_ops *p = registry[i];

        fprintf(out, "  %-12s %s\n", p->name, p->help);
        for (const struct policy_param *q = p->params; q && q->name; q++)
            fprintf(out, "      %s (default %s): %s\n", q->name, q->default_value, q->help);
    }
}
