// dnnl_probe: would oneDNN's convolutions make our models faster? (issue 12)
//
// Times oneDNN f32 convolution primitives (forward training, backward data,
// backward weights + bias) on the convolution shapes of the reference SVHN
// autoencoder and of the codec model, in three layouts:
//   nhwc   - activations NHWC, weights as Keras stores them (Conv2D HWIO,
//            Conv2DTranspose HWOI): an integration that keeps all our layouts;
//   nhwc+w - activations NHWC, weights in the layout oneDNN picks (dnnl_format_tag_any):
//            our other layers unchanged, weights reordered only for files;
//   any    - dnnl_format_tag_any everywhere: oneDNN's own (blocked) layouts, an
//            integration that reorders only at the model's boundaries.
// Keras semantics throughout: 'same' padding with TensorFlow's asymmetric rule,
// a transposed convolution is the gradient of the convolution (conv2d_transpose).
// `--check` compares every primitive kind with a naive loop on small cases.
//
// Build: Benchmarks/dnnl_probe.sh. Not part of the Swift package or of CI.
// Vocabulary as in Sources/AENet/Kernels/ConvolutionGeometry.swift: a convolution
// reads the "large" side and writes the "small" one; a transposed convolution runs
// the same geometry backwards. Weights are [k][k][large channels][small channels]
// in both cases (Keras's HWIO for Conv2D, HWOI for Conv2DTranspose).

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>

// ---------------------------------------------------------------- errors, clocks

static void check_status(dnnl_status_t s, const char *what, int line) {
    if (s != dnnl_success) {
        fprintf(stderr, "dnnl_probe: %s failed (status %d, line %d)\n", what, (int)s, line);
        exit(1);
    }
}
#define CHECK(call) check_status((call), #call, __LINE__)

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *xmalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) { fprintf(stderr, "dnnl_probe: out of memory (%zu bytes)\n", bytes); exit(1); }
    return p;
}

// A small deterministic generator (xorshift64*), values in [-1, 1).
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static float random_value(void) {
    rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
    return (float)((rng_state * 0x2545f4914f6cdd1dull) >> 40) / (float)(1 << 23) - 1.0f;
}

static dnnl_engine_t engine;
static dnnl_stream_t stream;

// ---------------------------------------------------------------- geometry

// One call of a 2-D convolution over an NHWC batch, TensorFlow's 'same' padding.
typedef struct {
    int batch, k, stride;
    int large_h, large_w, large_c;
    int small_h, small_w, small_c;
    int pad_top, pad_left, pad_bottom, pad_right;  // around the large side
} Geometry;

// 'same': small = ceil(large / stride); an odd total padding goes one more to the bottom/right.
static Geometry make_geometry(int batch, int large_h, int large_w, int large_c, int small_c, int k, int stride) {
    Geometry g = {batch, k, stride, large_h, large_w, large_c,
                  (large_h + stride - 1) / stride, (large_w + stride - 1) / stride, small_c, 0, 0, 0, 0};
    int total_h = (g.small_h - 1) * stride + k - large_h, total_w = (g.small_w - 1) * stride + k - large_w;
    if (total_h < 0) total_h = 0;
    if (total_w < 0) total_w = 0;
    g.pad_top = total_h / 2; g.pad_bottom = total_h - g.pad_top;
    g.pad_left = total_w / 2; g.pad_right = total_w - g.pad_left;
    return g;
}

// 2 FLOPs per multiply-add: every small pixel meets every tap (a transposed convolution
// likewise: every input pixel meets every tap). Padding taps count, as in aebench.
static double geometry_flops(const Geometry *g) {
    return 2.0 * g->batch * g->small_h * g->small_w * g->k * g->k * (double)g->large_c * g->small_c;
}

// ---------------------------------------------------------------- naive reference loops

static size_t large_count(const Geometry *g) { return (size_t)g->batch * g->large_h * g->large_w * g->large_c; }
static size_t small_count(const Geometry *g) { return (size_t)g->batch * g->small_h * g->small_w * g->small_c; }
static size_t weight_count(const Geometry *g) { return (size_t)g->k * g->k * g->large_c * g->small_c; }

// Calls body(large index, small index without channel, weight index without channels)
// for every (pixel, tap) pair that lies inside the large image.
#define FOR_EACH_TAP(g, BODY)                                                                   \
    for (int n = 0; n < (g)->batch; n++)                                                        \
        for (int sy = 0; sy < (g)->small_h; sy++)                                               \
            for (int sx = 0; sx < (g)->small_w; sx++)                                           \
                for (int ky = 0; ky < (g)->k; ky++)                                             \
                    for (int kx = 0; kx < (g)->k; kx++) {                                       \
                        int ly = sy * (g)->stride - (g)->pad_top + ky;                          \
                        int lx = sx * (g)->stride - (g)->pad_left + kx;                         \
                        if (ly < 0 || ly >= (g)->large_h || lx < 0 || lx >= (g)->large_w) continue; \
                        size_t L = (((size_t)n * (g)->large_h + ly) * (g)->large_w + lx) * (g)->large_c; \
                        size_t S = (((size_t)n * (g)->small_h + sy) * (g)->small_w + sx) * (g)->small_c; \
                        size_t W = ((size_t)ky * (g)->k + kx) * (g)->large_c * (g)->small_c;    \
                        BODY                                                                    \
                    }

// Convolution forward, transposed convolution's input gradient.
static void naive_small_from_large(const Geometry *g, const float *large, const float *w, double *small) {
    memset(small, 0, small_count(g) * sizeof(double));
    FOR_EACH_TAP(g, for (int cl = 0; cl < g->large_c; cl++) for (int cs = 0; cs < g->small_c; cs++)
                 small[S + cs] += (double)large[L + cl] * w[W + (size_t)cl * g->small_c + cs];)
}

