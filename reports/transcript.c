/*
 * A case's wire transcript as plain text, one line per event:
 *
 *   +    0.012 s  [sub] -> SUBSCRIBE (m1, 'a/b', q1)
 *                 82 0a 00 01 00 03 61 2f 62 01
 *   +    0.015 s  [sub] <- SUBACK (m1, 1)
 *   +    1.500 s  [sub] == closed by peer
 *   +    1.500 s  [-] ## step 3: expect_close
 *
 * "->" we sent, "<-" the peer sent, "==" the connection opened, closed or was
 * dropped by us, "##" a note.  Times are seconds since the case started, with
 * the model's millisecond resolution.  Every event is exactly one line (its
 * text has control bytes shown as \xNN), followed by one hex line when the
 * wire bytes are known, so the output greps and diffs well.
 */
#include "text.h"

/* Bytes shown on a hex line; the rest is counted, a 256 MiB payload must not print 768 MiB of hex. */
enum { HEX_MAX = 64 };

/* Lines up the hex under the connection column: "+" and the 12-wide time field. */
static const char HEX_INDENT[] = "               ";

static const char *arrow(mqs_event_kind kind)
{
    switch (kind) {
    case MQS_EV_SENT:
        return "->";
    case MQS_EV_RECEIVED:
        return "<-";
    case MQS_EV_OPENED:
    case MQS_EV_CLOSED:
    case MQS_EV_DROPPED:
        return "==";
    case MQS_EV_NOTE:
        break;
    }
    return "##";
}

/* What the line says when the engine gave no text. */
static const char *default_text(mqs_event_kind kind)
{
    switch (kind) {
    case MQS_EV_OPENED:
        return "opened";
    case MQS_EV_CLOSED:
        return "closed by peer";
    case MQS_EV_DROPPED:
        return "dropped (no DISCONNECT)";
    case MQS_EV_SENT:
    case MQS_EV_RECEIVED:
        return "(not decoded)";
    case MQS_EV_NOTE:
        break;
    }
    return "";
}

static void put_clean(FILE *out, const char *s)
{
    while (*s) {
        bool as_hex;
        size_t len = mqs_text_unit(s, 0, &as_hex);
        if (as_hex)
            fprintf(out, "\\x%02X", (unsigned char)*s);
        else
            fwrite(s, 1, len, out);
        s += len;
    }
}

/* Connection events always name what happened; the engine's text (a reason, an address) follows. */
static void write_text(const mqs_event *ev, FILE *out)
{
    bool has_text = ev->text && *ev->text;
    switch (ev->kind) {
    case MQS_EV_OPENED:
    case MQS_EV_CLOSED:
    case MQS_EV_DROPPED:
        fputs(default_text(ev->kind), out);
        if (has_text) {
            fputs(": ", out);
            put_clean(out, ev->text);
        }
        return;
    case MQS_EV_SENT:
    case MQS_EV_RECEIVED:
    case MQS_EV_NOTE:
        break;
    }
    put_clean(out, has_text ? ev->text : default_text(ev->kind));
}

static void write_hex(const uint8_t *raw, size_t len, FILE *out)
{
    size_t shown = len > HEX_MAX ? HEX_MAX : len;
    fputs(HEX_INDENT, out);
    for (size_t i = 0; i < shown; i++)
        fprintf(out, i ? " %02x" : "%02x", raw[i]);
    if (len > shown)
        fprintf(out, " ... %zu more bytes", len - shown);
    fputc('\n', out);
}

static void write_event(const mqs_event *ev, FILE *out)
{
    char when[32];
    mqs_text_seconds(when, ev->t_ms);
    fprintf(out, "+%10s s  [", when);
    put_clean(out, ev->conn ? ev->conn : "-");
    fprintf(out, "] %s ", arrow(ev->kind));
    write_text(ev, out);
    fputc('\n', out);
    if (ev->raw && ev->raw_len)
        write_hex(ev->raw, ev->raw_len, out);
}

int mqs_write_transcript(const mqs_case *c, FILE *out)
{
    for (size_t i = 0; i < c->nevents; i++)
        write_event(&c->events[i], out);
    return ferror(out) ? -1 : 0;
}

static void write_trace_attempt(const mqs_case *c, FILE *out)
{
    fprintf(out, "%s", mqs_verdict_name(c->verdict));
    if (c->statement) {
        fputc(' ', out);
        put_clean(out, c->statement);
    }
    fputc('\n', out);
    if (c->statement && c->statement_text) {
        put_clean(out, c->statement_text);
        if (c->statement_section) {
            fputs(" (", out);
            put_clean(out, c->statement_section);
            fputc(')', out);
        }
        fputc('\n', out);
    }
    if (c->message) {
        put_clean(out, c->message);
        fputc('\n', out);
    }
    fputc('\n', out);
    mqs_write_transcript(c, out);
}

int mqs_write_case_trace(const mqs_case *c, FILE *out)
{
    put_clean(out, c->id ? c->id : "unnamed");
    fputs(" (", out);
    put_clean(out, c->version ? c->version : "unknown");
    fputs("): ", out);
    write_trace_attempt(c, out);
    if (c->first_attempt) {
        fputs("\nfirst attempt (in parallel): ", out);
        write_trace_attempt(c->first_attempt, out);
    }
    return ferror(out) ? -1 : 0;
}
