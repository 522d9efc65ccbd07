/*
 * Benchmark corpora, generated in memory with the codec's own encoder.
 *
 * The bytes are exactly those of shared/bench/gen_corpus.py (checked by
 * bench/check_corpus.sh), so figures measured here compare with figures
 * measured for other decoders on the Python-generated files, while the bench
 * itself needs nothing outside this repository at run time.
 */
#ifndef MQTTSPEC_BENCH_CORPUS_H
#define MQTTSPEC_BENCH_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "mqttspec/codec.h"

/* A growable byte buffer holding concatenated packets. */
typedef struct corpus_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t count; /* packets appended */
} corpus_buf;

void corpus_buf_free(corpus_buf *b);

/* Which role decodes the packets of a corpus (see bench_decode.c). */
typedef enum corpus_direction {
    CORPUS_C2S,   /* every packet is sent by a client: decode as server */
    CORPUS_S2C,   /* every packet is sent by a server: decode as client */
    CORPUS_MIXED, /* both: decode each packet in the role that can receive it */
} corpus_direction;

typedef struct corpus_info {
    const char *name; /* file name without ".bin" */
    const char *description;
    mqtt_version version;
    corpus_direction direction;
    size_t packets;
    /* Appends the corpus to out; returns 0, or -1 if encoding or allocation failed. */
    int (*generate)(corpus_buf *out);
} corpus_info;

size_t corpus_count(void);
const corpus_info *corpus_at(size_t i);
const corpus_info *corpus_find(const char *name); /* NULL if unknown */
/* Generates c into a fresh out (freed first by the caller, or zeroed); 0 on success. */
int corpus_generate(const corpus_info *c, corpus_buf *out);

/* The single malformed (and matching well-formed) probe packets. */
size_t corpus_malformed_count(void);
const char *corpus_malformed_name(size_t i);
int corpus_malformed_generate(size_t i, corpus_buf *out);

#endif
