/*
 * Shared by the writers only.  Reports must stay readable and well-formed
 * whatever a transcript holds, and the model's strings can carry any byte
 * a broker sent us.  So every writer walks text in "units": a valid UTF-8
 * character written as is, or one byte shown as the four characters \xNN
 * (invalid UTF-8, a control character the format cannot carry, U+FFFE/U+FFFF).
 */
#ifndef MQTTSPEC_REPORTS_TEXT_H
#define MQTTSPEC_REPORTS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mqttspec/result.h"

enum {
    MQS_TEXT_KEEP_WS = 1,   /* keep tab and newline (CR is still shown as \x0D) */
    MQS_TEXT_KEEP_CTRL = 2, /* keep every C0 control and DEL (the format escapes them itself) */
};

/*
 * The unit at the start of the non-empty NUL-terminated s: returns its length
 * in bytes; *as_hex tells whether to show its one byte as \xNN instead.
 */
size_t mqs_text_unit(const char *s, unsigned flags, bool *as_hex);

/* A heap copy of s made of units only (\xNN replacements spelled out); NULL if s is NULL or out of memory. */
char *mqs_text_clean(const char *s, unsigned flags);

/* "12.345": milliseconds as seconds with three decimals, a leading '-' if negative.  buf holds 32. */
void mqs_text_seconds(char buf[32], int64_t ms);

/* The longest run of consecutive backticks in s (for choosing a Markdown fence). */
size_t mqs_text_backtick_run(const char *s);

/* The transcript as a heap string (what mqs_write_transcript writes); NULL if out of memory. */
char *mqs_transcript_string(const mqs_case *c);

/* s as Markdown inline text (table cells, headings): markup characters escaped, newlines as <br>. */
void mqs_md_inline(FILE *out, const char *s);


#endif
