/* The policy contract (tests/policy_contract.h) on every registered policy
 * that keeps the strict rule, having neither defer_free nor stale_read_ok:
 * once a flush hook has completed no TLB can still use a translation of a
 * PTE the policy was told about before it, and at the end no TLB holds a
 * usable entry that the page table no longer backs. The policies that keep
 * the weaker rule (LATR, LUF): test_policy_contract.c. */
#include "tests/policy_contract.h"

int main(void)
{
    return run_policy_contracts("policy contract: strict rule", false);
}
