import CBLAS

/// Row-major single-precision matrix multiply: C = alpha * op(A) * op(B) + beta * C,
/// with op(A) of shape M x K and op(B) of shape K x N. A thin wrapper over `cblas_sgemm`.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false,
           m: Int, n: Int, k: Int,
           alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int,
           beta: Float,
           c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb),
                beta, c, Int32(ldc))
}
