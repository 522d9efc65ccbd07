/* The chaos workers' packet id set (chaos/src/idset.c): membership, order, growth, and freeing when empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../chaos/src/chaos_internal.h"

/* Whether id is in the set (its tag not wanted). */
static bool has(const chaos_idset *s, uint16_t id)
{
    uint64_t tag;
    return chaos_idset_find(s, id, &tag);
}

static void add_has_del(void **state)
{
    (void)state;
    chaos_idset s = {0};
    assert_false(has(&s, 1));
    assert_true(chaos_idset_add(&s, 7, 70));
    assert_true(chaos_idset_add(&s, 3, 30));
    assert_true(chaos_idset_add(&s, 65535, 655350));
    assert_true(chaos_idset_add(&s, 7, 71)); /* already in: no second entry, the tag replaced */
    assert_int_equal(s.n, 3);
    assert_true(has(&s, 3) && has(&s, 7) && has(&s, 65535));
    assert_false(has(&s, 4));
    uint64_t tag = 0;
    assert_true(chaos_idset_find(&s, 3, &tag));
    assert_int_equal(tag, 30);
    assert_true(chaos_idset_find(&s, 7, &tag));
    assert_int_equal(tag, 71);
    assert_true(chaos_idset_find(&s, 65535, &tag));
    assert_int_equal(tag, 655350);
    assert_false(chaos_idset_find(&s, 4, &tag));
    chaos_idset_del(&s, 7);
    chaos_idset_del(&s, 8); /* not in: nothing happens */
    assert_false(has(&s, 7));
    assert_int_equal(s.n, 2);
    assert_true(chaos_idset_find(&s, 65535, &tag)); /* tags move with their ids */
    assert_int_equal(tag, 655350);
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
        assert_true(chaos_idset_add(&s, (uint16_t)(i * 40503u), i * 40503u % 65536)); /* odd multiplier: a permutation */
    assert_int_equal(s.n, 65536);
    for (uint32_t i = 1; i < s.n; i++)
        assert_true(s.ids[i - 1] < s.ids[i]);
    for (uint32_t id = 0; id < 65536; id += 2)
        chaos_idset_del(&s, (uint16_t)id);
    assert_int_equal(s.n, 32768);
    assert_false(has(&s, 100));
    uint64_t tag = 0;
    assert_true(chaos_idset_find(&s, 101, &tag));
    assert_int_equal(tag, 101); /* each id's tag is the id itself here */
    for (uint32_t id = 1; id < 65536; id += 2)
        chaos_idset_del(&s, (uint16_t)id);
    assert_int_equal(s.n, 0);
    assert_null(s.ids); /* empty: the memory is given back */
    assert_null(s.tags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_has_del),
        cmocka_unit_test(all_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