// Convolution's input gradient, transposed convolution forward.
static void naive_large_from_small(const Geometry *g, const float *small, const float *w, double *large) {
    memset(large, 0, large_count(g) * sizeof(double));
    FOR_EACH_TAP(g, for (int cl = 0; cl < g->large_c; cl++) for (int cs = 0; cs < g->small_c; cs++)
                 large[L + cl] += (double)small[S + cs] * w[W + (size_t)cl * g->small_c + cs];)
}

// The weight gradient of either (large and small being the input and the output gradient).
static void naive_weight_gradient(const Geometry *g, const float *large, const float *small, double *dw) {
    memset(dw, 0, weight_count(g) * sizeof(double));
    FOR_EACH_TAP(g, for (int cl = 0; cl < g->large_c; cl++) for (int cs = 0; cs < g->small_c; cs++)
                 dw[W + (size_t)cl * g->small_c + cs] += (double)large[L + cl] * small[S + cs];)
}

// Per-channel sums of an NHWC tensor (bias gradient); adds bias to an NHWC tensor.
static void naive_channel_sums(const float *x, size_t pixels, int c, double *sums) {
    for (int j = 0; j < c; j++) sums[j] = 0;
    for (size_t p = 0; p < pixels; p++) for (int j = 0; j < c; j++) sums[j] += x[p * c + j];
}
static void naive_add_bias(double *x, size_t pixels, int c, const float *bias) {
    for (size_t p = 0; p < pixels; p++) for (int j = 0; j < c; j++) x[p * c + j] += bias[j];
}

static double max_abs_error(const float *got, const double *want, size_t count) {
    double e = 0;
    for (size_t i = 0; i < count; i++) { double d = fabs((double)got[i] - want[i]); if (d > e || d != d) e = d; }
    return e;
}

// ---------------------------------------------------------------- oneDNN memories and passes

// One execute argument: the primitive's memory and the same tensor in Keras's layout
// (plain NHWC / HWIO / HWOI / x, in a host buffer), moved between them by reorders.
// A reorder pass borrows its memories from other passes (user is NULL).
typedef struct {
    int id;
    dnnl_memory_t mem;
    dnnl_memory_t user;
    float *data;
    size_t count;
} Arg;

typedef struct {
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    int nargs;
    Arg args[4];
    int built;
} Pass;

static void reorder(dnnl_memory_t from, dnnl_memory_t to) {
    const dnnl_memory_desc_t *from_md, *to_md;
    CHECK(dnnl_memory_get_memory_desc(from, &from_md));
    CHECK(dnnl_memory_get_memory_desc(to, &to_md));
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, from_md, engine, to_md, engine, NULL));
    CHECK(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    CHECK(dnnl_primitive_execute(r, stream, 2, args));
    CHECK(dnnl_stream_wait(stream));
    dnnl_primitive_destroy(r);
    dnnl_primitive_desc_destroy(rpd);
}

// Adds an argument in the layout the primitive asks for, filled with random values
// through the user layout (so blocked layouts get their zero padding right).
static Arg *add_arg(Pass *p, int id, const dnnl_memory_desc_t *user_md) {
    Arg *a = &p->args[p->nargs++];
    a->id = id;
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(p->pd, dnnl_query_exec_arg_md, id);
    CHECK(dnnl_memory_create(&a->mem, md, engine, DNNL_MEMORY_ALLOCATE));
    a->count = dnnl_memory_desc_get_size(user_md) / sizeof(float);
    a->data = xmalloc(a->count * sizeof(float));
    for (size_t i = 0; i < a->count; i++) a->data[i] = random_value();
    CHECK(dnnl_memory_create(&a->user, user_md, engine, a->data));
    reorder(a->user, a->mem);
    return a;
}

static Arg *find_arg(Pass *p, int id) {
    for (int i = 0; i < p->nargs; i++) if (p->args[i].id == id) return &p->args[i];
    fprintf(stderr, "dnnl_probe: no argument %d\n", id);
    exit(1);
}
static void load(Pass *p, int id) { Arg *a = find_arg(p, id); reorder(a->user, a->mem); }
static float *store(Pass *p, int id) { Arg *a = find_arg(p, id); reorder(a->mem, a->user); return a->data; }

static void execute(Pass *p) {
    dnnl_exec_arg_t args[4];
    for (int i = 0; i < p->nargs; i++) { args[i].arg = p->args[i].id; args[i].memory = p->args[i].mem; }
    CHECK(dnnl_primitive_execute(p->prim, stream, p->nargs, args));
    CHECK(dnnl_stream_wait(stream));
}

static const char *impl_name(const Pass *p) {
    const char *name = "?";
    if (p->built) dnnl_primitive_desc_query(p->pd, dnnl_query_impl_info_str, 0, &name);
    return p->built ? name : "-";
}

static int failures = 0;
static void report(const char *what, double error, const Pass *p) {
    int ok = error < 1e-4;
    if (!ok) failures++;
    printf("  %-48s max abs error %-9.3g %-4s  %s\n", what, error, ok ? "ok" : "FAIL", impl_name(p));
}

// A pass that copies one memory into another's layout (borrowing both).
static void make_reorder_pass(Pass *p, dnnl_memory_t from, dnnl_memory_t to) {
    const dnnl_memory_desc_t *from_md, *to_md;
    CHECK(dnnl_memory_get_memory_desc(from, &from_md));
    CHECK(dnnl_memory_get_memory_desc(to, &to_md));
    CHECK(dnnl_reorder_primitive_desc_create(&p->pd, from_md, engine, to_md, engine, NULL));
    CHECK(dnnl_primitive_create(&p->prim, p->pd));
    p->built = 1;
    p->nargs = 2;
    p->args[0] = (Arg){DNNL_ARG_FROM, from, NULL, NULL, 0};
    p->args[1] = (Arg){DNNL_ARG_TO, to, NULL, NULL, 0};
}

