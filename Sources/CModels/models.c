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
// below (or, for svhn-16 and the photo levels photo-1 ... photo-7, just drop the file
// in: its entry is already here, enabled when the file exists; run
// `touch Sources/CModels/models.c` or a clean build so an incremental build notices the
// new file).

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

// Rate-distortion fine-tunes of svhn-64 and svhn-16 (a factorized prior on the latent;
// aeenc writes entropy-coded latent files 2.0 with them). They are the two levels of the
// quality set "svhn-rd" (svhn-16-rd level 1, svhn-64-rd level 2), so
// `aeenc --model svhn-rd --size 48` picks the better one that fits.
#if __has_embed("models/svhn-64-rd.aemodel")
#define AECODEC_HAS_SVHN_64_RD 1
static const unsigned char svhn_64_rd[] = {
#embed "models/svhn-64-rd.aemodel"
};
#endif
#if __has_embed("models/svhn-16-rd.aemodel")
#define AECODEC_HAS_SVHN_16_RD 1
static const unsigned char svhn_16_rd[] = {
#embed "models/svhn-16-rd.aemodel"
};
#endif

// The photo codec's quality levels (conv-factorized, one bundle per lambda), built in when
// their files are present: models/photo-1.aemodel ... photo-7.aemodel. Each bundle names
// its set and level in its metadata (aetrain --stamp-quality ... --quality-set photo
// --quality-level N), which is what `aeenc --model photo -q N` goes by; the names here
// are only the --model names of the single bundles.
#if __has_embed("models/photo-1.aemodel")
#define AECODEC_HAS_PHOTO_1 1
static const unsigned char photo_1[] = {
#embed "models/photo-1.aemodel"
};
#endif
#if __has_embed("models/photo-2.aemodel")
#define AECODEC_HAS_PHOTO_2 1
static const unsigned char photo_2[] = {
#embed "models/photo-2.aemodel"
};
#endif
#if __has_embed("models/photo-3.aemodel")
#define AECODEC_HAS_PHOTO_3 1
static const unsigned char photo_3[] = {
#embed "models/photo-3.aemodel"
};
#endif
#if __has_embed("models/photo-4.aemodel")
#define AECODEC_HAS_PHOTO_4 1
static const unsigned char photo_4[] = {
#embed "models/photo-4.aemodel"
};
#endif
#if __has_embed("models/photo-5.aemodel")
#define AECODEC_HAS_PHOTO_5 1
static const unsigned char photo_5[] = {
#embed "models/photo-5.aemodel"
};
#endif
#if __has_embed("models/photo-6.aemodel")
#define AECODEC_HAS_PHOTO_6 1
static const unsigned char photo_6[] = {
#embed "models/photo-6.aemodel"
};
#endif
#if __has_embed("models/photo-7.aemodel")
#define AECODEC_HAS_PHOTO_7 1
static const unsigned char photo_7[] = {
#embed "models/photo-7.aemodel"
};
#endif

static const aecodec_embedded_model models[] = {
    { "svhn-64", svhn_64, sizeof svhn_64 },   // the digit model (EmbeddedModels.digitModelName)
#ifdef AECODEC_HAS_SVHN_16
    { "svhn-16", svhn_16, sizeof svhn_16 },
#endif
#ifdef AECODEC_HAS_SVHN_64_RD
    { "svhn-64-rd", svhn_64_rd, sizeof svhn_64_rd },
#endif
#ifdef AECODEC_HAS_SVHN_16_RD
    { "svhn-16-rd", svhn_16_rd, sizeof svhn_16_rd },
#endif
#ifdef AECODEC_HAS_PHOTO_1
    { "photo-1", photo_1, sizeof photo_1 },
#endif
#ifdef AECODEC_HAS_PHOTO_2
    { "photo-2", photo_2, sizeof photo_2 },
#endif
#ifdef AECODEC_HAS_PHOTO_3
    { "photo-3", photo_3, sizeof photo_3 },
#endif
#ifdef AECODEC_HAS_PHOTO_4
    { "photo-4", photo_4, sizeof photo_4 },
#endif
#ifdef AECODEC_HAS_PHOTO_5
    { "photo-5", photo_5, sizeof photo_5 },
#endif
#ifdef AECODEC_HAS_PHOTO_6
    { "photo-6", photo_6, sizeof photo_6 },
#endif
#ifdef AECODEC_HAS_PHOTO_7
    { "photo-7", photo_7, sizeof photo_7 },
#endif
};

size_t aecodec_embedded_model_count(void) { return sizeof models / sizeof models[0]; }

const aecodec_embedded_model *aecodec_embedded_model_at(size_t index) {
    return index < aecodec_embedded_model_count() ? &models[index] : 0;
}
