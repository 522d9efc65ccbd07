/*
 * mqttspec-corpus OUTDIR: writes the benchmark corpora as files, with the
 * same names and bytes as shared/bench/gen_corpus.py:
 *   OUTDIR/<corpus>.bin and OUTDIR/malformed/<probe>.bin
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus.h"

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "mqttspec-corpus: cannot create %s: %s\n", path, strerror(errno));
    return -1;
}

static int write_file(const char *dir, const char *name, const corpus_buf *b)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        fprintf(stderr, "mqttspec-corpus: path too long: %s/%s.bin\n", dir, name);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "mqttspec-corpus: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t wrote = fwrite(b->data, 1, b->len, f);
    if (fclose(f) != 0 || wrote != b->len) {
        fprintf(stderr, "mqttspec-corpus: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static int write_corpora(const char *outdir)
{
    for (size_t i = 0; i < corpus_count(); i++) {
        const corpus_info *c = corpus_at(i);
        corpus_buf b;
        if (corpus_generate(c, &b) != 0) {
            fprintf(stderr, "mqttspec-corpus: generating %s failed (encoder)\n", c->name);
            return -1;
        }
        int rc = write_file(outdir, c->name, &b);
        if (rc == 0)
            printf("%s.bin: %zu bytes, %zu packets\n", c->name, b.len, b.count);
        corpus_buf_free(&b);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int write_malformed(const char *outdir)
{
    char dir[4096];
    int n = snprintf(dir, sizeof(dir), "%s/malformed", outdir);
    if (n < 0 || (size_t)n >= sizeof(dir) || make_dir(dir) != 0)
        return -1;
    for (size_t i = 0; i < corpus_malformed_count(); i++) {
        corpus_buf b;
        const char *name = corpus_malformed_name(i);
        if (corpus_malformed_generate(i, &b) != 0) {
            fprintf(stderr, "mqttspec-corpus: generating malformed/%s failed (encoder)\n", name);
            return -1;
        }
        int rc = write_file(dir, name, &b);
        corpus_buf_free(&b);
        if (rc != 0)
            return -1;
    }
    printf("malformed: %zu probes\n", corpus_malformed_count());
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: mqttspec-corpus OUTDIR\n"
                        "Writes the codec benchmark corpora (the bytes of gen_corpus.py) into OUTDIR.\n");
        return 2;
    }
    if (make_dir(argv[1]) != 0 || write_corpora(argv[1]) != 0 || write_malformed(argv[1]) != 0)
        return 1;
    return 0;
}