static void destroy_pass(Pass *p) {
    if (!p->built) return;
    for (int i = 0; i < p->nargs; i++) {
        if (!p->args[i].user) continue;  // borrowed
        dnnl_memory_destroy(p->args[i].mem);
        dnnl_memory_destroy(p->args[i].user);
        free(p->args[i].data);
    }
    dnnl_primitive_destroy(p->prim);
    dnnl_primitive_desc_destroy(p->pd);
    memset(p, 0, sizeof *p);
}

// ---------------------------------------------------------------- primitives for one layer

typedef enum {
    CONV,     // Conv2D: large in, small out
    DECONV,   // Conv2DTranspose as oneDNN deconvolution: small in, large out
    FLIPPED,  // stride-1 Conv2DTranspose as a convolution with the kernel flipped, in/out swapped
} Variant;
static const char *variant_name[] = {"conv", "deconv", "conv-flip"};

// Which tensors keep Keras's layouts and which oneDNN chooses (dnnl_format_tag_any).
typedef enum {
    KERAS,     // activations NHWC, weights HWIO / HWOI
    WEIGHTS,   // activations NHWC, weights oneDNN's (only the optimizer and the files touch weights)
    ANY,       // everything oneDNN's (reorders only at the model's boundaries)
    LAYOUTS
} Layout;
static const char *layout_name[] = {"nhwc", "nhwc+w", "any"};

typedef struct {
    Geometry g;
    Variant variant;
    Layout layout;
    Pass fwd, bwd_data, bwd_weights;
} Layer;

static void nhwc_md(dnnl_memory_desc_t *md, int n, int h, int w, int c) {
    dnnl_dims_t dims = {n, c, h, w};
    CHECK(dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_nhwc));
}
static void any_like(dnnl_memory_desc_t *any, const dnnl_memory_desc_t *user) {
    CHECK(dnnl_memory_desc_init_by_tag(any, user->ndims, user->dims, dnnl_f32, dnnl_format_tag_any));
}

// Builds the passes asked for. forward_only: inference (dnnl_forward_inference).
static void build_layer(Layer *L, int forward_only, int need_data_gradient, dnnl_alg_kind_t conv_alg) {
    const Geometry *g = &L->g;
    int deconv = L->variant == DECONV;
    int flipped = L->variant == FLIPPED;
    // src/dst in oneDNN's terms: CONV reads large, DECONV and FLIPPED read small.
    dnnl_memory_desc_t large, small, weights, bias;
    nhwc_md(&large, g->batch, g->large_h, g->large_w, g->large_c);
    nhwc_md(&small, g->batch, g->small_h, g->small_w, g->small_c);
    const dnnl_memory_desc_t *src = L->variant == CONV ? &large : &small;
    const dnnl_memory_desc_t *dst = L->variant == CONV ? &small : &large;
    int oc = L->variant == CONV ? g->small_c : g->large_c, ic = L->variant == CONV ? g->large_c : g->small_c;
    dnnl_dims_t wdims = {oc, ic, g->k, g->k};
    if (deconv) {
        // Keras's Conv2DTranspose kernel [k][k][out = large][in = small]: HWOI (no oneDNN tag).
        dnnl_dims_t strides = {ic, 1, (dnnl_dim_t)g->k * oc * ic, (dnnl_dim_t)oc * ic};
        CHECK(dnnl_memory_desc_init_by_strides(&weights, 4, wdims, dnnl_f32, strides));
    } else {
        CHECK(dnnl_memory_desc_init_by_tag(&weights, 4, wdims, dnnl_f32, dnnl_hwio));
    }
    dnnl_dims_t bdims = {oc};
    CHECK(dnnl_memory_desc_init_by_tag(&bias, 1, bdims, dnnl_f32, dnnl_x));

    dnnl_memory_desc_t op_src = *src, op_dst = *dst, op_weights = weights;
    if (L->layout == ANY) { any_like(&op_src, src); any_like(&op_dst, dst); }
    if (L->layout != KERAS) any_like(&op_weights, &weights);
    dnnl_dims_t stride = {g->stride, g->stride};
    dnnl_dims_t pad_l = {g->pad_top, g->pad_left}, pad_r = {g->pad_bottom, g->pad_right};
    if (flipped) {  // stride 1: the flipped kernel pads k-1-p where the transposed one pads p
        pad_l[0] = g->k - 1 - g->pad_top; pad_l[1] = g->k - 1 - g->pad_left;
        pad_r[0] = g->k - 1 - g->pad_bottom; pad_r[1] = g->k - 1 - g->pad_right;
    }
    dnnl_alg_kind_t alg = deconv ? dnnl_deconvolution_direct : conv_alg;
    dnnl_prop_kind_t prop = forward_only ? dnnl_forward_inference : dnnl_forward_training;

    dnnl_convolution_desc_t d;
    if (deconv) CHECK(dnnl_deconvolution_forward_desc_init(&d, prop, alg, &op_src, &op_weights, &bias, &op_dst, stride, pad_l, pad_r));
    else CHECK(dnnl_convolution_forward_desc_init(&d, prop, alg, &op_src, &op_weights, &bias, &op_dst, stride, pad_l, pad_r));
    Pass *p = &L->fwd;
    CHECK(dnnl_primitive_desc_create(&p->pd, &d, NULL, engine, NULL));
    CHECK(dnnl_primitive_create(&p->prim, p->pd));
    p->built = 1;
    add_arg(p, DNNL_ARG_SRC, src); add_arg(p, DNNL_ARG_WEIGHTS, &weights);
    add_arg(p, DNNL_ARG_BIAS, &bias); add_arg(p, DNNL_ARG_DST, dst);
    if (forward_only) return;

    if (need_data_gradient) {
        if (deconv) CHECK(dnnl_deconvolution_backward_data_desc_init(&d, alg, &op_src, &op_weights, &op_dst, stride, pad_l, pad_r));
        else CHECK(dnnl_convolution_backward_data_desc_init(&d, alg, &op_src, &op_weights, &op_dst, stride, pad_l, pad_r));
        p = &L->bwd_data;
        CHECK(dnnl_primitive_desc_create(&p->pd, &d, NULL, engine, L->fwd.pd));
        CHECK(dnnl_primitive_create(&p->prim, p->pd));
        p->built = 1;
        add_arg(p, DNNL_ARG_DIFF_DST, dst); add_arg(p, DNNL_ARG_WEIGHTS, &weights); add_arg(p, DNNL_ARG_DIFF_SRC, src);
    }

    if (deconv) CHECK(dnnl_deconvolution_backward_weights_desc_init(&d, alg, &op_src, &op_weights, &bias, &op_dst, stride, pad_l, pad_r));
    else CHECK(dnnl_convolution_backward_weights_desc_init(&d, alg, &op_src, &op_weights, &bias, &op_dst, stride, pad_l, pad_r));
    p = &L->bwd_weights;
    CHECK(dnnl_primitive_desc_create(&p->pd, &d, NULL, engine, L->fwd.pd));
    CHECK(dnnl_primitive_create(&p->prim, p->pd));
    p->built = 1;
    add_arg(p, DNNL_ARG_SRC, src); add_arg(p, DNNL_ARG_DIFF_DST, dst);
    add_arg(p, DNNL_ARG_DIFF_WEIGHTS, &weights); add_arg(p, DNNL_ARG_DIFF_BIAS, &bias);
}

