/*
 * A set of MQTT packet ids as a sorted array that grows as needed: what a
 * subscriber holds for QoS 2 messages awaiting PUBREL.  Usually empty or a
 * few ids, so an idle connection holds nothing (an 8 KiB bitmap each did).
 */
#include <stdlib.h>
#include <string.h>

#include "chaos_internal.h"

/* The position of id, or where it would go. */
static uint32_t idset_pos(const chaos_idset *s, uint16_t id)
{
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool chaos_idset_find(const chaos_idset *s, uint16_t id, uint64_t *tag)
{
    uint32_t i = idset_pos(s, id);
    if (i == s->n || s->ids[i] != id)
        return false;
    *tag = s->tags[i];
    return true;
}

bool chaos_idset_add(chaos_idset *s, uint16_t id, uint64_t tag)
{
    uint32_t i = idset_pos(s, id);
    if (i < s->n && s->ids[i] == id) {
        s->tags[i] = tag;
        return true;
    }
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 8;
        uint16_t *ids = realloc(s->ids, cap * sizeof *ids);
        if (ids)
            s->ids = ids;
        uint64_t *tags = ids ? realloc(s->tags, cap * sizeof *tags) : NULL;
        if (!tags)
            return false;
        s->tags = tags;
        s->cap = cap;
    }
    memmove(&s->ids[i + 1], &s->ids[i], (s->n - i) * sizeof *s->ids);
    memmove(&s->tags[i + 1], &s->tags[i], (s->n - i) * sizeof *s->tags);
    s->ids[i] = id;
    s->tags[i] = tag;
    s->n++;
    return true;
}

void chaos_idset_del(chaos_idset *s, uint16_t id)
{
    uint32_t i = idset_pos(s, id);
    if (i == s->n || s->ids[i] != id)
        return;
    memmove(&s->ids[i], &s->ids[i + 1], (s->n - i - 1) * sizeof *s->ids);
    memmove(&s->tags[i], &s->tags[i + 1], (s->n - i - 1) * sizeof *s->tags);
    if (--s->n == 0)
        chaos_idset_clear(s); /* empty again: give the memory back */
}

void chaos_idset_clear(chaos_idset *s)
{
    free(s->ids);
    free(s->tags);
    memset(s, 0, sizeof *s);
}
