#include "cjpeg.h"

#include <setjmp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/// libjpeg's error manager, with the jump back to the call and where the message goes.
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    cjpeg_info *info;
    int max_scans;
} shim_error;

static void keep_message(j_common_ptr cinfo) {
    shim_error *err = (shim_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(err->info->message, sizeof err->info->message, "%s", text);
}

static void error_exit(j_common_ptr cinfo) {
    keep_message(cinfo);
    longjmp(((shim_error *)cinfo->err)->jump, 1);
}

/// Warnings (level -1) that mean pixel data are missing or wrong end the decoding;
/// the others (an unknown JFIF revision, extraneous bytes between markers) are harmless.
static void emit_message(j_common_ptr cinfo, int level) {
    if (level != -1) return;
    switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
        keep_message(cinfo);
        longjmp(((shim_error *)cinfo->err)->jump, 1);
    default:
        cinfo->err->num_warnings++;
    }
}

static void output_message(j_common_ptr cinfo) { (void)cinfo; }

/// Called between passes and during each scan: stops files with too many scans.
static void progress(j_common_ptr cinfo) {
    shim_error *err = (shim_error *)cinfo->err;
    if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->input_scan_number > err->max_scans) {
        snprintf(err->info->message, sizeof err->info->message, "more than %d scans", err->max_scans);
        longjmp(err->jump, 1);
    }
}

static void fill_info(j_decompress_ptr cinfo, cjpeg_info *info) {
    info->width = (int)cinfo->image_width;
    info->height = (int)cinfo->image_height;
    info->components = cinfo->num_components;
    info->color_space = (int)cinfo->jpeg_color_space;
    info->progressive = jpeg_has_multiple_scans(cinfo) ? 1 : 0;
}

static void setup(struct jpeg_decompress_struct *cinfo, shim_error *err, cjpeg_info *info, int max_scans) {
    cinfo->err = jpeg_std_error(&err->base);
    err->base.error_exit = error_exit;
    err->base.emit_message = emit_message;
    err->base.output_message = output_message;
    err->info = info;
    err->max_scans = max_scans;
    info->message[0] = 0;
}

int cjpeg_read_header(const unsigned char *data, size_t size, cjpeg_info *info) {
    struct jpeg_decompress_struct cinfo;
    shim_error err;
    setup(&cinfo, &err, info, 0);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    fill_info(&cinfo, info);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int cjpeg_decode(const unsigned char *data, size_t size, int channels, unsigned char *pixels, size_t capacity,
                 long max_memory, int max_scans, cjpeg_info *info) {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_progress_mgr monitor;
    shim_error err;
    setup(&cinfo, &err, info, max_scans);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.mem->max_memory_to_use = max_memory;
    monitor.progress_monitor = progress;
    cinfo.progress = &monitor;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    fill_info(&cinfo, info);
    cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (cinfo.output_components != channels || (size_t)cinfo.output_height * stride > capacity) {
        snprintf(info->message, sizeof info->message, "decoded image does not fit the buffer");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/// The compressor's error manager: the jump back, where the message goes, and libjpeg's
/// output buffer (kept here, in memory, so that the error path can release it).
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
    unsigned char *buffer;
    unsigned long size;
} encode_error;

static void encode_error_exit(j_common_ptr cinfo) {
    encode_error *err = (encode_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(err->message, 200, "%s", text);
    longjmp(err->jump, 1);
}

int cjpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                 unsigned char **out, unsigned long *out_size, char *message) {
    struct jpeg_compress_struct cinfo;
    encode_error err;
    message[0] = 0;
    *out = NULL;
    *out_size = 0;
    if ((channels != 1 && channels != 3) || width < 1 || height < 1 || width > JPEG_MAX_DIMENSION ||
        height > JPEG_MAX_DIMENSION || quality < 1 || quality > 100) {
        snprintf(message, 200, "cannot encode %dx%d pixels of %d channels at quality %d", width, height, channels, quality);
        return -1;
    }
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = encode_error_exit;
    err.base.output_message = output_message;
    err.message = message;
    err.buffer = NULL;
    err.size = 0;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(err.buffer);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &err.buffer, &err.size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);  // RGB: YCbCr, luma sampled 2x2 (4:2:0)
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.optimize_coding = TRUE;
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = err.buffer;
    *out_size = err.size;
    return 0;
}

void cjpeg_free(unsigned char *buffer) { free(buffer); }