// Where the passes want one tensor in different layouts (an integration would reorder
// there every step): "w" weights (fwd, bwd-data, and the gradient bwd-weights writes),
// "x" the input (fwd, bwd-weights), "dy" the output gradient (bwd-data, bwd-weights) and
// its layout against the output's. Empty when all agree.
static int same_md(Pass *a, int a_id, Pass *b, int b_id) {
    if (!a->built || !b->built) return 1;
    return dnnl_memory_desc_equal(dnnl_primitive_desc_query_md(a->pd, dnnl_query_exec_arg_md, a_id),
                                  dnnl_primitive_desc_query_md(b->pd, dnnl_query_exec_arg_md, b_id));
}
static const char *layout_mismatches(Layer *L, char *out, size_t size) {
    int w = !same_md(&L->fwd, DNNL_ARG_WEIGHTS, &L->bwd_data, DNNL_ARG_WEIGHTS) ||
            !same_md(&L->fwd, DNNL_ARG_WEIGHTS, &L->bwd_weights, DNNL_ARG_DIFF_WEIGHTS);
    int x = !same_md(&L->fwd, DNNL_ARG_SRC, &L->bwd_weights, DNNL_ARG_SRC) ||
            !same_md(&L->fwd, DNNL_ARG_SRC, &L->bwd_data, DNNL_ARG_DIFF_SRC);
    int dy = !same_md(&L->fwd, DNNL_ARG_DST, &L->bwd_weights, DNNL_ARG_DIFF_DST) ||
             !same_md(&L->fwd, DNNL_ARG_DST, &L->bwd_data, DNNL_ARG_DIFF_DST);
    snprintf(out, size, "%s%s%s", w ? "w " : "", x ? "x " : "", dy ? "dy" : "");
    return out;
}

static void destroy_layer(Layer *L) {
    destroy_pass(&L->fwd); destroy_pass(&L->bwd_data); destroy_pass(&L->bwd_weights);
}

// ---------------------------------------------------------------- correctness (--check)


// Flips a [k][k][A][B] kernel and swaps its channel axes: [k][k][B][A].
static void flip_swap(const Geometry *g, const float *w, float *out) {
    int k = g->k, a = g->large_c, b = g->small_c;
    for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++)
        for (int i = 0; i < a; i++) for (int j = 0; j < b; j++)
            out[(((size_t)ky * k + kx) * b + j) * a + i] = w[(((size_t)(k - 1 - ky) * k + (k - 1 - kx)) * a + i) * b + j];
}

// Weights in Keras's Glorot-uniform range, as the models hold them: outputs of order one,
// so that an absolute error bound means the same for 3 input channels and for 128.
static float glorot_scale(const Geometry *g) {
    return sqrtf(6.0f / (float)(g->k * g->k * (g->large_c + g->small_c)));
}
static void scale_weights(Pass *p, float scale) {
    Arg *a = find_arg(p, DNNL_ARG_WEIGHTS);
    for (size_t i = 0; i < a->count; i++) a->data[i] *= scale;
    load(p, DNNL_ARG_WEIGHTS);
}

