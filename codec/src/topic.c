/* Topic Name and Topic Filter rules (MQTT 4.7) and matching. */
#include "internal.h"

mqtt_err mqtt_check_topic_name(mqtt_bytes topic, size_t *bad_at)
{
    size_t at = 0;
    if (topic.len == 0) {
        if (bad_at)
            *bad_at = 0;
        return MQTT_E_TOPIC_NAME_EMPTY;
    }
    mqtt_err e = utf8_check(topic.ptr, topic.len, true, &at);
    if (bad_at)
        *bad_at = at;
    return e;
}

/* Wildcards must fill whole levels; '#' only as the last level. */
mqtt_err mqtt_check_wildcards(const uint8_t *s, size_t n, size_t *bad_at)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c != '+' && c != '#')
            continue;
        bool level_start = i == 0 || s[i - 1] == '/';
        bool last = i + 1 == n;
        if (c == '+' && !(level_start && (last || s[i + 1] == '/'))) {
            *bad_at = i;
            return MQTT_E_TOPIC_FILTER_PLUS;
        }
        if (c == '#' && !(level_start && last)) {
            *bad_at = i;
            return MQTT_E_TOPIC_FILTER_HASH;
        }
    }
    return MQTT_E_OK;
}

/* 5.0 4.8.2: "$share/" ShareName "/" filter, ShareName without '/', '+', '#'. */
static mqtt_err check_shared(const uint8_t *s, size_t n, size_t *bad_at)
{
    const size_t prefix = 7; /* "$share/" */
    size_t i = prefix;
    while (i < n && s[i] != '/') {
        if (s[i] == '+' || s[i] == '#') {
            *bad_at = i;
            return MQTT_E_SHARE_NAME;
        }
        i++;
    }
    if (i == prefix || i + 1 >= n) { /* empty ShareName, or no filter after it */
        *bad_at = i;
        return MQTT_E_SHARE_NAME;
    }
    mqtt_err e = mqtt_check_wildcards(s + i + 1, n - i - 1, bad_at);
    if (e)
        *bad_at += i + 1;
    return e;
}

static bool is_shared(const uint8_t *s, size_t n)
{
    return n >= 7 && memcmp(s, "$share/", 7) == 0;
}

mqtt_err mqtt_check_topic_filter(mqtt_bytes filter, mqtt_version version, size_t *bad_at)
{
    size_t at = 0;
    mqtt_err e = MQTT_E_OK;
    if (filter.len == 0)
        e = MQTT_E_TOPIC_FILTER_EMPTY;
    if (!e)
        e = utf8_check(filter.ptr, filter.len, false, &at);
    if (!e) {
        if (version == MQTT_V5 && is_shared(filter.ptr, filter.len))
            e = check_shared(filter.ptr, filter.len, &at);
        else
            e = mqtt_check_wildcards(filter.ptr, filter.len, &at);
    }
    if (bad_at)
        *bad_at = at;
    return e;
}

bool mqtt_topic_matches(mqtt_bytes filter, mqtt_bytes topic)
{
    const uint8_t *f = filter.ptr, *fend = f + filter.len;
    const uint8_t *t = topic.ptr, *tend = t + topic.len;
    /* MQTT-4.7.2-1: leading wildcards do not match '$' topics. */
    if (topic.len && t[0] == '$' && filter.len && (f[0] == '+' || f[0] == '#'))
        return false;
    while (f < fend) {
        if (*f == '#')
            return true; /* also matches the parent level: "a/#" matches "a" */
        if (*f == '+') {
            while (t < tend && *t != '/')
                t++;
            f++;
        } else {
            while (f < fend && *f != '/' && t < tend && *t == *f) {
                f++;
                t++;
            }
            if ((f < fend && *f != '/') || (t < tend && *t != '/'))
                return false;
        }
        /* both at a level end */
        if (f == fend)
            return t == tend;
        /* f at '/' */
        if (t == tend) /* "a/#" vs "a": the filter's last level must be "#" */
            return fend - f == 2 && f[1] == '#';
        f++;
        t++;
    }
    return t == tend;
}
