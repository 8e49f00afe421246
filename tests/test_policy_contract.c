/* The policy contract (tests/policy_contract.h) on every registered policy
 * that keeps the weaker rule, recognised by its hooks: one that frees
 * frames late itself (defer_free: LATR) or vouches for stale loads of free
 * frames (stale_read_ok: LUF). Their translations may outlive
 * flush_pending, but not the frame's release (or, for LUF, its allocation
 * again); arm64 LUF (v10) must show the gap its deferred DSB leaves
 * (policy-semantics.md §6 (v)). The policies that keep the strict rule:
 * test_policy_contract_strict.c. */
#include "tests/policy_contract.h"

int main(void)
{
    return run_policy_contracts("policy contract: weaker rule", true);
}