static void check_layer(const char *label, Geometry g, Variant v, Layout layout_kind, dnnl_alg_kind_t alg) {
    Layer L = {g, v, layout_kind, {0}, {0}, {0}};
    build_layer(&L, 0, 1, alg);
    if (v != FLIPPED) { scale_weights(&L.fwd, glorot_scale(&g)); scale_weights(&L.bwd_data, glorot_scale(&g)); }
    size_t nl = large_count(&g), ns = small_count(&g), nw = weight_count(&g);
    size_t large_pixels = nl / g.large_c, small_pixels = ns / g.small_c;
    size_t most = nl > ns ? nl : ns;
    double *want = xmalloc((most > nw ? most : nw) * sizeof(double));
    char what[160];
    const char *layout = layout_name[layout_kind];

    if (v == FLIPPED) {  // the oneDNN convolution gets the flipped kernel of a transposed one
        float *w = xmalloc(nw * sizeof(float));
        for (size_t i = 0; i < nw; i++) w[i] = random_value() * glorot_scale(&g);
        flip_swap(&g, w, find_arg(&L.fwd, DNNL_ARG_WEIGHTS)->data);
        load(&L.fwd, DNNL_ARG_WEIGHTS);
        execute(&L.fwd);
        naive_large_from_small(&g, find_arg(&L.fwd, DNNL_ARG_SRC)->data, w, want);
        naive_add_bias(want, large_pixels, g.large_c, find_arg(&L.fwd, DNNL_ARG_BIAS)->data);
        snprintf(what, sizeof what, "%s %s fwd", label, layout);
        report(what, max_abs_error(store(&L.fwd, DNNL_ARG_DST), want, nl), &L.fwd);
        free(w);
        destroy_layer(&L); free(want);
        return;
    }

    int c = v == CONV;  // which side is the input
    // forward
    execute(&L.fwd);
    float *x = find_arg(&L.fwd, DNNL_ARG_SRC)->data, *w = find_arg(&L.fwd, DNNL_ARG_WEIGHTS)->data;
    if (c) naive_small_from_large(&g, x, w, want); else naive_large_from_small(&g, x, w, want);
    naive_add_bias(want, c ? small_pixels : large_pixels, c ? g.small_c : g.large_c, find_arg(&L.fwd, DNNL_ARG_BIAS)->data);
    snprintf(what, sizeof what, "%s %s fwd", label, layout);
    report(what, max_abs_error(store(&L.fwd, DNNL_ARG_DST), want, c ? ns : nl), &L.fwd);
    // backward data
    execute(&L.bwd_data);
    float *dy = find_arg(&L.bwd_data, DNNL_ARG_DIFF_DST)->data;
    w = find_arg(&L.bwd_data, DNNL_ARG_WEIGHTS)->data;
    if (c) naive_large_from_small(&g, dy, w, want); else naive_small_from_large(&g, dy, w, want);
    snprintf(what, sizeof what, "%s %s bwd-data", label, layout);
    report(what, max_abs_error(store(&L.bwd_data, DNNL_ARG_DIFF_SRC), want, c ? nl : ns), &L.bwd_data);
    // backward weights and bias
    execute(&L.bwd_weights);
    x = find_arg(&L.bwd_weights, DNNL_ARG_SRC)->data;
    dy = find_arg(&L.bwd_weights, DNNL_ARG_DIFF_DST)->data;
    if (c) naive_weight_gradient(&g, x, dy, want); else naive_weight_gradient(&g, dy, x, want);
    snprintf(what, sizeof what, "%s %s bwd-weights", label, layout);
    report(what, max_abs_error(store(&L.bwd_weights, DNNL_ARG_DIFF_WEIGHTS), want, nw), &L.bwd_weights);
    naive_channel_sums(dy, c ? small_pixels : large_pixels, c ? g.small_c : g.large_c, want);
    snprintf(what, sizeof what, "%s %s bwd-bias", label, layout);
    report(what, max_abs_error(store(&L.bwd_weights, DNNL_ARG_DIFF_BIAS), want, c ? g.small_c : g.large_c), &L.bwd_weights);
    destroy_layer(&L);
    // forward inference (oneDNN may pick another implementation than for training)
    Layer I = {g, v, layout_kind, {0}, {0}, {0}};
    build_layer(&I, 1, 0, alg);
    scale_weights(&I.fwd, glorot_scale(&g));
    execute(&I.fwd);
    x = find_arg(&I.fwd, DNNL_ARG_SRC)->data;
    w = find_arg(&I.fwd, DNNL_ARG_WEIGHTS)->data;
    if (c) naive_small_from_large(&g, x, w, want); else naive_large_from_small(&g, x, w, want);
    naive_add_bias(want, c ? small_pixels : large_pixels, c ? g.small_c : g.large_c, find_arg(&I.fwd, DNNL_ARG_BIAS)->data);
    snprintf(what, sizeof what, "%s %s fwd-inference", label, layout);
    report(what, max_abs_error(store(&I.fwd, DNNL_ARG_DST), want, c ? ns : nl), &I.fwd);
    destroy_layer(&I);
    free(want);
}

