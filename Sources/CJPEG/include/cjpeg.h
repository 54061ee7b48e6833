// A setjmp-safe front for libjpeg(-turbo)'s decompressor and compressor. libjpeg reports errors by
// calling error_exit, which must not return: the only ways out are exit() or longjmp.
// Swift cannot setjmp, so these C functions do it and return a status instead.
// Nothing is ever printed: libjpeg's messages are copied into `message`.
#ifndef CJPEG_H
#define CJPEG_H

#include <stddef.h>

typedef struct {
    int width;
    int height;
    /// Components in the file (1 gray, 3 YCbCr or RGB, 4 CMYK or YCCK).
    int components;
    /// libjpeg's J_COLOR_SPACE of the file: 1 gray, 2 RGB, 3 YCbCr, 4 CMYK, 5 YCCK.
    int color_space;
    /// 1 for a progressive (multi-scan) file.
    int progressive;
    /// libjpeg's error or damaged-data message when a call fails.
    char message[200];
} cjpeg_info;

/// Reads the header of the JPEG in `data` into `info`. Returns 0, or -1 with `info->message`.
int cjpeg_read_header(const unsigned char *data, size_t size, cjpeg_info *info);

/// Decodes the JPEG in `data` as 8-bit gray (`channels` 1) or RGB (`channels` 3) into
/// `pixels` (`capacity` bytes, at least width x height x channels), top row first.
/// libjpeg may allocate at most `max_memory` bytes of its own (a larger need is an error,
/// not a temporary file), and a file may have at most `max_scans` scans (progressive files
/// with thousands of tiny scans cost time, not bytes). Damaged image data (a premature
/// end, a corrupt Huffman code, lost markers) is an error, not a partly gray image.
/// Returns 0, or -1 with `info->message`.
int cjpeg_decode(const unsigned char *data, size_t size, int channels, unsigned char *pixels, size_t capacity,
                 long max_memory, int max_scans, cjpeg_info *info);

/// Encodes 8-bit gray (`channels` 1) or RGB (`channels` 3) `pixels`, top row first, as a
/// baseline JPEG at `quality` (1...100, libjpeg's scale) the way Pillow's
/// `save(quality=q, optimize=True)` does: libjpeg's defaults (JFIF, YCbCr with 4:2:0 chroma
/// subsampling for RGB, the standard quantisation tables scaled by the quality, forced to
/// baseline) with optimized Huffman tables. On success `*out` is a buffer of `*out_size`
/// bytes the caller releases with `cjpeg_free`. Returns 0, or -1 with `message` (200 bytes).
int cjpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                 unsigned char **out, unsigned long *out_size, char *message);

/// Releases a buffer `cjpeg_encode` returned.
void cjpeg_free(unsigned char *buffer);

#endif
