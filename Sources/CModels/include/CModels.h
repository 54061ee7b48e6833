#ifndef AECODEC_CMODELS_H
#define AECODEC_CMODELS_H

#include <stddef.h>

/// One model bundle (.aemodel) embedded in the executable (see models.c).
typedef struct {
    /// The name `--model` takes, e.g. "svhn-64" (NUL-terminated, static).
    const char *name;
    /// The bundle's bytes, exactly as in the file.
    const unsigned char *bytes;
    size_t size;
} aecodec_embedded_model;

/// Number of embedded models.
size_t aecodec_embedded_model_count(void);

/// The embedded model at `index` (0 ..< count), in the order models.c lists them.
const aecodec_embedded_model *aecodec_embedded_model_at(size_t index);

#endif