// TensorFlow's 'same' rule on a few axes, worked by hand: (size, kernel, stride) -> (before, after).
static void check_padding_rule(void) {
    static const int cases[][5] = {{64, 5, 2, 1, 2}, {7, 5, 2, 2, 2}, {6, 5, 2, 1, 2}, {5, 5, 2, 2, 2}, {32, 3, 1, 1, 1}, {1, 5, 2, 2, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *c = cases[i];
        Geometry g = make_geometry(1, c[0], c[0], 1, 1, c[1], c[2]);
        char what[80];
        snprintf(what, sizeof what, "'same' padding of %d, k%d s%d: %d before, %d after", c[0], c[1], c[2], c[3], c[4]);
        int ok = g.pad_top == c[3] && g.pad_bottom == c[4] && g.pad_left == c[3] && g.pad_right == c[4];
        if (!ok) failures++;
        printf("  %-60s %s\n", what, ok ? "ok" : "FAIL");
    }
}

static int run_checks(dnnl_alg_kind_t alg) {
    printf("correctness against naive loops (Keras 'same', TF's asymmetric stride-2 padding; double accumulation;\n"
           "inputs and gradients uniform in [-1, 1], weights Glorot-uniform)\n");
    printf("  case (batch x in -> out channels)             error                    implementation\n");
    check_padding_rule();
    for (Layout l = 0; l < LAYOUTS; l++) {
        // Conv2D 5x5 stride 2 on an odd-sized image (rows pad 2/2, columns 1/2), and 3x3 stride 1
        check_layer("conv 5x5 s2 2x7x6x3->5", make_geometry(2, 7, 6, 3, 5, 5, 2), CONV, l, alg);
        check_layer("conv 3x3 s1 2x5x6x4->6", make_geometry(2, 5, 6, 4, 6, 3, 1), CONV, l, alg);
        // Conv2DTranspose 5x5 stride 2: 3x4x6 -> 6x8x3 (the large side is the output)
        check_layer("deconv 5x5 s2 2x3x4x6->3", make_geometry(2, 6, 8, 3, 6, 5, 2), DECONV, l, alg);
        check_layer("deconv 3x3 s1 2x5x5x4->6", make_geometry(2, 5, 5, 6, 4, 3, 1), DECONV, l, alg);
        check_layer("conv-flip 3x3 s1 2x5x5x4->6", make_geometry(2, 5, 5, 6, 4, 3, 1), FLIPPED, l, alg);
        // Channel counts of the real layers, so that the vectorised kernels timed below run here too
        check_layer("conv 3x3 s1 3x8x8x32->64", make_geometry(3, 8, 8, 32, 64, 3, 1), CONV, l, alg);
        check_layer("conv 3x3 s1 2x9x9x32->3", make_geometry(2, 9, 9, 32, 3, 3, 1), CONV, l, alg);
        check_layer("conv 5x5 s2 2x10x9x128->64", make_geometry(2, 10, 9, 128, 64, 5, 2), CONV, l, alg);
        check_layer("deconv 3x3 s1 2x4x4x128->64", make_geometry(2, 4, 4, 64, 128, 3, 1), DECONV, l, alg);
        check_layer("conv-flip 3x3 s1 2x4x4x128->64", make_geometry(2, 4, 4, 64, 128, 3, 1), FLIPPED, l, alg);
        check_layer("deconv 5x5 s2 2x4x5x128->128", make_geometry(2, 8, 10, 128, 128, 5, 2), DECONV, l, alg);
        check_layer("deconv 5x5 s2 2x5x4x64->3", make_geometry(2, 10, 8, 3, 64, 5, 2), DECONV, l, alg);
    }
    printf("%s\n", failures ? "check: FAILED" : "check: all ok (< 1e-4)");
    return failures ? 1 : 0;
}

// ---------------------------------------------------------------- the models' layers

typedef struct {
    const char *name;  // as aebench --layers prints it
    int transposed;    // Keras Conv2DTranspose
    int in_h, in_w, in_c, out_c, k, stride;
} LayerSpec;

// Training shapes. Reference: batch 128 of 32x32; codec: batch 16 of 64x64 patches.
static const LayerSpec reference_layers[] = {
    {"conv2d", 0, 32, 32, 3, 32, 3, 1},
    {"conv2d_1", 0, 16, 16, 32, 64, 3, 1},
    {"conv2d_2", 0, 8, 8, 64, 128, 3, 1},
    {"conv2d_transpose", 1, 4, 4, 128, 128, 3, 1},
    {"conv2d_transpose_1", 1, 8, 8, 128, 64, 3, 1},
    {"conv2d_transpose_2", 1, 16, 16, 64, 32, 3, 1},
    {"conv2d_3", 0, 32, 32, 32, 3, 3, 1},
};
static const LayerSpec codec_layers[] = {
    {"analysis_conv0", 0, 64, 64, 3, 128, 5, 2},
    {"analysis_conv1", 0, 32, 32, 128, 128, 5, 2},
    {"analysis_conv2", 0, 16, 16, 128, 128, 5, 2},
    {"analysis_conv3", 0, 8, 8, 128, 192, 5, 2},
    {"synthesis_conv0", 1, 4, 4, 192, 128, 5, 2},
    {"synthesis_conv1", 1, 8, 8, 128, 128, 5, 2},
    {"synthesis_conv2", 1, 16, 16, 128, 128, 5, 2},
    {"synthesis_conv3", 1, 32, 32, 128, 3, 5, 2},
};

// The geometry of a layer at a batch and a scale of its training input size.
static Geometry spec_geometry(const LayerSpec *s, int batch, int in_h, int in_w) {
    if (!s->transposed) return make_geometry(batch, in_h, in_w, s->in_c, s->out_c, s->k, s->stride);
    return make_geometry(batch, in_h * s->stride, in_w * s->stride, s->out_c, s->in_c, s->k, s->stride);
}

static void shape_text(const LayerSpec *s, const Geometry *g, char *out, size_t size) {
    int oh = s->transposed ? g->large_h : g->small_h, ow = s->transposed ? g->large_w : g->small_w;
    snprintf(out, size, "%dx%dx%dx%d->%dx%dx%d k%ds%d", g->batch, s->transposed ? g->small_h : g->large_h,
             s->transposed ? g->small_w : g->large_w, s->in_c, oh, ow, s->out_c, s->k, s->stride);
}

// ---------------------------------------------------------------- timing

typedef struct { int warmup, repeats; double budget_s; int list_only; } Timing;
typedef struct { double wall_ms, cpu_ms; int runs; } Measure;

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Median wall and process-CPU milliseconds of one pass, after warm-up; stops early
// once the timed runs exceed the budget (at least one timed run).
static Measure time_pass(Pass *p, const Timing *t) {
    Measure m = {0, 0, 0};
    if (!p->built || t->list_only) return m;
    for (int i = 0; i < t->warmup; i++) execute(p);
    double *wall = xmalloc(t->repeats * sizeof(double)), *cpu = xmalloc(t->repeats * sizeof(double));
    double spent = 0;
    while (m.runs < t->repeats && (m.runs == 0 || spent < t->budget_s)) {
        double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
        execute(p);
        double w = seconds(CLOCK_MONOTONIC) - w0;
        wall[m.runs] = 1e3 * w;
        cpu[m.runs] = 1e3 * (seconds(CLOCK_PROCESS_CPUTIME_ID) - c0);
        spent += w;
        m.runs++;
    }
    qsort(wall, m.runs, sizeof(double), compare_doubles);
    qsort(cpu, m.runs, sizeof(double), compare_doubles);
    m.wall_ms = wall[m.runs / 2];
    m.cpu_ms = cpu[m.runs / 2];
    free(wall); free(cpu);
    return m;
}

// One training step of a layer; weight_reorders: the copies of the weights (and of their
// gradient) between the passes' layouts where they differ, keeping the weights in the
// forward pass's layout.
typedef struct { Measure fwd, bwd_data, bwd_weights, weight_reorders; } LayerTimes;

static double train_ms(const LayerTimes *t) {
    return t->fwd.wall_ms + t->bwd_data.wall_ms + t->bwd_weights.wall_ms + t->weight_reorders.wall_ms;
}

static Measure time_weight_reorders(Layer *L, const Timing *t) {
    Pass to_bwd = {0}, from_gradient = {0};
    if (!same_md(&L->fwd, DNNL_ARG_WEIGHTS, &L->bwd_data, DNNL_ARG_WEIGHTS))
        make_reorder_pass(&to_bwd, find_arg(&L->fwd, DNNL_ARG_WEIGHTS)->mem, find_arg(&L->bwd_data, DNNL_ARG_WEIGHTS)->mem);
    if (!same_md(&L->fwd, DNNL_ARG_WEIGHTS, &L->bwd_weights, DNNL_ARG_DIFF_WEIGHTS))
        make_reorder_pass(&from_gradient, find_arg(&L->bwd_weights, DNNL_ARG_DIFF_WEIGHTS)->mem,
                          find_arg(&L->fwd, DNNL_ARG_WEIGHTS)->mem);
    Measure a = time_pass(&to_bwd, t), b = time_pass(&from_gradient, t);
    destroy_pass(&to_bwd);
    destroy_pass(&from_gradient);
    return (Measure){a.wall_ms + b.wall_ms, a.cpu_ms + b.cpu_ms, a.runs + b.runs};
}

static void print_cell(const Measure *m, double flops) {
    if (m->runs == 0) { printf(" %16s", "-"); return; }
    char cell[40];
    snprintf(cell, sizeof cell, "%.2f (%.0f)", m->wall_ms, flops / (m->wall_ms * 1e-3) / 1e9);
    printf(" %16s", cell);
}

// ---------------------------------------------------------------- one model

typedef struct {
    const char *model;
    const LayerSpec *layers;
    int count;
    int train_batch, train_h, train_w;
    int infer_batch, infer_h, infer_w;
    const char *train_label, *infer_label;
} ModelSpec;

static const ModelSpec models[] = {
    {"reference", reference_layers, 7, 128, 32, 32, 256, 32, 32,
     "training step (batch 128 of 32x32)", "inference (batch 256, forward)"},
    {"codec", codec_layers, 8, 16, 64, 64, 1, 512, 768,
     "training step (batch 16 of 64x64)", "image 768x512 (analysis + synthesis, forward)"},
};

// Input size of each layer at a given model input size (every layer scales with it:
// stride-2 convolutions halve, transposed ones double; the reference's pooling and
// up-sampling are outside this list, so its sizes are taken from the specs).
static void layer_input(const ModelSpec *m, int i, int model_h, int model_w, int *h, int *w) {
    const LayerSpec *s = &m->layers[i];
    *h = s->in_h * model_h / m->train_h;
    *w = s->in_w * model_w / m->train_w;
}

static void measure_model(const ModelSpec *m, Layout layout_kind, dnnl_alg_kind_t alg, const Timing *t) {
    const char *layout = layout_name[layout_kind];
    double train_total = 0, train_cpu = 0, infer_total = 0, flops_train = 0, flops_infer = 0;
    char shape[64];

    printf("\n%s, layout %s: %s; wall ms per pass (GFLOP/s); cpu = process CPU ms (all threads), as aebench --layers\n",
           m->model, layout, m->train_label);
    printf("%-19s %-31s %-9s %16s %16s %16s %9s %9s %9s %-6s %s\n", "layer", "shape", "variant", "fwd", "bwd-data",
           "bwd-weights", "w-reorder", "fwd cpu", "bwd cpu", "differ", "implementations (fwd / bwd-data / bwd-weights)");
    for (int i = 0; i < m->count; i++) {
        const LayerSpec *s = &m->layers[i];
        int h, w;
        layer_input(m, i, m->train_h, m->train_w, &h, &w);
        Geometry g = spec_geometry(s, m->train_batch, h, w);
        double flops = geometry_flops(&g);
        shape_text(s, &g, shape, sizeof shape);
        // Stride-1 transposed layers: deconvolution and the flipped convolution; the faster counts.
        Variant variants[2] = {s->transposed ? DECONV : CONV, FLIPPED};
        int nvariants = s->transposed && s->stride == 1 ? 2 : 1;
        double best = -1, best_cpu = 0;
        for (int v = 0; v < nvariants; v++) {
            Layer L = {g, variants[v], layout_kind, {0}, {0}, {0}};
            build_layer(&L, 0, i > 0, alg);
            LayerTimes lt = {time_pass(&L.fwd, t), time_pass(&L.bwd_data, t), time_pass(&L.bwd_weights, t),
                             time_weight_reorders(&L, t)};
            double cpu_bwd = lt.bwd_data.cpu_ms + lt.bwd_weights.cpu_ms + lt.weight_reorders.cpu_ms;
            printf("%-19s %-31s %-9s", s->name, shape, variant_name[variants[v]]);
            print_cell(&lt.fwd, flops); print_cell(&lt.bwd_data, flops); print_cell(&lt.bwd_weights, flops);
            char mismatches[16];
            printf(" %9.2f %9.2f %9.2f %-6s %s / %s / %s\n", lt.weight_reorders.wall_ms, lt.fwd.cpu_ms, cpu_bwd,
                   layout_mismatches(&L, mismatches, sizeof mismatches),
                   impl_name(&L.fwd), impl_name(&L.bwd_data), impl_name(&L.bwd_weights));
            if (best < 0 || train_ms(&lt) < best) { best = train_ms(&lt); best_cpu = lt.fwd.cpu_ms + cpu_bwd; }
            destroy_layer(&L);
        }
        train_total += best;
        train_cpu += best_cpu;
        flops_train += (i > 0 ? 3 : 2) * flops;
    }

    printf("%s, layout %s: %s; wall ms per forward pass (GFLOP/s)\n", m->model, layout, m->infer_label);
    for (int i = 0; i < m->count; i++) {
        const LayerSpec *s = &m->layers[i];
        int h, w;
        layer_input(m, i, m->infer_h, m->infer_w, &h, &w);
        Geometry g = spec_geometry(s, m->infer_batch, h, w);
        double flops = geometry_flops(&g);
        shape_text(s, &g, shape, sizeof shape);
        Variant variants[2] = {s->transposed ? DECONV : CONV, FLIPPED};
        int nvariants = s->transposed && s->stride == 1 ? 2 : 1;
        double best = -1;
        for (int v = 0; v < nvariants; v++) {
            Layer L = {g, variants[v], layout_kind, {0}, {0}, {0}};
            build_layer(&L, 1, 0, alg);
            Measure f = time_pass(&L.fwd, t);
            printf("%-19s %-31s %-9s", s->name, shape, variant_name[variants[v]]);
            print_cell(&f, flops);
            printf(" %16s %16s %9s %9.2f %9s %-6s %s\n", "", "", "", f.cpu_ms, "", "", impl_name(&L.fwd));
            if (best < 0 || f.wall_ms < best) best = f.wall_ms;
            destroy_layer(&L);
        }
        infer_total += best;
        flops_infer += flops;
    }
    printf("%s %s total, convolutions only: fwd + bwd-data (not the first layer) + bwd-weights + weight reorders\n"
           "  (the faster variant of each stride-1 transposed layer):\n", m->model, layout);
    printf("  %-48s %9.2f ms wall (%.0f GFLOP/s), %.2f ms cpu\n", m->train_label, train_total,
           flops_train / (train_total * 1e-3) / 1e9, train_cpu);
    printf("  %-48s %9.2f ms wall (%.0f GFLOP/s)\n", m->infer_label, infer_total, flops_infer / (infer_total * 1e-3) / 1e9);
    printf("dnnl_%s_train_step_ms_%s: %.3f\n", m->model, layout, train_total);
    printf("dnnl_%s_train_step_cpu_ms_%s: %.3f\n", m->model, layout, train_cpu);
    printf("dnnl_%s_infer_ms_%s: %.3f\n", m->model, layout, infer_total);
}

// ---------------------------------------------------------------- main

// A comma-separated list of layout names as a bit set (0 when a name is unknown).
static int parse_layouts(const char *list) {
    int bits = 0;
    char copy[64];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *name = strtok(copy, ","); name; name = strtok(NULL, ",")) {
        Layout l = 0;
        while (l < LAYOUTS && strcmp(name, layout_name[l])) l++;
        if (l == LAYOUTS) return 0;
        bits |= 1 << l;
    }
    return bits;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: dnnl_probe [--threads T] [--model reference|codec|all] [--layout nhwc,nhwc+w,any]\n"
            "                  [--repeats N] [--warmup W] [--budget SECONDS] [--alg direct|auto] [--check | --list]\n"
            "  --layout L    comma-separated subset of nhwc, nhwc+w, any (default all three)\n"
            "  --threads T   OpenMP threads for oneDNN (omp_set_num_threads; default: OpenMP's default)\n"
            "  --repeats N   timed runs per pass, the median is printed (default 15)\n"
            "  --warmup W    untimed runs first (default 3)\n"
            "  --budget S    stop a pass's timed runs after S seconds, at least one run (default 2)\n"
            "  --alg         convolution algorithm: direct (as Keras and PyTorch use; default) or auto\n"
            "  --check       compare every primitive kind with naive loops on small cases, then exit\n"
            "  --list        build every primitive and print the tables' implementations without timing\n");
}

