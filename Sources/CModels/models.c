// The model bundles built into aeenc, aedec and aeinfo (`--model NAME`,
// `aeinfo --models`), embedded byte for byte from Sources/CModels/models/.
//
// C23 #embed (clang >= 19, which the Swift 6 toolchains ship) includes a file's bytes
// as an initializer without tokenising it, so a multi-megabyte model compiles in well
// under a second. Unlike an assembler .incbin, the embedded file is recorded in the
// compiler's dependency file, so replacing a bundle rebuilds this target. Paths are
// relative to this file, so the build works from any folder; the bytes live in the
// executable's read-only data, so a copied binary keeps its models.
//
// To add a model: put NAME.aemodel in models/, then add its block and one table line
// below (or, for svhn-16, just drop the file in: its entry is already here, enabled
// when the file exists; run `touch Sources/CModels/models.c` or a clean build so an
// incremental build notices the new file).

#include "CModels.h"

#pragma clang diagnostic ignored "-Wc23-extensions"

static const unsigned char svhn_64[] = {
#embed "models/svhn-64.aemodel"
};

#if __has_embed("models/svhn-16.aemodel")
#define AECODEC_HAS_SVHN_16 1
static const unsigned char svhn_16[] = {
#embed "models/svhn-16.aemodel"
};
#endif

static const aecodec_embedded_model models[] = {
    { "svhn-64", svhn_64, sizeof svhn_64 },   // the default (EmbeddedModels.defaultName)
#ifdef AECODEC_HAS_SVHN_16
    { "svhn-16", svhn_16, sizeof svhn_16 },
#endif
};

size_t aecodec_embedded_model_count(void) { return sizeof models / sizeof models[0]; }

const aecodec_embedded_model *aecodec_embedded_model_at(size_t index) {
    return index < aecodec_embedded_model_count() ? &models[index] : 0;
}
