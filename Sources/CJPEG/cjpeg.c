#include "cjpeg.h"

#include <setjmp.h>
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