int main(int argc, char **argv) {
    int threads = 0, check = 0, layouts = 7;  // bit l: Layout l
    const char *which = "all";
    Timing t = {3, 15, 2.0, 0};
    dnnl_alg_kind_t alg = dnnl_convolution_direct;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--check")) check = 1;
        else if (!strcmp(a, "--list")) t.list_only = 1;
        else if (!v) { usage(stderr); return 2; }
        else if (!strcmp(a, "--threads")) { threads = atoi(v); i++; }
        else if (!strcmp(a, "--repeats")) { t.repeats = atoi(v); i++; }
        else if (!strcmp(a, "--warmup")) { t.warmup = atoi(v); i++; }
        else if (!strcmp(a, "--budget")) { t.budget_s = atof(v); i++; }
        else if (!strcmp(a, "--model")) { which = v; i++; }
        else if (!strcmp(a, "--layout")) {
            layouts = parse_layouts(v); i++;
            if (!layouts) { usage(stderr); return 2; }
        } else if (!strcmp(a, "--alg")) {
            if (!strcmp(v, "direct")) alg = dnnl_convolution_direct;
            else if (!strcmp(v, "auto")) alg = dnnl_convolution_auto;
            else { usage(stderr); return 2; }
            i++;
        } else { usage(stderr); return 2; }
    }
    if (t.repeats < 1 || t.warmup < 0 || (strcmp(which, "all") && strcmp(which, "reference") && strcmp(which, "codec"))) {
        usage(stderr);
        return 2;
    }
    if (threads > 0) omp_set_num_threads(threads);
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    const dnnl_version_t *version = dnnl_version();
    printf("oneDNN %d.%d.%d (cpu runtime %s), %d OpenMP threads, alg %s\n", version->major, version->minor,
           version->patch, version->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other", omp_get_max_threads(),
           alg == dnnl_convolution_direct ? "direct" : "auto");
    if (check) return run_checks(alg);

    printf("median of %d timed runs after %d warm-up (at most %.1f s per pass); GFLOP/s count 2 per multiply-add\n",
           t.repeats, t.warmup, t.budget_s);
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        if (strcmp(which, "all") && strcmp(which, models[m].model)) continue;
        for (Layout l = 0; l < LAYOUTS; l++)
            if (layouts & (1 << l)) measure_model(&models[m], l, alg, &t);
    }
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(engine);
    return 0;
}
