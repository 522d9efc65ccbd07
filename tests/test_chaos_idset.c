/* The chaos workers' packet id set (chaos/src/idset.c): membership, order, growth, and freeing when empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../chaos/src/chaos_internal.h"

static void add_has_del(void **state)
{
    (void)state;
    chaos_idset s = {0};
    assert_false(chaos_idset_has(&s, 1));
    assert_true(chaos_idset_add(&s, 7));
    assert_true(chaos_idset_add(&s, 3));
    assert_true(chaos_idset_add(&s, 65535));
    assert_true(chaos_idset_add(&s, 7)); /* already in: no second entry */
    assert_int_equal(s.n, 3);
    assert_true(chaos_idset_has(&s, 3) && chaos_idset_has(&s, 7) && chaos_idset_has(&s, 65535));
    assert_false(chaos_idset_has(&s, 4));
    chaos_idset_del(&s, 7);
    chaos_idset_del(&s, 8); /* not in: nothing happens */
    assert_false(chaos_idset_has(&s, 7));
    assert_int_equal(s.n, 2);
    chaos_idset_clear(&s);
    assert_int_equal(s.n, 0);
    assert_null(s.ids);
}

/* Every id, inserted out of order, stays sorted and findable; removing them all frees the array. */
static void all_ids(void **state)
{
    (void)state;
    chaos_idset s = {0};
    for (uint32_t i = 0; i < 65536; i++)
        assert_true(chaos_idset_add(&s, (uint16_t)(i * 40503u))); /* odd multiplier: a permutation */
    assert_int_equal(s.n, 65536);
    for (uint32_t i = 1; i < s.n; i++)
        assert_true(s.ids[i - 1] < s.ids[i]);
    for (uint32_t id = 0; id < 65536; id += 2)
        chaos_idset_del(&s, (uint16_t)id);
    assert_int_equal(s.n, 32768);
    assert_false(chaos_idset_has(&s, 100));
    assert_true(chaos_idset_has(&s, 101));
    for (uint32_t id = 1; id < 65536; id += 2)
        chaos_idset_del(&s, (uint16_t)id);
    assert_int_equal(s.n, 0);
    assert_null(s.ids); /* empty: the memory is given back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_has_del),
        cmocka_unit_test(all_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
